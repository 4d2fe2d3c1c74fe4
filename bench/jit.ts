// What JavaScriptCore compiles while a tracer runs, window by window: a fresh tracer (`--json -o
// FILE`, following one shell's tree) with JSC's compile reports on, then exec storms in windows of
// N spawns (and a fork and a thread storm); per window, CPU per spawn of the main thread, the JIT
// worker threads, the other threads and the tracer's BPF programs, and the optimizing compiles
// (count and ms per tier). At the end: the functions compiled at DFG/FTL and how often (recompiles
// at the same tier are OSR exits or invalidations). Root.
//   bun bench/jit.ts [--windows 5] [--spawns 3000] [--source] [--list] [BINARY...]
// Several BINARYs run side by side, each following its own shell, the same storms in every shell
// at once: on a shared host, the only fair comparison. --source adds src/main.ts under bun
// (function names are materialized there; a compiled binary reports most as "<name not
// materialized>"; a path ending in .ts runs under bun too).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { compileWorkloads } from "./compile";
import { ROOT, TRACER } from "./configs";
import { enableBpfStats, progIds, progRunNs } from "./bpf-stats";
import { EXEC_TARGET, bin } from "./workloads";

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    windows: { type: "string", default: "5" },
    spawns: { type: "string", default: "3000" },
    source: { type: "boolean", default: false },
    list: { type: "boolean", default: false },
    args: { type: "string", default: "" },
    out: { type: "string", default: "/tmp/tracer-jit.jsonl" },
  },
});
const windows = Number(a.windows);
const spawns = Number(a.spawns);
compileWorkloads();
const restore = enableBpfStats();

/** One tracer under test: its own shell (whose tree it follows), its JIT report, its threads. */
class Subject {
  readonly shell = Bun.spawn(["bash", "-c", 'while read -r line; do eval "$line" >/dev/null; echo "status $?"; done'], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  readonly replies = this.shell.stdout.getReader();
  readonly tracer: Subprocess<"ignore", "ignore", "pipe">;
  err = "";
  errAt = 0;
  readonly ready: Promise<void>;
  readonly pumped: Promise<void>;
  readonly seen = new Map<number, { name: string; ns: number }>();
  progs: number[] = [];
  readonly rows: string[] = [];
  readonly all: Compile[] = [];

  constructor(
    readonly label: string,
    argv: string[],
  ) {
    const env = { ...process.env, BUN_JSC_reportDFGCompileTimes: "true", BUN_JSC_reportFTLCompileTimes: "true" };
    const extra = a.args ? a.args.split(/\s+/) : [];
    const tracer = Bun.spawn(
      [...argv, "--json", ...extra, "--pid-tree", String(this.shell.pid), "-o", `${a.out}.${subjects.length}`],
      { stdin: "ignore", stdout: "ignore", stderr: "pipe", env },
    );
    this.tracer = tracer;
    const dec = new TextDecoder();
    let ready = () => {};
    this.ready = new Promise<void>((r) => (ready = r));
    this.pumped = (async () => {
      for await (const c of tracer.stderr) {
        this.err += dec.decode(c, { stream: true });
        if (this.err.includes("ready\n")) ready();
      }
    })();
  }

  /** CPU (ns) so far of each thread; exited threads keep their last value. */
  sample(): void {
    const pid = this.tracer.pid;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
        const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
        this.seen.set(Number(tid), { name, ns });
      } catch {
        // gone
      }
    }
  }

  split(): { main: number; jit: number; other: number; bpf: number } {
    this.sample();
    let main = 0,
      jit = 0,
      other = 0;
    for (const [tid, t] of this.seen) {
      if (tid === this.tracer.pid) main += t.ns;
      else if (t.name.startsWith("JITWorker")) jit += t.ns;
      else other += t.ns;
    }
    return { main, jit, other, bpf: progRunNs(this.progs) };
  }

  async inShell(cmd: string[]): Promise<void> {
    this.shell.stdin.write(cmd.join(" ") + "\n");
    this.shell.stdin.flush();
    const next = this.replies.read();
    for (let done = false; !done; ) {
      done = await Promise.race([next.then(() => true), Bun.sleep(10).then(() => false)]);
      for (const s of subjects) s.sample();
    }
    const text = new TextDecoder().decode((await next).value);
    if (text.trim() !== "status 0") throw new Error(`${cmd.join(" ")}: ${text.trim()}`);
  }

  compilesSince(): Compile[] {
    const text = this.err.slice(this.errAt);
    const cut = text.lastIndexOf("\n") + 1;
    this.errAt += cut;
    const out: Compile[] = [];
    for (const line of text.slice(0, cut).split("\n")) {
      const m = COMPILE_RE.exec(line);
      if (m) out.push({ name: m[1] || "(anonymous)", hash: m[2]!, tier: m[3]!, ms: Number(m[4]) });
    }
    this.all.push(...out);
    return out;
  }

  async stop(): Promise<void> {
    this.tracer.kill("SIGINT");
    await this.tracer.exited;
    await this.pumped;
    this.shell.kill();
  }
}

