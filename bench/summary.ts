// Per-configuration figures of one workload from its rounds: paired ratios and their medians.
import type { RssParts } from "./launch";
import type { Round, Trial } from "./rounds";
import { CONFIGS } from "./configs";

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
  /** Distribution-free confidence interval of the median (order statistics), and its level. */
  lo: number;
  hi: number;
  level: number;
}

const CI_LEVEL = 0.85;

/** P(Binomial(n, 1/2) ≤ k). */
function binomCdf(n: number, k: number): number {
  let c = 1,
    sum = 0;
  for (let i = 0; i <= k; i++) {
    sum += c;
    c = (c * (n - i)) / (i + 1);
  }
  return sum / 2 ** n;
}

export function spread(xs: number[]): Spread {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { median: NaN, min: NaN, max: NaN, n: 0, lo: NaN, hi: NaN, level: 0 };
  const m = n >> 1;
  // Narrowest [x(k), x(n+1-k)] (1-based) still covering the median with probability ≥ CI_LEVEL.
  let k = 1;
  while (k + 1 <= (n + 1) / 2 && 1 - 2 * binomCdf(n, k) >= CI_LEVEL) k++;
  return {
    median: n % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2,
    min: s[0]!,
    max: s[n - 1]!,
    n,
    lo: s[k - 1]!,
    hi: s[n - k]!,
    level: 1 - 2 * binomCdf(n, k - 1),
  };
}

/** A/A check: each no-tracer run inside a round ÷ the geometric mean of the two around it. What a
 * configuration that costs nothing would show: the resolution of this host. */
export function aaNoise(rounds: Round[]): Spread {
  const clean = rounds.filter((r) => r.foreign.length === 0);
  const xs: number[] = [];
  for (const r of clean.length ? clean : rounds) {
    for (let j = 1; j + 1 < r.baselines.length; j++)
      xs.push(r.baselines[j]! / Math.sqrt(r.baselines[j - 1]! * r.baselines[j + 1]!));
  }
  return spread(xs);
}

export interface ConfigSummary {
  config: string;
  /** Workload throughput under this config ÷ the no-tracer runs on either side (geometric mean). */
  ratio: Spread;
  /** Only where the workload has a "floor" config: ratio ÷ the floor's ratio, within each round. */
  vsFloor: Spread | null;
  /** Tracer configs where execsnoop ran too: ratio ÷ execsnoop's ratio, within each round. */
  vsExecsnoop: Spread | null;
  rate: Spread;
  startupMs: Spread | null;
  stopMs: Spread | null;
  /** CPU per workload operation, past warm-up: the tool's own (its threads; auditd: and kauditd)
   * and its BPF programs' run time, µs; and both per event it delivered (the headline). */
  cpu: { consumerUsPerOp: Spread; bpfUsPerOp: Spread; usPerOp: Spread; usPerEvent: Spread; eventsPerOp: number } | null;
  peakRssKb: number | null;
  /** Highest peak charge of its own memory cgroup over the runs. */
  memcgPeakKb: number | null;
  /** Resident memory by kind at the end of the run with the highest peak. */
  rssParts: RssParts | null;
  /** Over every run (flagged rounds included: a loss is a loss). */
  emitted: number | null;
  lost: number | null;
  badExits: number;
}

const MIN_EVENTS = 300;

function cpuFigures(ts: Trial[]): ConfigSummary["cpu"] {
  const ok = ts.filter((t) => t.consumerS !== null && t.bpfS !== null && t.counts.ops > 0);
  if (!ok.length) return null;
  const us = (t: Trial) => (t.consumerS! + t.bpfS!) * 1e6;
  const events = ok.reduce((a, t) => a + (t.events ?? 0), 0);
  const ops = ok.reduce((a, t) => a + t.counts.ops, 0);
  return {
    consumerUsPerOp: spread(ok.map((t) => (t.consumerS! * 1e6) / t.counts.ops)),
    bpfUsPerOp: spread(ok.map((t) => (t.bpfS! * 1e6) / t.counts.ops)),
    usPerOp: spread(ok.map((t) => us(t) / t.counts.ops)),
    // Below MIN_EVENTS a run's events are too few for a per-event figure (peers in a fork storm).
    usPerEvent: spread(ok.map((t) => ((t.events ?? 0) >= MIN_EVENTS ? us(t) / t.events! : NaN))),
    eventsPerOp: events / ops,
  };
}

const of = (r: Round, c: string): Trial | undefined => r.trials.find((t) => t.config === c);

export function summarize(configs: string[], rounds: Round[]): ConfigSummary[] {
  const clean = rounds.filter((r) => r.foreign.length === 0);
  const used = clean.length > 0 ? clean : rounds;
  const hasFloor = configs.includes("floor");
  const hasExecsnoop = configs.includes("execsnoop");
  return configs.map((c) => {
    if (c === "none") {
      const rates = used.flatMap((r) => r.baselines);
      const one = { median: 1, min: 1, max: 1, n: rates.length, lo: 1, hi: 1, level: 1 };
      return {
        config: c,
        ratio: one,
        vsFloor: null,
        rate: spread(rates),
        startupMs: null,
        stopMs: null,
        vsExecsnoop: null,
        cpu: null,
        peakRssKb: null,
        memcgPeakKb: null,
        rssParts: null,
        emitted: null,
        lost: null,
        badExits: 0,
      };
    }
    const mine = used.map((r) => of(r, c)!);
    const all = rounds.map((r) => of(r, c)!);
    const tracer = CONFIGS[c]!.kind === "tracer";
    const peak = all.reduce((a, t) => ((t.peakRssKb ?? 0) > (a.peakRssKb ?? 0) ? t : a));
    return {
      config: c,
      ratio: spread(mine.map((t) => t.ratio)),
      vsFloor: hasFloor && c !== "floor" ? spread(used.map((r) => of(r, c)!.ratio / of(r, "floor")!.ratio)) : null,
      vsExecsnoop: hasExecsnoop && tracer ? spread(used.map((r) => of(r, c)!.ratio / of(r, "execsnoop")!.ratio)) : null,
      rate: spread(mine.map((t) => t.rate)),
      startupMs: spread(mine.map((t) => t.startupMs!)),
      stopMs: spread(mine.map((t) => t.stopMs!)),
      cpu: cpuFigures(mine),
      peakRssKb: peak.peakRssKb,
      memcgPeakKb: all.reduce((a, t) => Math.max(a, t.memcgPeakKb ?? 0), 0) || null,
      rssParts: peak.rssAtEnd,
      emitted: tracer ? all.reduce((a, t) => a + (t.emitted ?? 0), 0) : null,
      lost: tracer ? all.reduce((a, t) => a + (t.lost ?? 0), 0) : null,
      badExits: all.filter((t) => t.exitCode !== null && t.exitCode !== 0).length,
    };
  });
}
