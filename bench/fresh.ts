// The fresh run, as in CI: a fresh tool starts, is ready, sees 3,000 sequential posix_spawns of a
// static true with 3 args, goes idle and exits. Per round, the tracer (all events) and execsnoop
// -x in turn (order rotating), each between runs of the same spawns with no tool.
//
// What a run costs the machine, everything included:
// - the tool's own CPU from launch to exit: rusage at exit (all its threads, those that exited
//   included, µs);
// - where it went: each thread's CPU (/proc/PID/task/TID/schedstat, ns, sampled every 10 ms so a
//   thread that exits keeps its last reading), by thread: the main thread, JavaScriptCore's JIT
//   threads (named JITWorker), the others; at `ready` and once idle after the spawns; the rest of
//   the rusage total is its shutdown;
// - its BPF programs' run time (ids from its /proc/PID/fdinfo, kernel.bpf_stats_enabled). Two
//   things inflate run_time_ns on a busy host, and both made execsnoop look 6x dearer than it is
//   in the bench run of 2026-12-02 (29.7 µs per spawn; 4–5 µs quiet): every program runs for every
//   exec on the machine, not only the workload's (11,640 runs of execsnoop's sys_enter_execve
//   during 3,000 spawns on 2026-12-07, with other jobs building), and tracepoint programs are
//   preemptible on this kernel, so a run that waited for the CPU counts the wait. Others' execs
//   (compilers' long command lines) also cost a tool more per run than the workload's. Hence
//   "BPF" here = Σ over programs of (lower quartile over 2 ms windows of the window's ns per run,
//   weighted by runs: windows of the workload's runs alone, not preempted) × (its runs, at most
//   one per spawn: each of both tools' programs runs once per posix_spawn); the same estimate for
//   both tools; the raw sum is reported beside it, and the execs others made during the run
//   ("foreign execs").
// Instruction counts would be steadier still, but this VM has no hardware counters (`perf stat
// -e instructions`: not supported).
import { readdirSync, readFileSync } from "node:fs";
import { CONFIGS } from "./configs";
import { emittedSoFar, idle, launch, stop } from "./launch";
import { spread, type Spread } from "./summary";
import { EXEC_TARGET, bin, machineBusyS, parseCounts } from "./workloads";

export const FRESH_CONFIGS = ["all", "execsnoop"];
export const FRESH_SPAWNS = 3000;
const SAMPLE_MS = 10;
const WINDOW_US = 2000;

/** CPU of a tool's threads, ns: its main thread, JavaScriptCore's JIT threads, the others. */
export interface ThreadCpu {
  main: number;
  jit: number;
  other: number;
}

export interface ProgramRuns {
  runs: number;
  /** run_time_ns ÷ runs over the spawns. */
  meanNs: number;
  /** Lower quartile over 2 ms windows of the window's ns per run (weighted by runs). */
  robustNs: number;
}

export interface FreshRun {
  config: string;
  round: number;
  startupMs: number;
  /** CPU to ready (threads' schedstat), ms. */
  readyCpuMs: number;
  /** CPU from ready until idle after the spawns, by thread kind, ms. */
  spawns: ThreadCpu;
  /** Own CPU of the whole run, launch → exit (rusage), ms. */
  ownMs: number;
  /** ownMs − ready − spawns: stopping (detach, drain, summary) and anything not sampled. */
  shutdownMs: number;
  programs: Record<string, ProgramRuns>;
  /** BPF run time of the spawns: robust (see above) and raw (run_time_ns of every run), ms. */
  bpfMs: number;
  bpfRawMs: number;
  /** ownMs + bpfMs. */
  totalMs: number;
  /** Wall time of the spawns (the workload's own clock), ms, and ÷ the no-tool runs around it. */
  spawnWallMs: number;
  ratio: number;
  /** Events it handled over the spawns: the tracer's kernel counters; a peer: one per exec (its
   * busiest program's runs). Others' execs are events too: on a busy host both tools do more. */
  events: number;
  /** Execs by other processes while the spawns ran (runs of the tool's busiest program − spawns). */
  foreignExecs: number;
  /** Others' CPU during the spawns, fraction of one CPU. */
  foreignLoad: number;
}