interface Compile {
  name: string;
  hash: string;
  tier: string;
  ms: number;
}
const COMPILE_RE = /^Optimized (.*?)#(\w+):\[.*?\] using (DFG|FTL|FTLForOSREntry|Baseline)\b.* in ([\d.]+) ms/;

const subjects: Subject[] = [];
const targets = a.source ? [join(ROOT, "src", "main.ts"), ...positionals] : positionals.length ? positionals : [TRACER];
for (const t of targets) subjects.push(new Subject(t, t.endsWith(".ts") ? [process.execPath, t] : [t]));
for (const s of subjects) {
  await s.ready;
  s.progs = progIds(s.tracer.pid);
  s.compilesSince(); // start-up's own
}

/** One window: the same workload in every subject's shell at once (the same load for each). */
async function window(label: string, cmd: string[], n: number): Promise<void> {
  const c0 = subjects.map((s) => s.split());
  await Promise.all(subjects.map((s) => s.inShell(cmd)));
  await Bun.sleep(300);
  const c1 = subjects.map((s) => s.split());
  await Bun.sleep(200);
  subjects.forEach((s, i) => {
    const c = s.compilesSince();
    const tier = (t: string) => c.filter((x) => x.tier.startsWith(t));
    const ms = (l: Compile[]) => l.reduce((x, y) => x + y.ms, 0).toFixed(1);
    const us = (k: "main" | "jit" | "other" | "bpf") => ((c1[i]![k] - c0[i]![k]) / n / 1e3).toFixed(1).padStart(6);
    s.rows.push(
      `${label.padEnd(16)}${us("main")}${us("jit")}${us("other")}${us("bpf")}   DFG ${String(tier("DFG").length).padStart(3)} ${ms(tier("DFG")).padStart(6)} ms  FTL ${String(tier("FTL").length).padStart(3)} ${ms(tier("FTL")).padStart(6)} ms`,
    );
  });
}

try {
  for (let w = 0; w < windows; w++) {
    await window(
      `exec ${w * spawns}-${(w + 1) * spawns}`,
      [bin("exec-storm"), "-n", String(spawns), ...EXEC_TARGET],
      spawns,
    );
  }
  await window("fork 2000", [bin("fork-storm"), "-n", "2000"], 2000);
  await window("thread 5000", [bin("thread-storm"), "-n", "5000"], 5000);
  await window(`exec ${spawns} again`, [bin("exec-storm"), "-n", String(spawns), ...EXEC_TARGET], spawns);
} finally {
  await Promise.all(subjects.map((s) => s.stop()));
  restore();
}
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
process.stdout.write(`load ${load}; side by side: ${subjects.length} tracers, the same storms at the same time\n`);
for (const s of subjects) {
  process.stdout.write(
    `${s.label}: µs per spawn (per fork, per thread)\n${"window".padEnd(16)}${"main".padStart(6)}${"JIT".padStart(6)}${"other".padStart(6)}${"bpf".padStart(6)}   optimizing compiles\n${s.rows.join("\n")}\n`,
  );
  const byFn = new Map<string, { name: string; tiers: string[]; ms: number; dfg: number; ftl: number }>();
  for (const c of s.all) {
    if (c.tier === "Baseline") continue;
    const e = byFn.get(c.hash) ?? { name: c.name, tiers: [], ms: 0, dfg: 0, ftl: 0 };
    e.tiers.push(c.tier);
    e.ms += c.ms;
    if (c.tier === "DFG") e.dfg += c.ms;
    else e.ftl += c.ms;
    byFn.set(c.hash, e);
  }
  const opt = s.all.filter((c) => c.tier !== "Baseline");
  const re = [...byFn.values()].reduce((x, e) => x + e.tiers.length - new Set(e.tiers).size, 0);
  process.stdout.write(
    `after ready: ${opt.length} optimizing compiles of ${byFn.size} functions, ${re} recompiles at the same tier; DFG ${opt
      .filter((c) => c.tier === "DFG")
      .reduce((x, c) => x + c.ms, 0)
      .toFixed(0)} ms, FTL ${opt
      .filter((c) => c.tier.startsWith("FTL"))
      .reduce((x, c) => x + c.ms, 0)
      .toFixed(0)} ms\n`,
  );
  if (a.list) {
    for (const [h, e] of [...byFn].sort((x, y) => y[1].ms - x[1].ms))
      process.stdout.write(
        `  ${e.ms.toFixed(1).padStart(7)} ms (DFG ${e.dfg.toFixed(1).padStart(6)}, FTL ${e.ftl.toFixed(1).padStart(6)})  ${e.tiers.join(",").padEnd(24)} ${e.name}#${h}\n`,
      );
  }
}
