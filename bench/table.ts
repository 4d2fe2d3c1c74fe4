// The human tables on stdout: throughput ratios per workload and configuration, verification,
// decoder, targets.
import { CONFIGS } from "./configs";
import { fmtRate, type Round } from "./rounds";
import type { Spread } from "./summary";
import { rowSpread, rowTarget, verdict, type TargetResult, type WorkloadFigures } from "./targets";
import type { Verification } from "./verify";
import type { WorkloadBpfCost } from "./bpf-cost";
import type { Workload } from "./workloads";
import type { TraceTrue, WarmupFigures } from "./warmup";
import type { RingBench } from "./ring-bench";
import { FRESH_SPAWNS, type FreshFigures } from "./fresh";

function render(header: string[], rows: string[][], right: Set<number>): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (right.has(i) ? c.padStart(w[i]!) : c.padEnd(w[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), line(w.map((n) => "-".repeat(n))), ...rows.map(line)].join("\n") + "\n";
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "-");
const ci = (s: Spread) => (s.n ? `${f3(s.lo)}–${f3(s.hi)}` : "-");

export function noiseLines(ws: (WorkloadFigures & { noise: Spread; rounds: Round[]; wanted: number })[]): string {
  return ws
    .map((w) => {
      const clean = w.rounds.filter((r) => r.foreign.length === 0).length;
      const used = clean > 0 ? `${clean} clean rounds` : `NO clean round: all ${w.rounds.length} used`;
      const flagged = w.rounds.length - clean;
      const kinds = new Set(
        w.rounds.flatMap((r) =>
          r.foreign.map((f) => (f.startsWith("others used") ? "others' CPU load" : "others' tracing programs")),
        ),
      );
      const why = flagged ? `; ${flagged} flagged and measured again (${[...kinds].join(", ")})` : "";
      const short = clean < w.wanted ? ` — fewer than the ${w.wanted} wanted: treat as noisy` : "";
      return `  ${w.label}: A/A ${f3(w.noise.median)}, ${Math.round(w.noise.level * 100)}% CI ${ci(w.noise)}, range ${f3(w.noise.min)}–${f3(w.noise.max)}; ${used}${why}${short}\n`;
    })
    .join("");
}

export function throughputTable(ws: WorkloadFigures[]): string {
  const header = [
    "workload",
    "configuration",
    "throughput",
    "ratio",
    "CI",
    "vs floor",
    "target",
    "met",
    "lost",
    "start ms",
    "stop ms",
  ];
  const rows: string[][] = [];
  for (const w of ws) {
    for (const s of w.summaries) {
      const t = rowTarget(w.id, s.config);
      rows.push([
        s.config === "none" ? w.label : "",
        CONFIGS[s.config]!.label,
        fmtRate(s.rate.median),
        s.config === "none" ? "1" : f3(s.ratio.median),
        s.config === "none" ? "" : ci(s.ratio),
        s.vsFloor ? f3(s.vsFloor.median) : "",
        t ? `≥${t.min}${t.vs === "floor" ? " floor" : ""}` : "",
        t ? verdict(rowSpread(s, t), t.min) : "",
        s.lost === null ? "" : String(s.lost),
        s.startupMs ? s.startupMs.median.toFixed(0) : "",
        s.stopMs ? s.stopMs.median.toFixed(0) : "",
      ]);
    }
  }
  return render(header, rows, new Set([2, 3, 5, 8, 9, 10]));
}

const us = (x: number) => (!Number.isFinite(x) ? "-" : x >= 1000 ? `${(x / 1000).toFixed(1)} ms` : x.toFixed(1));
const mib = (kb: number | null) => (kb ? (kb / 1024).toFixed(1) : "");

/** The headline: CPU per operation and per event delivered, everything included, past warm-up;
 * and memory (RSS, its own memory cgroup's peak charge). */
export function cpuTable(ws: (WorkloadFigures & { unit: string })[]): string {
  const header = [
    "workload",
    "configuration",
    "own µs/op",
    "BPF µs/op",
    "all µs/op",
    "CI",
    "events/op",
    "all µs/event",
    "CI",
    "RSS MiB",
    "w/o maps",
    "cgroup MiB",
  ];
  const rows: string[][] = [];
  for (const w of ws) {
    let first = true;
    for (const s of w.summaries) {
      if (!s.cpu) continue;
      const c = s.cpu;
      rows.push([
        first ? `${w.label} (op: ${w.unit.replace(/\/s$/, "")})` : "",
        CONFIGS[s.config]!.label,
        us(c.consumerUsPerOp.median),
        us(c.bpfUsPerOp.median),
        us(c.usPerOp.median),
        c.usPerOp.n ? `${us(c.usPerOp.lo)}–${us(c.usPerOp.hi)}` : "",
        c.eventsPerOp.toFixed(2),
        us(c.usPerEvent.median),
        c.usPerEvent.n ? `${us(c.usPerEvent.lo)}–${us(c.usPerEvent.hi)}` : "",
        mib(s.peakRssKb),
        s.peakRssKb && s.rssParts ? mib(s.peakRssKb - s.rssParts.bpfMapsKb) : "",
        mib(s.memcgPeakKb),
      ]);
      first = false;
    }
  }
  return render(header, rows, new Set([2, 3, 4, 6, 7, 9, 10, 11]));
}

