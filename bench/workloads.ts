// The workloads: what runs, for how long, under which configurations, and how to read its result.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { COMMON_CONFIGS, OUT } from "./configs";
import { PROJECT_DIR, PROJECT_FILES } from "./project";

/** What a workload reports about itself (bench/workloads/bench.h), or what the runner measured. */
export interface WorkCounts {
  ops: number;
  ns: number;
  procs: number; // processes it created (fork, vfork, posix_spawn; workers included)
  threads: number; // threads it created
  execs: number; // successful execs
}

export interface Workload {
  id: string;
  label: string;
  /** Unit of the throughput figure. */
  unit: string;
  configs: string[];
  /** Clean rounds (each: every configuration once, between no-tracer runs). */
  rounds: number;
  /** Seconds per timed run (a build runs to its end). */
  seconds: number;
  /** Parallel worker processes (1: the workload runs in one process). */
  workers: number;
  /** Command of a timed run (throughput); `seconds` is ignored by a build. */
  timed(seconds: number): string[];
  /** Command of the verification pass: a fixed amount of work. */
  counted: string[];
  /** Untimed preparation before each run (e.g. make clean). */
  prepare?: string[];
  /** The runner times the command itself (a build) instead of reading its result line. */
  wallClock?: boolean;
  /** Extra environment for the command. */
  env?: Record<string, string>;
}

export const bin = (name: string) => join(OUT, name);
/** posix_spawn target: a static true with three arguments. */
export const EXEC_TARGET = [bin("true"), "--alpha", "beta", "gamma"];

interface LoopOptions {
  extra?: string[];
  configs?: string[];
  rounds?: number;
  seconds?: number;
}

function loop(id: string, label: string, unit: string, prog: string, count: number, o: LoopOptions = {}): Workload {
  const extra = o.extra ?? [];
  return {
    id,
    label,
    unit,
    configs: o.configs ?? COMMON_CONFIGS,
    rounds: o.rounds ?? 5,
    seconds: o.seconds ?? 1,
    workers: extra[0] === "-j" ? Number(extra[1]) : 1,
    timed: (s) => [bin(prog), "-d", String(s), ...extra],
    counted: [bin(prog), "-n", String(count), ...extra],
  };
}

export const WORKLOADS: Workload[] = [
  loop("exec-1", "exec storm, 1 worker", "execs/s", "exec-storm", 3000, { extra: EXEC_TARGET }),
  loop("exec-2", "exec storm, 2 workers", "execs/s", "exec-storm", 4000, { extra: ["-j", "2", ...EXEC_TARGET] }),
  loop("fork", "fork storm", "forks/s", "fork-storm", 10000),
  loop("thread", "thread storm", "threads/s", "thread-storm", 50000),
  // Targets of 0.99 need more, shorter rounds than the host's noise allows elsewhere.
  loop("syscall", "syscall loop (getppid)", "syscalls/s", "syscall-loop", 2_000_000, {
    configs: [...COMMON_CONFIGS, "nofail", "floor"],
    rounds: 11,
    seconds: 0.3,
  }),
  {
    id: "build",
    label: `make -j2 (${PROJECT_FILES} C files)`,
    unit: "builds/s",
    configs: COMMON_CONFIGS,
    workers: 2,
    rounds: 5,
    seconds: 0,
    timed: () => ["make", "-C", PROJECT_DIR, "-j2", "-s"],
    counted: ["make", "-C", PROJECT_DIR, "-j2", "-s"],
    prepare: ["make", "-C", PROJECT_DIR, "-s", "clean"],
    wallClock: true,
    env: { PATH: "/usr/bin:/bin" },
  },
];

/** Run under every tracer before it is measured, so that its JIT has compiled the event paths
 * (exec, fork, exit records): a steady state, past the first 3,000 spawns whose warm-up the
 * warm-up pass measures, not the first thousand events of a fresh process. */
export const TRACER_WARMUP = [
  [bin("exec-storm"), "-n", "3000", ...EXEC_TARGET],
  [bin("fork-storm"), "-n", "2000"],
  [bin("thread-storm"), "-n", "5000"],
];

/** The peers are C (no JIT): a short run only, for the same page cache and first touches. */
export const PEER_WARMUP = [[bin("exec-storm"), "-n", "200", ...EXEC_TARGET]];

/** "ops=1 ns=2 procs=3 threads=4 execs=5" → counts (missing keys are 0). */
export function parseCounts(text: string): WorkCounts {
  const get = (k: string) => Number(new RegExp(`\\b${k}=(\\d+)`).exec(text)?.[1] ?? 0);
  return { ops: get("ops"), ns: get("ns"), procs: get("procs"), threads: get("threads"), execs: get("execs") };
}

export interface Sample {
  rate: number; // units per second
  counts: WorkCounts;
  /** CPU seconds the workload used (its children included), and every CPU's busy time and the
   * runner's own CPU over the same window: the rest is someone else's load. */
  cpuS: number;
  busyS: number;
  runnerS: number;
}

/** Busy CPU seconds of the whole machine so far (all but idle and iowait), 10 ms resolution. */
export function machineBusyS(): number {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

function runnerCpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Run a workload once (its preparation untimed) and return its throughput. */
export async function runWorkload(w: Workload, seconds: number): Promise<Sample> {
  const env = { ...process.env, ...w.env };
  if (w.prepare) {
    const p = Bun.spawnSync(w.prepare, { env, stdout: "ignore", stderr: "pipe" });
    if (p.exitCode !== 0) throw new Error(`${w.id}: ${w.prepare.join(" ")}: ${p.stderr.toString()}`);
  }
  const busy0 = machineBusyS();
  const runner0 = runnerCpuS();
  const t0 = Bun.nanoseconds();
  const p = Bun.spawn(w.timed(seconds), { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  const ns = Bun.nanoseconds() - t0;
  const load = {
    cpuS: Number(p.resourceUsage()?.cpuTime.total ?? 0) / 1e6,
    busyS: machineBusyS() - busy0,
    runnerS: runnerCpuS() - runner0,
  };
  if (code !== 0) throw new Error(`${w.id}: exit ${code}: ${err.trim()}`);
  if (w.wallClock) return { rate: 1e9 / ns, counts: { ops: 1, ns, procs: 0, threads: 0, execs: 0 }, ...load };
  const counts = parseCounts(out);
  if (!counts.ns || !counts.ops) throw new Error(`${w.id}: no result line in ${JSON.stringify(out)}`);
  return { rate: (counts.ops * 1e9) / counts.ns, counts, ...load };
}
