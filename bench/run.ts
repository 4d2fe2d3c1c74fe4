// npm run bench: interleaved A/B rounds of every workload under every configuration (CPU per
// operation and per event, own + BPF, the headline; throughput ratios; memory), the warm-up pass,
// verification passes, BPF program cost, the ring reader and decoder micro-benchmarks, the fresh
// run as in CI (fresh.ts); tables on stdout, bench/results.json. kernel.bpf_stats_enabled is on
// for the run and put back after.
//   bun bench/run.ts [--rounds N] [--seconds S] [--settle MS] [--only w1,w2] [--no-verify]
//                    [--no-warmup] [--no-decoder] [--no-ring] [--no-bpf-cost] [--no-fresh] [--out FILE]
//   bun bench/run.ts --fresh-only [--rounds N]   the fresh run alone (tracer and execsnoop, 5
//                    rounds by default, a few minutes): .output/bench/results-fresh.json
//   bun bench/run.ts --quick   the fresh run (5 rounds) and the main storms (exec-1, exec-2, fork;
//                    3 rounds, the fewest a verdict is drawn from), none of the other passes: a
//                    check well under the whole bench's ~20 minutes (1,177 s on 2026-12-02, before
//                    the fresh run's ~100 s); options given beside it win
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compileWorkloads } from "./compile";
import { CONFIGS, OUT, ROOT } from "./configs";
import { machineInfo } from "./machine";
import { measureWorkload, type Round } from "./rounds";
import { aaNoise, summarize, type Spread } from "./summary";
import {
  bpfCostTable,
  cpuTable,
  decoderTable,
  freshTable,
  noiseLines,
  ringTable,
  targetsTable,
  throughputTable,
  verificationTable,
  warmupTable,
  type DecoderResult,
} from "./table";
import { evaluateTargets, type WorkloadFigures } from "./targets";
import { verify, type Verification } from "./verify";
import { measureBpfCost, type WorkloadBpfCost } from "./bpf-cost";
import { WORKLOADS } from "./workloads";
import { enableBpfStats } from "./bpf-stats";
import { auditUnavailable } from "./audit-peer";
import { measureWarmup, type TraceTrue, type WarmupFigures } from "./warmup";
import type { RingBench } from "./ring-bench";
import { measureFresh, type FreshFigures, type FreshRun } from "./fresh";