export function verificationTable(vs: Verification[]): string {
  const header = ["workload", "event", "expected", "emitted", "written", "lost", "ok"];
  const rows: string[][] = [];
  for (const v of vs) {
    v.checks.forEach((c, i) => {
      rows.push([
        i === 0 ? v.workload : "",
        c.event,
        c.expected === null ? "(no count)" : String(c.expected),
        c.emitted === null ? "" : String(c.emitted),
        String(c.written),
        c.lost === null ? "" : String(c.lost),
        c.ok ? "ok" : "MISMATCH",
      ]);
    });
  }
  return render(header, rows, new Set([2, 3, 4, 5]));
}

export function decoderTable(d: DecoderResult): string {
  const r = (label: string, s: Spread, bytes: number) => [
    label,
    Math.round(s.median).toLocaleString("en"),
    `${Math.round(s.min).toLocaleString("en")}–${Math.round(s.max).toLocaleString("en")}`,
    (1e9 / s.median).toFixed(0),
    String(bytes),
  ];
  return render(
    ["decoder micro-benchmark (one core)", "events/s", "range", "ns/event", "JSON bytes"],
    [
      r("exec record: decode", d.exec.decode, d.exec.jsonBytes),
      r("exec record: decode + JSON (event path)", d.exec.decodeJson, d.exec.jsonBytes),
      r("exec record: JSON from the record", d.exec.direct, d.exec.jsonBytes),
      r("exec record: enrich + JSON (the tracer's --json path)", d.exec.pipeline, d.exec.jsonBytes),
      r("fork record: decode + JSON (event path)", d.fork.decodeJson, d.fork.jsonBytes),
      r("fork record: JSON from the record", d.fork.direct, d.fork.jsonBytes),
      r("exit record: decode + JSON (event path)", d.exit.decodeJson, d.exit.jsonBytes),
      r("exit record: JSON from the record", d.exit.direct, d.exit.jsonBytes),
    ],
    new Set([1, 3, 4]),
  );
}

export function targetsTable(ts: TargetResult[]): string {
  return render(
    ["target", "wanted", "measured", "verdict"],
    ts.map((t) => [t.name, t.target, t.value, t.verdict === "MISSED" ? "NOT MET" : t.verdict]),
    new Set(),
  );
}

export interface DecoderResult {
  rounds: number;
  exec: { jsonBytes: number; decode: Spread; decodeJson: Spread; direct: Spread; pipeline: Spread };
  fork: { jsonBytes: number; decodeJson: Spread; direct: Spread };
  exit: { jsonBytes: number; decodeJson: Spread; direct: Spread };
}

/** Kernel time of the tracer's programs per workload operation, and the throughput ratio that
 * time alone would give: 1 / (1 + BPF ns per op ÷ CPU ns per op without a tracer). */
export function bpfCostTable(costs: WorkloadBpfCost[], ws: WorkloadFigures[], defs: Workload[]): string {
  const rows = costs.map((c) => {
    const w = ws.find((x) => x.id === c.workload);
    const def = defs.find((d) => d.id === c.workload)!;
    const none = w?.summaries.find((s) => s.config === "none")?.rate.median ?? NaN;
    const opNs = def.wallClock ? NaN : (1e9 * def.workers) / none;
    const progs = Object.entries(c.programs).sort((a, b) => b[1].nsPerRun * b[1].runs - a[1].nsPerRun * a[1].runs);
    return [
      c.workload,
      progs.map(([n, p]) => `${n.replace(/^handle_/, "")} ${(p.nsPerRun / 1000).toFixed(1)}`).join(", "),
      c.bpfNsPerOp >= 1e6 ? `${(c.bpfNsPerOp / 1e6).toFixed(1)} ms` : (c.bpfNsPerOp / 1000).toFixed(2),
      Number.isFinite(opNs) ? (opNs / 1000).toFixed(2) : "",
      Number.isFinite(opNs) ? f3(1 / (1 + c.bpfNsPerOp / opNs)) : "",
    ];
  });
  return render(
    [
      "BPF programs (tracer, all events)",
      "µs per run, by program",
      "BPF µs/op",
      "op µs (no tracer)",
      "ratio from BPF alone",
    ],
    rows,
    new Set([2, 3, 4]),
  );
}

/** Warm-up pass: the first 3,000 spawns of a fresh tool against the next 3,000, a 2 s storm right
 * after ready, and `tracer -- true`. */