export interface FreshFigures {
  config: string;
  runs: number;
  quietRuns: number;
  startupMs: Spread;
  readyCpuMs: Spread;
  /** µs per spawn. */
  mainUs: Spread;
  jitUs: Spread;
  otherUs: Spread;
  bpfUs: Spread;
  bpfRawUs: Spread;
  shutdownMs: Spread;
  /** Own CPU over the spawns per event handled, µs. */
  ownPerEventUs: Spread;
  totalMs: Spread;
  /** The lowest total of a quiet round (none quiet: of all), ms. */
  totalQuietMinMs: number;
  ratio: Spread;
  /** This configuration's total ÷ execsnoop's, round by round. */
  vsExecsnoop: Spread | null;
  /** Per program: runs during the spawns, robust and mean ns per run (medians over the rounds). */
  programs: Record<string, { runs: number; robustNs: number; meanNs: number }>;
}

/** Thread CPU of one process, kept per tid across samples (an exited thread keeps its last). */
class ThreadSampler {
  private last = new Map<number, { ns: number; kind: keyof ThreadCpu }>();
  private timer: Timer;

  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  sample(): void {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${this.pid}/task`);
    } catch {
      return; // gone
    }
    for (const t of tids) {
      const tid = Number(t);
      try {
        const ns = Number(readFileSync(`/proc/${this.pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
        let kind = this.last.get(tid)?.kind;
        if (!kind) {
          const comm = readFileSync(`/proc/${this.pid}/task/${t}/comm`, "utf8").trim();
          kind = tid === this.pid ? "main" : comm.startsWith("JITWorker") ? "jit" : "other";
        }
        this.last.set(tid, { ns, kind });
      } catch {
        // the thread exited between the listing and the read
      }
    }
  }

  now(): ThreadCpu {
    this.sample();
    const c: ThreadCpu = { main: 0, jit: 0, other: 0 };
    for (const v of this.last.values()) c[v.kind] += v.ns;
    return c;
  }

  close(): void {
    clearInterval(this.timer);
  }
}

const minus = (a: ThreadCpu, b: ThreadCpu): ThreadCpu => ({
  main: a.main - b.main,
  jit: a.jit - b.jit,
  other: a.other - b.other,
});
const sum = (c: ThreadCpu) => c.main + c.jit + c.other;

/** Start bench/workloads/prog-sampler on these programs; stop() gives its samples. */
function sampleProgs(ids: number[]) {
  const p = Bun.spawn([bin("prog-sampler"), String(WINDOW_US), ...ids.map(String)], { stdout: "pipe", stderr: "pipe" });
  return {
    async stop(): Promise<number[][]> {
      p.kill("SIGTERM");
      const [out, err, code] = await Promise.all([
        new Response(p.stdout).text(),
        new Response(p.stderr).text(),
        p.exited,
      ]);
      if (code !== 0) throw new Error(`prog-sampler: exit ${code}: ${err.trim()}`);
      return out
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(" ").map(Number));
    },
  };
}

const QUANTILE = 0.25;

/** Weighted q-quantile of xs (weights ws). */
function weightedQuantile(xs: number[], ws: number[], q: number): number {
  const idx = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const at = ws.reduce((a, b) => a + b, 0) * q;
  let acc = 0;
  for (const i of idx) {
    acc += ws[i]!;
    if (acc >= at) return xs[i]!;
  }
  return NaN;
}

/** Per program (by position in ids): runs, mean and robust ns per run between the first and last sample. */
function programRuns(samples: number[][], names: string[]): Record<string, ProgramRuns> {
  const out: Record<string, ProgramRuns> = {};
  if (samples.length < 2) return out;
  const first = samples[0]!,
    last = samples.at(-1)!;
  names.forEach((name, k) => {
    const c = 1 + 2 * k,
      n = 2 + 2 * k;
    const runs = last[c]! - first[c]!;
    if (runs <= 0) return;
    const xs: number[] = [],
      ws: number[] = [];
    for (let i = 1; i < samples.length; i++) {
      const dc = samples[i]![c]! - samples[i - 1]![c]!;
      if (dc > 0) {
        xs.push((samples[i]![n]! - samples[i - 1]![n]!) / dc);
        ws.push(dc);
      }
    }
    const prev = out[name];
    const r = { runs, meanNs: (last[n]! - first[n]!) / runs, robustNs: weightedQuantile(xs, ws, QUANTILE) };
    // two programs of one name (none today): add runs, keep the dearer per-run figures
    out[name] = prev
      ? {
          runs: prev.runs + r.runs,
          meanNs: Math.max(prev.meanNs, r.meanNs),
          robustNs: Math.max(prev.robustNs, r.robustNs),
        }
      : r;
  });
  return out;
}

