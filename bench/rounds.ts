// Interleaved A/B rounds. The host's speed drifts by ±15% over seconds (shared VM), so every
// configuration's run sits between two runs with no tracer and is compared with their geometric
// mean:  none c1 none c2 none ... (each "none" serves the runs on both sides of it). The order of
// the configurations rotates by one each round. A round during which someone else's tracing
// program was attached, or others used more than FOREIGN_LOAD of a CPU, is measured again
// (within 20% more time than planned).
import { readFileSync } from "node:fs";
import { CONFIGS, type Config } from "./configs";
import { foreignAttachments } from "./attachments";
import {
  emittedSoFar,
  idle,
  launch,
  peakRssKb,
  rssParts,
  stop,
  toolCpuNs,
  consumerCpuS,
  type RssParts,
  type Running,
} from "./launch";
import { PEER_WARMUP, runWorkload, TRACER_WARMUP, type Sample, type WorkCounts, type Workload } from "./workloads";

/** Someone else's CPU use (fraction of one CPU over a run) above which a round is measured again. */
const FOREIGN_LOAD = 0.1;

export interface RoundOptions {
  rounds: number; // clean rounds wanted
  seconds: number; // per timed run
  settleMs: number; // after the warm-up and the tracer being idle, before the workload
  log: (line: string) => void;
}

export interface Trial {
  config: string;
  rate: number; // workload units per second
  counts: WorkCounts;
  /** The no-tracer runs just before and just after, and rate ÷ their geometric mean. */
  neighbours: [number, number];
  ratio: number;
  startupMs: number | null;
  /** SIGTERM → exit (detach, drain, summary). */
  stopMs: number | null;
  /** The tool's own CPU (its threads; auditd: and kauditd's) from the workload's start until it
   * was idle again after it (its backlog included), seconds. */
  consumerS: number | null;
  /** Its BPF programs' run time over the same window (kernel.bpf_stats_enabled), seconds. */
  bpfS: number | null;
  /** Events it delivered for the run: the tracer's kernel counters (emitted), a peer's one per
   * workload exec. */
  events: number | null;
  /** Events the tracer's programs emitted while the workload ran (kernel counters). */
  emitted: number | null;
  /** Lost over the tracer's whole run (warm-up included), from --stats. */
  lost: number | null;
  peakRssKb: number | null;
  /** Peak charge of its own memory cgroup over its whole run (KiB), null without one. */
  memcgPeakKb: number | null;
  /** Resident memory by kind just before stopping (not the peak). */
  rssAtEnd: RssParts | null;
  exitCode: number | null;
  /** CPU used by others during the run (busy − workload − tracer − runner), fraction of one CPU. */
  foreignLoad: number;
}

export interface Round {
  index: number;
  order: string[];
  trials: Trial[];
  /** Rates of the no-tracer runs of this round, the one before its first trial included. */
  baselines: number[];
  baselineLoads: number[];
  /** Foreign tracing attachments seen before or after a trial, or runs during which others used
   * more than FOREIGN_LOAD of a CPU (then the round is not used). */
  foreign: string[];
  loadavg: number;
}

function loadavg(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

/** A launch can fail for reasons that are not the configuration's (the verifier gives up with
 * EAGAIN when a signal is pending); try up to three times, saying so. */
async function launchRetrying(config: Config, log: (s: string) => void): Promise<Running> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(config);
    } catch (e) {
      if (attempt === 3) throw e;
      log(`${config.id}: launch failed (${(e as Error).message.split("\n")[0]}), again`);
      await Bun.sleep(500);
    }
  }
}

type Measured = Omit<Trial, "neighbours" | "ratio">;

/** Others' CPU during a run, as a fraction of one CPU; `ownS` is the tracer's share. */
function foreignLoad(s: Sample, ownS: number): number {
  return Math.max(0, s.busyS - s.cpuS - s.runnerS - ownS) / (s.counts.ns / 1e9);
}