export function warmupTable(ws: WarmupFigures[], t: TraceTrue): string {
  const ms = (x: Spread) => `${x.median.toFixed(0)} (${x.lo.toFixed(0)}–${x.hi.toFixed(0)})`;
  const table = render(
    [
      "warm-up (fresh start each)",
      "first 3k spawns ms",
      "next 3k ms",
      "extra ms (CI)",
      "2 s storm µs/spawn",
      "2 s storm ratio",
    ],
    ws.map((w) => [
      CONFIGS[w.config]!.label,
      w.firstMs.median.toFixed(0),
      w.nextMs.median.toFixed(0),
      ms(w.extraMs),
      w.stormUsPerSpawn.median.toFixed(1),
      f3(w.stormRatio.median),
    ]),
    new Set([1, 2, 3, 4, 5]),
  );
  return (
    table +
    `tracer --json -o /dev/null -- true: ${t.wallMs.median.toFixed(0)} ms wall (true alone ${t.bareWallMs.median.toFixed(1)} ms), ${t.cpuMs.median.toFixed(0)} ms CPU (median of ${t.wallMs.n})\n`
  );
}

export function ringTable(rs: RingBench[]): string {
  return render(
    [
      "ring reader, one drain of a full 16 MiB ring",
      "ns/record, native callback",
      "ns/record, JS callback",
      "JS callback's own ns",
    ],
    rs.map((r) => [
      `${r.recordBytes}-byte records (${r.recordsPerDrain} per drain)`,
      r.nativeNsPerRecord.median.toFixed(1),
      `${r.jsNsPerRecord.median.toFixed(0)} (${r.jsNsPerRecord.min.toFixed(0)}–${r.jsNsPerRecord.max.toFixed(0)})`,
      r.callbackNsPerRecord.toFixed(0),
    ]),
    new Set([1, 2, 3]),
  );
}

export function freshTable(fs: FreshFigures[]): string {
  const m = (s: Spread, d = 0) => (s.n ? `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})` : "-");
  const rows: [string, (f: FreshFigures) => string][] = [
    ["launch → ready, wall ms", (f) => m(f.startupMs)],
    ["CPU to ready, ms", (f) => m(f.readyCpuMs)],
    ["spawns: main thread µs/spawn", (f) => m(f.mainUs, 1)],
    ["  JIT threads (JITWorker)", (f) => m(f.jitUs, 1)],
    ["  other threads", (f) => m(f.otherUs, 1)],
    ["  BPF (2 ms windows' lower quartile)", (f) => m(f.bpfUs, 1)],
    ["  BPF raw run_time_ns", (f) => m(f.bpfRawUs, 1)],
    ["own CPU per event handled, µs", (f) => m(f.ownPerEventUs, 1)],
    ["shutdown CPU, ms", (f) => m(f.shutdownMs)],
    ["total CPU, own + BPF, ms", (f) => m(f.totalMs)],
    ["  lowest of a quiet round", (f) => (f.quietRuns ? f.totalQuietMinMs.toFixed(0) : `- (0 of ${f.runs} quiet)`)],
    ["  ÷ execsnoop's, same round", (f) => (f.vsExecsnoop ? m(f.vsExecsnoop, 2) : "")],
    ["wall ratio of the spawns", (f) => m(f.ratio, 3)],
  ];
  const n = fs[0]?.runs ?? 0;
  const head =
    `fresh run, as in CI: launch → ready → ${FRESH_SPAWNS.toLocaleString("en")} posix_spawns of a static true (3 args) → idle → exit;\n` +
    `median (min–max) of ${n} rounds; quiet rounds (others made < 1% as many execs and used < 0.1 CPU): ${fs.map((f) => `${f.config} ${f.quietRuns}`).join(", ")}\n` +
    `own CPU = rusage at exit (all threads, exited ones included); BPF = its programs' runs (≤ 1 per spawn) × the lower quartile\n` +
    `of ns per run over 2 ms windows (robust to runs preempted on a busy host and to others' execs; "raw": run_time_ns of every run)\n\n`;
  const progs = fs.flatMap((f) =>
    Object.entries(f.programs).map(([name, p]) => [
      CONFIGS[f.config]!.label,
      name,
      p.runs.toFixed(0),
      p.robustNs.toFixed(0),
      p.meanNs.toFixed(0),
    ]),
  );
  return (
    head +
    render(
      ["", ...fs.map((f) => CONFIGS[f.config]!.label)],
      rows.map(([label, get]) => [label, ...fs.map(get)]),
      new Set(fs.map((_, i) => i + 1)),
    ) +
    "\n" +
    render(
      ["BPF program (fresh runs, medians)", "program", "runs", "ns/run, windows' lower quartile", "ns/run, mean"],
      progs,
      new Set([2, 3, 4]),
    )
  );
}