function progNames(ids: number[]): string[] {
  const p = Bun.spawnSync(["bpftool", "-j", "prog", "show"], { stdout: "pipe", stderr: "ignore" });
  const byId = new Map(
    (JSON.parse(p.stdout.toString() || "[]") as { id: number; name: string }[]).map((x) => [x.id, x.name]),
  );
  return ids.map((id) => byId.get(id) ?? `prog ${id}`);
}

interface Spawns {
  wallMs: number;
  cpuS: number;
  busyS: number;
}

/** FRESH_SPAWNS posix_spawns, awaited (so the samplers keep running). */
async function spawns(): Promise<Spawns> {
  const busy0 = machineBusyS();
  const p = Bun.spawn([bin("exec-storm"), "-n", String(FRESH_SPAWNS), ...EXEC_TARGET], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`exec-storm: exit ${code}: ${err.trim()}`);
  const c = parseCounts(out);
  if (c.ops !== FRESH_SPAWNS) throw new Error(`exec-storm: ${c.ops} spawns, not ${FRESH_SPAWNS}`);
  return {
    wallMs: c.ns / 1e6,
    cpuS: Number(p.resourceUsage()?.cpuTime.total ?? 0) / 1e6,
    busyS: machineBusyS() - busy0,
  };
}

async function freshRun(config: string, round: number): Promise<Omit<FreshRun, "ratio">> {
  const r = await launch(CONFIGS[config]!, undefined, { memcg: false });
  const threads = new ThreadSampler(r.proc.pid);
  try {
    const atReady = threads.now();
    const names = progNames(r.progs);
    const tracer = CONFIGS[config]!.kind === "tracer";
    const e0 = tracer ? emittedSoFar(r.proc.pid) : null;
    const sampler = sampleProgs(r.progs);
    await Bun.sleep((2 * WINDOW_US) / 1000); // a first sample before the spawns
    const runner0 = process.cpuUsage();
    const s = await spawns();
    await idle(r.proc.pid, 1500);
    const runnerS = (() => {
      const u = process.cpuUsage(runner0);
      return (u.user + u.system) / 1e6;
    })();
    const samples = await sampler.stop();
    const e1 = tracer ? emittedSoFar(r.proc.pid) : null;
    const atIdle = threads.now();
    const spawnCpu = minus(atIdle, atReady);
    const st = await stop(r);
    const ownMs = st.cpuTotalS * 1000;
    const programs = programRuns(samples, names);
    let bpfMs = 0,
      bpfRawMs = 0,
      busiest = 0;
    for (const p of Object.values(programs)) {
      bpfMs += (p.robustNs * Math.min(p.runs, FRESH_SPAWNS)) / 1e6;
      bpfRawMs += (p.meanNs * p.runs) / 1e6;
      busiest = Math.max(busiest, p.runs);
    }
    const toolS = sum(spawnCpu) / 1e9;
    return {
      config,
      round,
      startupMs: r.startupMs,
      readyCpuMs: sum(atReady) / 1e6,
      spawns: { main: spawnCpu.main / 1e6, jit: spawnCpu.jit / 1e6, other: spawnCpu.other / 1e6 },
      ownMs,
      shutdownMs: ownMs - sum(atIdle) / 1e6,
      programs,
      bpfMs,
      bpfRawMs,
      totalMs: ownMs + bpfMs,
      spawnWallMs: s.wallMs,
      events: e0 !== null && e1 !== null ? e1 - e0 : busiest,
      foreignExecs: Math.max(0, busiest - FRESH_SPAWNS),
      foreignLoad: Math.max(0, s.busyS - s.cpuS - toolS - runnerS) / (s.wallMs / 1000),
    };
  } finally {
    threads.close();
  }
}

