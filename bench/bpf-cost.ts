// Kernel-side cost per BPF program (kernel.bpf_stats_enabled is on for the whole bench, see
// bpf-stats.ts): run each workload's fixed amount of work under the tracer (all events) and read
// run_cnt / run_time_ns of the tracer's own programs.
import { CONFIGS } from "./configs";
import { progIds, progStats } from "./bpf-stats";
import { launch, stop } from "./launch";
import { parseCounts, type Workload } from "./workloads";

export interface ProgramCost {
  runs: number;
  nsPerRun: number;
}

export interface WorkloadBpfCost {
  workload: string;
  ops: number;
  programs: Record<string, ProgramCost>;
  /** Sum of every program's run time ÷ workload operations. */
  bpfNsPerOp: number;
}

export async function measureBpfCost(workloads: Workload[], log: (s: string) => void): Promise<WorkloadBpfCost[]> {
  const out: WorkloadBpfCost[] = [];
  const t = await launch(CONFIGS.all!);
  try {
    const ids = progIds(t.proc.pid);
    for (const w of workloads) {
      const env = { ...process.env, ...w.env };
      if (w.prepare) Bun.spawnSync(w.prepare, { env, stdout: "ignore", stderr: "ignore" });
      const s0 = progStats(ids);
      const p = Bun.spawnSync(w.counted, { env, stdout: "pipe", stderr: "ignore" });
      const s1 = progStats(ids);
      const ops = w.wallClock ? 1 : parseCounts(p.stdout.toString()).ops;
      const programs: Record<string, ProgramCost> = {};
      let total = 0;
      for (const [name, b] of s1) {
        const a = s0.get(name) ?? { runs: 0, ns: 0 };
        const runs = b.runs - a.runs;
        const ns = b.ns - a.ns;
        total += ns;
        if (runs > 0) programs[name] = { runs, nsPerRun: ns / runs };
      }
      out.push({ workload: w.id, ops, programs, bpfNsPerOp: total / ops });
      log(
        `bpf cost ${w.id}: ${Object.entries(programs)
          .map(([n, c]) => `${n} ${c.nsPerRun.toFixed(0)} ns × ${c.runs}`)
          .join(", ")}`,
      );
    }
  } finally {
    await stop(t);
  }
  return out;
}
