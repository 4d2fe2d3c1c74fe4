// npm run bench: interleaved A/B rounds of every workload under every configuration, verification
// passes, the decoder micro-benchmark; a table on stdout, bench/results.json.
//   bun bench/run.ts [--rounds N] [--seconds S] [--settle MS] [--only w1,w2] [--no-verify]
//                    [--no-decoder] [--no-bpf-cost] [--out FILE]
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compileWorkloads } from "./compile";
import { CONFIGS, OUT, ROOT } from "./configs";
import { machineInfo } from "./machine";
import { measureWorkload, type Round } from "./rounds";
import { aaNoise, summarize, type Spread } from "./summary";
import { bpfCostTable, decoderTable, noiseLines, targetsTable, throughputTable, verificationTable, type DecoderResult } from "./table";
import { evaluateTargets, type WorkloadFigures } from "./targets";
import { verify, type Verification } from "./verify";
import { measureBpfCost, type WorkloadBpfCost } from "./bpf-cost";
import { WORKLOADS } from "./workloads";

const { values: a } = parseArgs({
  options: {
    rounds: { type: "string" },
    seconds: { type: "string" },
    settle: { type: "string", default: "100" },
    only: { type: "string" },
    "no-verify": { type: "boolean", default: false },
    "no-decoder": { type: "boolean", default: false },
    "no-bpf-cost": { type: "boolean", default: false },
    out: { type: "string" },
  },
});

const started = performance.now();
const log = (s: string) => process.stderr.write(`bench [${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${s}\n`);

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
const only = a.only ? new Set(a.only.split(",")) : null;
const workloads = WORKLOADS.filter((w) => !only || only.has(w.id)).map((w) => ({
  ...w,
  rounds: rounds ?? w.rounds,
  seconds: seconds !== null && !w.wallClock ? seconds : w.seconds,
}));
const partial = only !== null || rounds !== null || seconds !== null || a["no-verify"] || a["no-decoder"] || a["no-bpf-cost"];
const outFile = a.out ?? (partial ? join(OUT, "results-partial.json") : join(ROOT, "bench", "results.json"));

log("compiling workloads into .output/bench/");
compileWorkloads();
const machine = machineInfo();
log(`${machine.nproc} CPUs, ${machine.cpuModel}, kernel ${machine.kernel}`);

const figures: (WorkloadFigures & { unit: string; configs: string[]; noise: Spread; wanted: number; rounds: Round[] })[] = [];
for (const w of workloads) {
  log(`${w.id}: ${w.label} under ${w.configs.join(", ")}; ${w.rounds} rounds${w.wallClock ? "" : ` × ${w.seconds} s`}`);
  const rs = await measureWorkload(w, { rounds: w.rounds, seconds: w.seconds, settleMs, log });
  figures.push({ id: w.id, label: w.label, unit: w.unit, configs: w.configs, summaries: summarize(w.configs, rs), noise: aaNoise(rs), wanted: w.rounds, rounds: rs });
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
  log("BPF program cost (kernel.bpf_stats_enabled on for this pass only)");
  bpfCost = await measureBpfCost(workloads, log);
}

let decoder: DecoderResult | null = null;
if (!a["no-decoder"]) {
  log("decoder micro-benchmark");
  const one = (kind: string, mode: string) => {
    const p = Bun.spawnSync([process.execPath, join(ROOT, "bench", "decoder-bench.ts"), kind, mode], { stdout: "pipe", stderr: "pipe" });
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
    exec: { jsonBytes: execJson.jsonBytes, decode: execDecode.rate, decodeJson: execJson.rate, direct: execDirect.rate, pipeline: execPipe.rate },
    fork: { jsonBytes: forkJson.jsonBytes, decodeJson: forkJson.rate, direct: forkDirect.rate },
    exit: { jsonBytes: exitJson.jsonBytes, decodeJson: exitJson.rate, direct: exitDirect.rate },
  };
}

const targets = evaluateTargets(figures, verifications, decoder?.exec.pipeline.median ?? NaN);
const durationS = (performance.now() - started) / 1000;

let text = `\ntracer benchmark, ${machine.date}: ${machine.nproc} × ${machine.cpuModel}, kernel ${machine.kernel}\n`;
text += `ratio = throughput ÷ geometric mean of the no-tracer runs just before and after, median of the rounds (range = min–max);\n`;
text += `each tracer is warmed up (exec + thread storm) and idle before its run; CPU = its CPU from the run's start to its exit\n`;
text += `per 1000 events its programs emitted during the run (bpftrace: per 1000 workload execs); RSS = VmHWM, w/o maps = minus\n`;
text += `the BPF map mappings (the ring's data pages are mapped twice, all resident from the start)\n`;
text += `verdict: met / MISSED when the median's confidence interval (CI) is entirely above / below the target, else unclear\n\n`;
text += throughputTable(figures);
text += "\nresolution (A/A: each no-tracer run ÷ its no-tracer neighbours; a free configuration would score this):\n" + noiseLines(figures);
if (verifications.length) text += "\nverification: tracer --json --stats -o FILE -- WORKLOAD (exact counts from the workload)\n\n" + verificationTable(verifications);
if (bpfCost.length) text += "\n" + bpfCostTable(bpfCost, figures, workloads);
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
        design: "per round: none, c1, none, c2, ..., none; ratio = c ÷ geometric mean of the none runs on either side; configuration order rotates by one per round; rounds with foreign tracing attachments or others' CPU load are measured again (within 20% more time)",
      },
      commands: {
        configs: Object.fromEntries(Object.values(CONFIGS).map((c) => [c.id, { label: c.label, argv: c.argv }])),
        workloads: Object.fromEntries(workloads.map((w) => [w.id, { label: w.label, unit: w.unit, timed: w.timed(w.seconds), counted: w.counted, prepare: w.prepare ?? null }])),
        decoder: "bun bench/decoder-bench.ts exec|fork|exit decode|json|direct|pipeline (one process each)",
      },
      workloads: figures,
      verification: verifications,
      bpfCost,
      decoder,
      targets,
      durationS,
    },
    null,
    1,
  ) + "\n",
);