/** A round is quiet when others made fewer execs than 1% of the spawns and used < 0.1 CPU. */
export const quiet = (r: Pick<FreshRun, "foreignExecs" | "foreignLoad">) =>
  r.foreignExecs < FRESH_SPAWNS / 100 && r.foreignLoad < 0.1;

export async function measureFresh(
  rounds: number,
  log: (s: string) => void,
  configs = FRESH_CONFIGS,
): Promise<{ runs: FreshRun[]; figures: FreshFigures[] }> {
  const runs: FreshRun[] = [];
  let none = (await spawns()).wallMs;
  for (let i = 0; i < rounds; i++) {
    const order = configs.map((_, k) => configs[(k + i) % configs.length]!);
    for (const c of order) {
      const run = await freshRun(c, i);
      const after = (await spawns()).wallMs;
      const full: FreshRun = { ...run, ratio: Math.sqrt(none * after) / run.spawnWallMs };
      none = after;
      runs.push(full);
      log(
        `fresh ${c} round ${i + 1}: total ${full.totalMs.toFixed(0)} ms (own ${full.ownMs.toFixed(0)}: ready ${full.readyCpuMs.toFixed(0)}, spawns main ${full.spawns.main.toFixed(0)} + JIT ${full.spawns.jit.toFixed(0)} + other ${full.spawns.other.toFixed(0)}, shutdown ${full.shutdownMs.toFixed(0)}; BPF ${full.bpfMs.toFixed(1)}, raw ${full.bpfRawMs.toFixed(1)}), wall ratio ${full.ratio.toFixed(3)}; ${full.events} events; foreign execs ${full.foreignExecs}, load ${full.foreignLoad.toFixed(2)}${quiet(full) ? "" : " [not quiet]"}`,
      );
    }
  }
  return { runs, figures: freshFigures(runs, configs) };
}

export function freshFigures(runs: FreshRun[], configs: string[]): FreshFigures[] {
  const per = (us: number) => (us * 1000) / FRESH_SPAWNS; // ms over the spawns → µs per spawn
  const snoop = new Map(runs.filter((r) => r.config === "execsnoop").map((r) => [r.round, r.totalMs]));
  return configs.map((config) => {
    const rs = runs.filter((r) => r.config === config);
    const q = rs.filter(quiet);
    const vs = rs.filter((r) => snoop.has(r.round)).map((r) => r.totalMs / snoop.get(r.round)!);
    return {
      config,
      runs: rs.length,
      quietRuns: q.length,
      startupMs: spread(rs.map((r) => r.startupMs)),
      readyCpuMs: spread(rs.map((r) => r.readyCpuMs)),
      mainUs: spread(rs.map((r) => per(r.spawns.main))),
      jitUs: spread(rs.map((r) => per(r.spawns.jit))),
      otherUs: spread(rs.map((r) => per(r.spawns.other))),
      bpfUs: spread(rs.map((r) => per(r.bpfMs))),
      bpfRawUs: spread(rs.map((r) => per(r.bpfRawMs))),
      shutdownMs: spread(rs.map((r) => r.shutdownMs)),
      ownPerEventUs: spread(rs.map((r) => (1000 * (r.spawns.main + r.spawns.jit + r.spawns.other)) / r.events)),
      totalMs: spread(rs.map((r) => r.totalMs)),
      totalQuietMinMs: Math.min(...(q.length ? q : rs).map((r) => r.totalMs)),
      ratio: spread(rs.map((r) => r.ratio)),
      vsExecsnoop: config === "execsnoop" || vs.length === 0 ? null : spread(vs),
      programs: Object.fromEntries(
        [...new Set(rs.flatMap((r) => Object.keys(r.programs)))].map((name) => {
          const ps = rs.map((r) => r.programs[name]).filter((p) => p !== undefined);
          return [
            name,
            {
              runs: spread(ps.map((p) => p.runs)).median,
              robustNs: spread(ps.map((p) => p.robustNs)).median,
              meanNs: spread(ps.map((p) => p.meanNs)).median,
            },
          ];
        }),
      ),
    };
  });
}