const { values: a } = parseArgs({
  options: {
    rounds: { type: "string" },
    seconds: { type: "string" },
    settle: { type: "string", default: "100" },
    only: { type: "string" },
    "no-verify": { type: "boolean", default: false },
    "no-warmup": { type: "boolean", default: false },
    "no-ring": { type: "boolean", default: false },
    "no-decoder": { type: "boolean", default: false },
    "no-bpf-cost": { type: "boolean", default: false },
    "no-fresh": { type: "boolean", default: false },
    "fresh-only": { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    out: { type: "string" },
  },
});

/** --quick: the fresh run and the main storms only (see the header). */
const QUICK_WORKLOADS = "exec-1,exec-2,fork";
const QUICK_ROUNDS = "3";
/** The fresh run keeps its own default under --quick unless --rounds is given. */
const freshRoundsGiven = a.rounds !== undefined;
if (a.quick) {
  a.only ??= QUICK_WORKLOADS;
  a.rounds ??= QUICK_ROUNDS;
  for (const k of ["no-verify", "no-warmup", "no-ring", "no-decoder", "no-bpf-cost"] as const) a[k] = true;
}

const started = performance.now();
const log = (s: string) =>
  process.stderr.write(`bench [${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${s}\n`);

if (process.getuid?.() !== 0) {
  process.stderr.write("bench: needs root (the tracer and bpftrace load BPF programs)\n");
  process.exit(1);
}
const rounds = a.rounds === undefined ? null : Number(a.rounds);
const seconds = a.seconds === undefined ? null : Number(a.seconds);
const settleMs = Number(a.settle);
if (!((rounds === null || rounds >= 1) && (seconds === null || seconds > 0) && settleMs >= 0)) {
  process.stderr.write("bench: --rounds ≥ 1, --seconds > 0, --settle ≥ 0\n");
  process.exit(2);
}
const FRESH_ROUNDS = 5;
if (a["fresh-only"]) {
  log("compiling workloads into .output/bench/");
  compileWorkloads();
  const machine = machineInfo();
  log(`${machine.nproc} CPUs, ${machine.cpuModel}, kernel ${machine.kernel}; fresh runs only`);
  const restore = enableBpfStats();
  let fresh: { runs: FreshRun[]; figures: FreshFigures[] };
  try {
    fresh = await measureFresh(rounds ?? FRESH_ROUNDS, log);
  } finally {
    restore();
  }
  const file = a.out ?? join(OUT, "results-fresh.json");
  writeFileSync(file, JSON.stringify({ date: machine.date, machine, fresh }, null, 1) + "\n");
  process.stdout.write(
    `\ntracer benchmark (fresh runs only), ${machine.date}: ${machine.nproc} × ${machine.cpuModel}, kernel ${machine.kernel}\n\n` +
      freshTable(fresh.figures) +
      `\n${((performance.now() - started) / 1000).toFixed(0)} s in all; figures in ${file}\n`,
  );
  process.exit(0);
}
const only = a.only ? new Set(a.only.split(",")) : null;
// The auditd peer needs audit to itself: where a daemon already runs (e.g. auditd.service), it is left out.
const auditBusy = auditUnavailable();
if (auditBusy) log(`auditd peer left out: ${auditBusy}`);
const workloads = WORKLOADS.filter((w) => !only || only.has(w.id)).map((w) => ({
  ...w,
  configs: auditBusy ? w.configs.filter((c) => c !== "auditd") : w.configs,
  rounds: rounds ?? w.rounds,
  seconds: seconds !== null && !w.wallClock ? seconds : w.seconds,
}));
const partial =
  only !== null ||
  rounds !== null ||
  seconds !== null ||
  a["no-verify"] ||
  a["no-decoder"] ||
  a["no-bpf-cost"] ||
  a["no-warmup"] ||
  a["no-ring"] ||
  a["no-fresh"];
const outFile = a.out ?? (partial ? join(OUT, "results-partial.json") : join(ROOT, "bench", "results.json"));

log("compiling workloads into .output/bench/");
compileWorkloads();
const machine = machineInfo();
log(`${machine.nproc} CPUs, ${machine.cpuModel}, kernel ${machine.kernel}`);
const restoreBpfStats = enableBpfStats();

const figures: (WorkloadFigures & {
  unit: string;
  configs: string[];
  noise: Spread;
  wanted: number;
  rounds: Round[];
})[] = [];
for (const w of workloads) {
  log(`${w.id}: ${w.label} under ${w.configs.join(", ")}; ${w.rounds} rounds${w.wallClock ? "" : ` × ${w.seconds} s`}`);
  const rs = await measureWorkload(w, { rounds: w.rounds, seconds: w.seconds, settleMs, log });
  figures.push({
    id: w.id,
    label: w.label,
    unit: w.unit,
    configs: w.configs,
    summaries: summarize(w.configs, rs),
    noise: aaNoise(rs),
    wanted: w.rounds,
    rounds: rs,
  });
}

let warmup: { configs: WarmupFigures[]; traceTrue: TraceTrue } | null = null;
if (!a["no-warmup"]) {
  log("warm-up pass: fresh starts, first 3,000 spawns against the next 3,000, 2 s storms, tracer -- true");
  warmup = await measureWarmup(Math.min(rounds ?? 3, 3), log);
}

let fresh: { runs: FreshRun[]; figures: FreshFigures[] } | null = null;
if (!a["no-fresh"]) {
  log("fresh runs as in CI: tracer and execsnoop, start-up + 3,000 spawns + exit, per thread and BPF");
  fresh = await measureFresh(a.quick && !freshRoundsGiven ? FRESH_ROUNDS : (rounds ?? FRESH_ROUNDS), log);
}

const verifications: Verification[] = [];
if (!a["no-verify"]) {
  for (const w of workloads) {
    log(`verify ${w.id}: tracer -- ${w.counted.join(" ")}`);
    verifications.push(await verify(w));
  }
}

let bpfCost: WorkloadBpfCost[] = [];
if (!a["no-bpf-cost"]) {
  log("BPF program cost, per program");
  bpfCost = await measureBpfCost(workloads, log);
}

let decoder: DecoderResult | null = null;
if (!a["no-decoder"]) {
  log("decoder micro-benchmark");
  const one = (kind: string, mode: string) => {
    const p = Bun.spawnSync([process.execPath, join(ROOT, "bench", "decoder-bench.ts"), kind, mode], {
      stdout: "pipe",
      stderr: "pipe",
    });
    if (p.exitCode !== 0) throw new Error(`decoder-bench ${kind} ${mode}: ${p.stderr.toString()}`);
    return JSON.parse(p.stdout.toString()) as { jsonBytes: number; rate: Spread };
  };
  const execDecode = one("exec", "decode");
  const execJson = one("exec", "json");
  const execDirect = one("exec", "direct");
  const execPipe = one("exec", "pipeline");
  const forkJson = one("fork", "json");
  const forkDirect = one("fork", "direct");
  const exitJson = one("exit", "json");
  const exitDirect = one("exit", "direct");
  decoder = {
    rounds: execJson.rate.n,
    exec: {
      jsonBytes: execJson.jsonBytes,
      decode: execDecode.rate,
      decodeJson: execJson.rate,
      direct: execDirect.rate,
      pipeline: execPipe.rate,
    },
    fork: { jsonBytes: forkJson.jsonBytes, decodeJson: forkJson.rate, direct: forkDirect.rate },
    exit: { jsonBytes: exitJson.jsonBytes, decodeJson: exitJson.rate, direct: exitDirect.rate },
  };
}

let ring: RingBench[] = [];
if (!a["no-ring"]) {
  log("ring reader micro-benchmark");
  ring = [64, 512].map((bytes) => {
    const p = Bun.spawnSync([process.execPath, join(ROOT, "bench", "ring-bench.ts"), String(bytes)], {
      stdout: "pipe",
      stderr: "pipe",
    });
    if (p.exitCode !== 0) throw new Error(`ring-bench ${bytes}: ${p.stderr.toString()}`);
    return JSON.parse(p.stdout.toString()) as RingBench;
  });
}
restoreBpfStats();

const targets = evaluateTargets(figures, verifications, decoder?.exec.pipeline.median ?? NaN, warmup?.configs ?? []);
const durationS = (performance.now() - started) / 1000;

let text = `\ntracer benchmark, ${machine.date}: ${machine.nproc} × ${machine.cpuModel}, kernel ${machine.kernel}\n`;
text += `CPU (the headline) = the tool's own CPU (all its threads; auditd: and the kernel's kauditd) + its BPF programs' run time\n`;
text += `(kernel.bpf_stats_enabled), from the run's start until the tool is idle again, per workload operation and per event it\n`;
text += `delivered (tracer: its kernel counters; peers: one per exec); each tracer is warmed up first (3,000 spawns, forks, threads);\n`;
text += `auditd's work in the exec path itself is not in it (it slows the workload: see its ratio). Medians of the rounds.\n`;
text += `RSS = VmHWM, w/o maps = minus the BPF map mappings (the ring's pages are mapped twice); cgroup = peak charge of the\n`;
text += `tool's own memory cgroup (counts the ring's pages once).\n\n`;
text += cpuTable(figures);
text += `\nratio = throughput ÷ geometric mean of the no-tracer runs just before and after, median of the rounds;\n`;
text += `verdict: met / MISSED when the median's confidence interval (CI) is entirely above / below the target, else unclear\n\n`;
text += throughputTable(figures);
if (warmup) text += "\n" + warmupTable(warmup.configs, warmup.traceTrue);
if (fresh) text += "\n" + freshTable(fresh.figures);
text +=
  "\nresolution (A/A: each no-tracer run ÷ its no-tracer neighbours; a free configuration would score this):\n" +
  noiseLines(figures);
if (verifications.length)
  text +=
    "\nverification: tracer --json --stats -o FILE -- WORKLOAD (exact counts from the workload)\n\n" +
    verificationTable(verifications);
if (bpfCost.length) text += "\n" + bpfCostTable(bpfCost, figures, workloads);
if (ring.length) text += "\n" + ringTable(ring);
if (decoder) text += "\n" + decoderTable(decoder);
text += "\n" + targetsTable(targets);
text += `\n${durationS.toFixed(0)} s in all; figures in ${outFile}\n`;
process.stdout.write(text);

writeFileSync(
  outFile,
  JSON.stringify(
    {
      date: machine.date,
      machine,
      settings: {
        settleMs,
        rounds: Object.fromEntries(workloads.map((w) => [w.id, w.rounds])),
        seconds: Object.fromEntries(workloads.map((w) => [w.id, w.seconds])),
        design:
          "per round: none, c1, none, c2, ..., none; ratio = c ÷ geometric mean of the none runs on either side; configuration order rotates by one per round; rounds with foreign tracing attachments or others' CPU load are measured again (within 20% more time); CPU = the tool's threads (schedstat) + its BPF programs' run_time_ns (kernel.bpf_stats_enabled on for the whole bench) from the workload's start until the tool is idle again; memory cgroup of its own per tool run",
      },
      commands: {
        configs: Object.fromEntries(Object.values(CONFIGS).map((c) => [c.id, { label: c.label, argv: c.argv }])),
        workloads: Object.fromEntries(
          workloads.map((w) => [
            w.id,
            { label: w.label, unit: w.unit, timed: w.timed(w.seconds), counted: w.counted, prepare: w.prepare ?? null },
          ]),
        ),
        decoder: "bun bench/decoder-bench.ts exec|fork|exit decode|json|direct|pipeline (one process each)",
      },
      workloads: figures,
      verification: verifications,
      warmup,
      fresh,
      bpfCost,
      ring,
      decoder,
      targets,
      durationS,
    },
    null,
    1,
  ) + "\n",
);
