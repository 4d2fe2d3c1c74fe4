// Start a tracer or a peer in a memory cgroup of its own, know when it is ready, sample its CPU
// (its threads', its BPF programs' run time) and memory, stop it.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import type { Subprocess } from "bun";
import type { Config } from "./configs";
import { counters as C, record_kind as K } from "../src/decode/layout.gen";
import { perfAttachments } from "./attachments";
import { auditCleanup, auditdArgv, auditFree, auditReady, auditTeardown, kauditdPid } from "./audit-peer";
import { progIds, progRunNs } from "./bpf-stats";
import { createMemCgroup, type MemCgroup } from "./memcg";

export interface KernelSummary {
  events: Record<string, { emitted: number; lost: number; filtered: number }>;
  decoded: number;
  malformed: number;
  scratchClash: number;
}

export interface Running {
  config: Config;
  proc: Subprocess<"ignore", "ignore" | "pipe", "pipe">;
  /** Launch → ready: the tracer's "ready" line; perf peers: all their tracepoints attached;
   * auditd: registered with the kernel and its rule added. */
  startupMs: number;
  /** Its own memory cgroup (null where the machine has none to give). */
  memcg: MemCgroup | null;
  /** Processes whose CPU counts as the tool's (auditd: also the kernel's kauditd thread). */
  cpuPids: number[];
  /** Its BPF programs (ids), whose run time counts as its CPU too. */
  progs: number[];
  stderr: () => string;
  /** Resolves once stderr reached its end. */
  stderrDone: Promise<void>;
}

export interface Stopped {
  exitCode: number | null;
  /** utime + stime of the whole run (rusage at exit), seconds. */
  cpuTotalS: number;
  summary: KernelSummary | null;
  stderr: string;
}

const READY_TIMEOUT_MS = 30_000;

/** Collect a stream's text as it arrives; resolves `until` once pred(text) holds. */
function pump(stream: ReadableStream<Uint8Array>, pred: (s: string) => boolean) {
  const dec = new TextDecoder();
  let text = "";
  let hit: (v: boolean) => void = () => {};
  const until = new Promise<boolean>((r) => (hit = r));
  const done = (async () => {
    for await (const chunk of stream) {
      text += dec.decode(chunk, { stream: true });
      if (pred(text)) hit(true);
    }
    hit(false);
  })();
  return { text: () => text, until, done };
}

/** o.memcg false: no memory cgroup (no /bin/sh wrapper whose start would count in the tool's
 * rusage: the fresh run's total). */
export async function launch(
  config: Config,
  env?: Record<string, string>,
  o: { memcg?: boolean } = {},
): Promise<Running> {
  const audit = config.kind === "auditd";
  if (audit) auditFree();
  const argv = audit ? auditdArgv() : config.argv;
  const memcg = o.memcg === false ? null : createMemCgroup();
  const t0 = performance.now();
  const proc = Bun.spawn(memcg ? memcg.wrap(argv) : argv, {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  const err = pump(proc.stderr, (s) => s.includes("ready\n"));
  let ready: Promise<boolean>;
  if (config.kind === "tracer") {
    ready = err.until;
  } else if (audit) {
    ready = (async () => {
      while (proc.exitCode === null && performance.now() - t0 < READY_TIMEOUT_MS) {
        if (auditReady(proc.pid)) return true;
        await Bun.sleep(2);
      }
      return false;
    })();
  } else {
    // bpftrace -o /dev/null sends its "Attaching N probes" line there too: watch the attachments.
    const want = config.tracepoints ?? [];
    ready = (async () => {
      while (proc.exitCode === null && performance.now() - t0 < READY_TIMEOUT_MS) {
        const have = perfAttachments(proc.pid);
        if (want.every((t) => have.includes(t))) return true;
        await Bun.sleep(2);
      }
      return false;
    })();
  }
  let timer: Timer | undefined;
  const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), READY_TIMEOUT_MS)));
  const ok = await Promise.race([ready, timeout, proc.exited.then(() => false)]);
  clearTimeout(timer);
  const startupMs = performance.now() - t0;
  if (!ok) {
    if (audit) auditTeardown();
    proc.kill("SIGKILL");
    await proc.exited;
    if (audit) auditCleanup();
    await memcg?.remove();
    throw new Error(`${config.id}: not ready after ${startupMs.toFixed(0)} ms: ${err.text().trim()}`);
  }
  const kauditd = audit ? kauditdPid() : null;
  const cpuPids = kauditd === null ? [proc.pid] : [proc.pid, kauditd];
  return { config, proc, startupMs, memcg, cpuPids, progs: progIds(proc.pid), stderr: err.text, stderrDone: err.done };
}

/** The tool's CPU so far: its processes' threads, and its BPF programs' run time (with
 * kernel.bpf_stats_enabled on), nanoseconds. */
