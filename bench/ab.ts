// A/B of tracer binaries by CPU time (robust to a loaded host, unlike wall-clock ratios): per
// round, each binary in turn (order rotating) starts fresh (`--json -o /dev/null`); start-up to
// `ready`; CPU (own + BPF) of the first 3,000 spawns and of the next 3,000 (warm-up = the
// difference); then past warm-up (forks, threads first) CPU per spawn, fork and thread, own
// (main thread, JSC's JITWorker threads, the rest: GC) and BPF. Medians over the rounds. The workloads run under
// one shell whose tree the tracer follows (--pid-tree): other processes on a shared host are not
// its events (their BPF runs, filtered out early, still count in "bpf"). Root.
//   bun bench/ab.ts [--rounds N] [--spawns N] [--args="-e sched_process_exec"] BINARY...
import { readdirSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { compileWorkloads } from "./compile";
import { idle, launch, stop, type Running } from "./launch";
import { enableBpfStats, progRunNs } from "./bpf-stats";
import { EXEC_TARGET, bin } from "./workloads";

const { values: a, positionals: binaries } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: "string", default: "3" },
    spawns: { type: "string", default: "10000" },
    args: { type: "string", default: "" },
  },
});
if (binaries.length === 0) throw new Error("usage: bun bench/ab.ts [--rounds N] [--spawns N] [--args ARGS] BINARY...");
const rounds = Number(a.rounds);
const spawns = Number(a.spawns);
const extra = a.args ? a.args.split(/\s+/) : [];
compileWorkloads();
const restore = enableBpfStats();

/** CPU so far of the tracer's threads, ns: the main thread (tid = pid) and all the others. JIT
 * and GC helper threads come and go: each thread's last reading is kept after it is gone (the
 * sampler below reads every 10 ms while a workload runs). */
const seen = new Map<number, Map<number, { jit: boolean; ns: number }>>();
function threadsNs(pid: number): { main: number; jit: number; other: number } {
  let m = seen.get(pid);
  if (!m) seen.set(pid, (m = new Map()));
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const jit = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").startsWith("JITWorker");
      m.set(Number(tid), { jit, ns: Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]) });
    } catch {
      // the thread exited
    }
  }
  let main = 0,
    jit = 0,
    other = 0;
  for (const [tid, t] of m) {
    if (tid === pid) main += t.ns;
    else if (t.jit) jit += t.ns;
    else other += t.ns;
  }
  return { main, jit, other };
}

/** CPU of the main thread, JSC's JITWorker threads, the other threads (GC, ...), the BPF programs. */
interface Cpu {
  main: number;
  jit: number;
  other: number;
  bpf: number;
}
const cpu = (r: Running): Cpu => ({ ...threadsNs(r.proc.pid), bpf: progRunNs(r.progs) });
const minus = (x: Cpu, y: Cpu): Cpu => ({
  main: x.main - y.main,
  jit: x.jit - y.jit,
  other: x.other - y.other,
  bpf: x.bpf - y.bpf,
});
const total = (c: Cpu) => c.main + c.jit + c.other + c.bpf;

/** The shell the workloads run under: one command per line on its stdin, its status back. */
const shell = Bun.spawn(["bash", "-c", 'while read -r line; do eval "$line" >/dev/null; echo "status $?"; done'], {
  stdin: "pipe",
  stdout: "pipe",
  stderr: "inherit",
});
const replies = shell.stdout.getReader();
async function inShell(cmd: string[], sample: () => void): Promise<void> {
  shell.stdin.write(cmd.join(" ") + "\n");
  shell.stdin.flush();
  let text = "";
  const next = replies.read();
  for (let done = false; !done; ) {
    done = await Promise.race([next.then(() => true), Bun.sleep(10).then(() => false)]);
    sample();
  }
  text = new TextDecoder().decode((await next).value);
  if (text.trim() !== "status 0") throw new Error(`${cmd.join(" ")}: ${text.trim()}`);
}

async function measure(r: Running, cmd: string[]): Promise<Cpu> {
  const c0 = cpu(r);
  await inShell(cmd, () => threadsNs(r.proc.pid));
  await idle(r.proc.pid, 1500);
  return minus(cpu(r), c0);
}

const execs = (n: number) => [bin("exec-storm"), "-n", String(n), ...EXEC_TARGET];
const forks = (n: number) => [bin("fork-storm"), "-n", String(n)];
const threads = (n: number) => [bin("thread-storm"), "-n", String(n)];

type Row = Record<string, number[]>;
const rows = new Map<string, Row>(binaries.map((b) => [b, {}]));
const add = (b: string, k: string, v: number) => (rows.get(b)![k] ??= []).push(v);

try {
  for (let i = 0; i < rounds; i++) {
    const order = binaries.map((_, k) => binaries[(k + i) % binaries.length]!);
    for (const b of order) {
      const r = await launch({
        id: b,
        label: b,
        kind: "tracer",
        argv: [b, "--json", ...extra, "--pid-tree", String(shell.pid), "-o", "/dev/null"],
      });
      try {
        add(b, "ready ms", r.startupMs);
        await idle(r.proc.pid, 1500);
        const first = await measure(r, execs(3000));
        const next = await measure(r, execs(3000));
        add(b, "first 3k ms", total(first) / 1e6);
        add(b, "  1st jit ms", first.jit / 1e6);
        add(b, "next 3k ms", total(next) / 1e6);
        add(b, "  2nd jit ms", next.jit / 1e6);
        add(b, "warm-up ms", (total(first) - total(next)) / 1e6);
        await measure(r, forks(2000));
        await measure(r, threads(5000));
        const e = await measure(r, execs(spawns));
        add(b, "exec µs", total(e) / spawns / 1e3);
        add(b, "  main", e.main / spawns / 1e3);
        add(b, "  jit thr", e.jit / spawns / 1e3);
        add(b, "  other thr", e.other / spawns / 1e3);
        add(b, "  bpf", e.bpf / spawns / 1e3);
        const f = await measure(r, forks(spawns));
        add(b, "fork µs", total(f) / spawns / 1e3);
        add(b, "  f main+oth", (f.main + f.jit + f.other) / spawns / 1e3);
        const t = await measure(r, threads(3 * spawns));
        add(b, "thread µs", total(t) / (3 * spawns) / 1e3);
        add(b, "  t main+oth", (t.main + t.jit + t.other) / (3 * spawns) / 1e3);
      } finally {
        await stop(r);
      }
      process.stderr.write(
        `round ${i + 1} ${b}: ${Object.entries(rows.get(b)!)
          .map(([k, v]) => `${k.trim()} ${v.at(-1)!.toFixed(1)}`)
          .join(", ")}\n`,
      );
    }
  }
} finally {
  restore();
  shell.kill();
}

const median = (v: number[]) => {
  const s = [...v].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const keys = Object.keys(rows.get(binaries[0]!)!);
let out = `medians of ${rounds} rounds (min–max)\n${"".padEnd(14)}${binaries.map((b) => b.slice(-28).padStart(30)).join("")}\n`;
for (const k of keys) {
  out += k.padEnd(14);
  for (const b of binaries) {
    const v = rows.get(b)![k]!;
    out += `${median(v).toFixed(1)} (${Math.min(...v).toFixed(1)}–${Math.max(...v).toFixed(1)})`.padStart(30);
  }
  out += "\n";
}
process.stdout.write(out);
