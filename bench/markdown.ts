// The benchmark's figures as Markdown tables for the docs, made from a results file of
// `npm run bench` (bench/results.json), `--quick` or `--fresh-only` (.output/bench/):
//   bun bench/markdown.ts [RESULTS.json]
// The fresh run (tracer and execsnoop in the same rounds) first, then the storms' CPU per
// operation and wall ratio where the file has them. Every figure is the file's own: medians, with
// the rounds' range for the fresh run.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIGS, ROOT } from "./configs";
import { FRESH_SPAWNS, type FreshFigures } from "./fresh";
import type { ConfigSummary, Spread } from "./summary";

interface Results {
  date: string;
  machine: { nproc: number; cpuModel: string; kernel: string };
  fresh?: { figures: FreshFigures[] } | null;
  workloads?: { id: string; label: string; unit: string; summaries: ConfigSummary[] }[];
}

const label = (config: string) => CONFIGS[config]?.label ?? config;
const range = (s: Spread, d: number) =>
  s.n ? `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})` : "–";

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |\n`;
  return line(head) + line(head.map((_, i) => (i === 0 ? "---" : "---:"))) + rows.map(line).join("");
}

export function freshMarkdown(fs: FreshFigures[]): string {
  const rows: [string, (f: FreshFigures) => string][] = [
    ["CPU to `ready`, ms", (f) => range(f.readyCpuMs, 0)],
    ["spawns: main thread, µs/spawn", (f) => range(f.mainUs, 1)],
    ["spawns: JIT threads, µs/spawn", (f) => range(f.jitUs, 1)],
    ["spawns: other threads, µs/spawn", (f) => range(f.otherUs, 1)],
    ["spawns: BPF programs, µs/spawn", (f) => range(f.bpfUs, 1)],
    ["shutdown, ms", (f) => range(f.shutdownMs, 0)],
    ["**total CPU, ms**", (f) => `**${range(f.totalMs, 0)}**`],
    ["total ÷ execsnoop's, same round", (f) => (f.vsExecsnoop ? range(f.vsExecsnoop, 2) : "1")],
    ["wall time of the spawns ÷ no tool", (f) => range(f.ratio, 3)],
  ];
  const n = fs[0]?.runs ?? 0;
  return (
    `Fresh run, as in CI: start → \`ready\` → ${FRESH_SPAWNS.toLocaleString("en")} \`posix_spawn\`s of a static ` +
    `\`true\` → idle → exit; CPU of every thread of the tool (exited ones included) plus the run time of its own ` +
    `BPF programs; median (min–max) of ${n} rounds, both tools in each round.\n\n` +
    table(
      ["", ...fs.map((f) => label(f.config))],
      rows.map(([name, get]) => [name, ...fs.map(get)]),
    )
  );
}

export function stormMarkdown(ws: NonNullable<Results["workloads"]>): string {
  const rows: string[][] = [];
  for (const w of ws) {
    const peer = w.summaries.find((x) => x.config === "execsnoop")?.cpu?.usPerOp.median;
    for (const s of w.summaries) {
      if (!s.cpu) continue;
      const cpu = s.cpu.usPerOp.median;
      rows.push([
        w.label,
        label(s.config),
        cpu.toFixed(1),
        s.cpu.bpfUsPerOp.median.toFixed(1),
        s.vsExecsnoop && peer && peer >= 1 ? (cpu / peer).toFixed(2) : "",
        s.ratio.median.toFixed(3),
        s.vsExecsnoop ? s.vsExecsnoop.median.toFixed(2) : "",
      ]);
    }
  }
  return (
    "Storms, past the JIT's warm-up: CPU per operation (the tool's threads + its BPF programs), medians of the " +
    "rounds, and the tracer's ÷ execsnoop's (ratio of the medians; not shown where execsnoop has no work); wall " +
    "ratio = the workload's throughput ÷ with no tool, and the tracer's ÷ execsnoop's in the same rounds.\n\n" +
    table(
      ["workload", "tool", "CPU µs/op", "of which BPF", "CPU ÷ execsnoop's", "wall ratio", "wall ratio ÷ execsnoop's"],
      rows,
    )
  );
}

export function markdown(r: Results): string {
  let out = `Measured ${r.date.slice(0, 10)} on ${r.machine.nproc} × ${r.machine.cpuModel}, Linux ${r.machine.kernel}.\n\n`;
  if (r.fresh) out += freshMarkdown(r.fresh.figures) + "\n";
  if (r.workloads?.length) out += stormMarkdown(r.workloads);
  return out;
}

if (import.meta.main) {
  const file = process.argv[2] ?? join(ROOT, "bench", "results.json");
  process.stdout.write(markdown(JSON.parse(readFileSync(file, "utf8")) as Results));
}