export function toolCpuNs(r: Running): { consumerNs: number; bpfNs: number } {
  return { consumerNs: consumerCpuS(r) * 1e9, bpfNs: progRunNs(r.progs) };
}

/** The tool's processes' CPU so far (not its BPF programs'), seconds. */
export function consumerCpuS(r: Running): number {
  return r.cpuPids.reduce((a, p) => a + cpuSeconds(p), 0);
}

/** CPU time (user + system) of every live thread of pid so far, seconds: from schedstat, in ns
 * (/proc/PID/stat counts in 10 ms ticks, too coarse for a 1 s run's share of a tool). */
export function cpuSeconds(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // the thread just exited
    }
  }
  return ns / 1e9;
}

/** Events the tracer's programs have emitted so far (its per-CPU "counters" map, summed), read
 * with bpftool through the map id in the tracer's fdinfo; null if not found. */
export function emittedSoFar(pid: number): number | null {
  let id = -1;
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    let info = "";
    try {
      info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8");
    } catch {
      continue;
    }
    // BPF_MAP_TYPE_PERCPU_ARRAY (6) with struct counters' value size
    if (/^map_type:\s+6$/m.test(info) && new RegExp(`^value_size:\\s+${C.$size}$`, "m").test(info)) {
      id = Number(/^map_id:\s+(\d+)/m.exec(info)?.[1] ?? -1);
      break;
    }
  }
  if (id < 0) return null;
  const p = Bun.spawnSync(["bpftool", "-j", "map", "dump", "id", String(id)], { stdout: "pipe", stderr: "ignore" });
  if (p.exitCode !== 0) return null;
  let total = 0;
  for (const entry of JSON.parse(p.stdout.toString()) as { values: { value: string[] }[] }[]) {
    for (const v of entry.values) {
      const bytes = Uint8Array.from(v.value.map((h) => parseInt(h, 16)));
      const dv = new DataView(bytes.buffer);
      for (let k = 0; k < K.KIND_MAX; k++) total += Number(dv.getBigUint64(C.emitted + 8 * k, true));
    }
  }
  return total;
}

/** Wait until the process has used (almost) no CPU for two 50 ms windows in a row (its start-up
 * tail, JIT compilation and backlog are done), at most maxMs. */
export async function idle(pid: number, maxMs = 1500): Promise<void> {
  const end = performance.now() + maxMs;
  let quiet = 0;
  let c = cpuSeconds(pid);
  while (quiet < 2 && performance.now() < end) {
    await Bun.sleep(50);
    const n = cpuSeconds(pid);
    quiet = n - c < 0.002 ? quiet + 1 : 0;
    c = n;
  }
}

/** Peak resident set (VmHWM) so far, KiB. */
export function peakRssKb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

export interface RssParts {
  /** Pages of the executable (the tracer binary, or bpftrace and its libraries' text). */
  programKb: number;
  /** BPF map mappings: the ring buffer's data area is mapped twice, every page resident. */
  bpfMapsKb: number;
  anonKb: number;
  otherKb: number;
}

/** Resident memory now, by kind of mapping (from /proc/PID/smaps). */
export function rssParts(pid: number): RssParts {
  const exe = readlinkSafe(`/proc/${pid}/exe`);
  const parts: RssParts = { programKb: 0, bpfMapsKb: 0, anonKb: 0, otherKb: 0 };
  let kind: keyof RssParts = "otherKb";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[1]!;
      kind =
        name === exe
          ? "programKb"
          : name.startsWith("anon_inode:bpf-map")
            ? "bpfMapsKb"
            : name === "" || name.startsWith("[heap]") || name.startsWith("[stack")
              ? "anonKb"
              : "otherKb";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) parts[kind] += Number(rss[1]);
  }
  return parts;
}

function readlinkSafe(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return "";
  }
}

/** The tracer's --stats --json line ({"summary": ...}) from its stderr. */
export function parseSummary(stderr: string): KernelSummary | null {
  const line = stderr
    .split("\n")
    .reverse()
    .find((l) => l.startsWith('{"summary"'));
  return line ? (JSON.parse(line).summary as KernelSummary) : null;
}

/** SIGTERM (bash leaves SIGINT ignored in background jobs; both tools treat TERM like INT), wait, collect. */
export async function stop(r: Running): Promise<Stopped> {
  const audit = r.config.kind === "auditd";
  if (audit) auditTeardown();
  r.proc.kill("SIGTERM");
  const exitCode = await r.proc.exited;
  if (audit) auditCleanup();
  await r.memcg?.remove();
  const u = r.proc.resourceUsage();
  await r.stderrDone;
  const stderr = r.stderr();
  return {
    exitCode,
    cpuTotalS: u ? Number(u.cpuTime.total) / 1e6 : NaN,
    summary: r.config.kind === "tracer" ? parseSummary(stderr) : null,
    stderr,
  };
}