async function traced(w: Workload, config: Config, o: RoundOptions, foreign: string[]): Promise<Measured> {
  foreign.push(...foreignAttachments());
  const r = await launchRetrying(config, o.log);
  const tracer = config.kind === "tracer";
  for (const cmd of tracer ? TRACER_WARMUP : PEER_WARMUP) Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore" });
  await idle(r.proc.pid);
  await Bun.sleep(o.settleMs);
  const e0 = tracer ? emittedSoFar(r.proc.pid) : null;
  const tool0 = toolCpuNs(r);
  let sample: Sample;
  try {
    sample = await runWorkload(w, o.seconds);
  } catch (e) {
    await stop(r);
    throw e;
  }
  const toolInRun = consumerCpuS(r) - tool0.consumerNs / 1e9;
  await idle(r.proc.pid, 1000); // its backlog of the run
  const tool1 = toolCpuNs(r);
  const e1 = tracer ? emittedSoFar(r.proc.pid) : null;
  const emitted = e0 !== null && e1 !== null ? e1 - e0 : null;
  const rss = peakRssKb(r.proc.pid);
  const memcgPeakKb = r.memcg ? r.memcg.peakKb() : null;
  const parts = rssParts(r.proc.pid);
  const t0 = performance.now();
  const s = await stop(r);
  const stopMs = performance.now() - t0;
  foreign.push(...foreignAttachments());
  const sum = s.summary;
  return {
    config: config.id,
    rate: sample.rate,
    counts: sample.counts,
    startupMs: r.startupMs,
    stopMs,
    consumerS: (tool1.consumerNs - tool0.consumerNs) / 1e9,
    bpfS: (tool1.bpfNs - tool0.bpfNs) / 1e9,
    events: tracer ? emitted : config.eventsPerExec !== undefined ? config.eventsPerExec * sample.counts.execs : null,
    emitted,
    lost: sum ? Object.values(sum.events).reduce((a, e) => a + e.lost, 0) + sum.scratchClash : null,
    peakRssKb: rss,
    memcgPeakKb,
    rssAtEnd: parts,
    exitCode: s.exitCode,
    foreignLoad: foreignLoad(sample, toolInRun),
  };
}

const EXTRA_TIME = 0.2;

const rotate = <T>(a: T[], k: number): T[] => a.map((_, i) => a[(i + k) % a.length]!);

export async function measureWorkload(w: Workload, o: RoundOptions): Promise<Round[]> {
  await runWorkload(w, Math.min(o.seconds, 0.3)); // warm-up: page cache, first build
  const configs = w.configs.filter((c) => c !== "none");
  const rounds: Round[] = [];
  const first = await runWorkload(w, o.seconds);
  let base = first.rate;
  let baseLoad = foreignLoad(first, 0);
  let clean = 0;
  const t0 = performance.now();
  for (let i = 0; clean < o.rounds; i++) {
    // Rounds measured again stay within EXTRA_TIME of the planned time (the suite has 10 minutes).
    const perRound = i > 0 ? (performance.now() - t0) / i : 0;
    if (i >= o.rounds && performance.now() + perRound > t0 + (1 + EXTRA_TIME) * o.rounds * perRound) break;
    const order = rotate(configs, i % configs.length);
    const foreign: string[] = [];
    const trials: Trial[] = [];
    const baselines = [base];
    const baselineLoads = [baseLoad];
    for (const c of order) {
      const m = await traced(w, CONFIGS[c]!, o, foreign);
      const s = await runWorkload(w, o.seconds);
      trials.push({ ...m, neighbours: [base, s.rate], ratio: m.rate / Math.sqrt(base * s.rate) });
      base = s.rate;
      baseLoad = foreignLoad(s, 0);
      baselines.push(base);
      baselineLoads.push(baseLoad);
    }
    const load = Math.max(...baselineLoads, ...trials.map((t) => t.foreignLoad));
    if (load > FOREIGN_LOAD) foreign.push(`others used ${load.toFixed(2)} CPU`);
    const round = {
      index: i,
      order,
      trials,
      baselines,
      baselineLoads,
      foreign: [...new Set(foreign)],
      loadavg: loadavg(),
    };
    rounds.push(round);
    if (round.foreign.length === 0) clean++;
    const parts = trials.map((t) => `${t.config} ${t.ratio.toFixed(3)}`);
    o.log(
      `${w.id} round ${i + 1}: none ${fmtRate(baselines[0]!)}, ${parts.join(", ")}${round.foreign.length ? `  [foreign tracers: ${round.foreign.join("; ")}]` : ""}`,
    );
  }
  return rounds;
}

export function fmtRate(r: number): string {
  return r >= 100 ? Math.round(r).toLocaleString("en") + "/s" : r.toFixed(3) + "/s";
}
