// Kernel-side cost per BPF program: with kernel.bpf_stats_enabled on for this pass only (it adds
// two clock reads per program run), run each workload's fixed amount of work under the tracer
// (all events) and read run_cnt / run_time_ns of the tracer's own programs.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { CONFIGS } from "./configs";
import { launch, stop } from "./launch";
import { parseCounts, type Workload } from "./workloads";

const SYSCTL = "/proc/sys/kernel/bpf_stats_enabled";

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

/** Ids of the BPF programs a process holds (program and link fds both name one in fdinfo). */
function progIds(pid: number): number[] {
  const ids = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const m = /^prog_id:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8"));
      if (m) ids.add(Number(m[1]));
    } catch {
      // fd closed meanwhile
    }
  }
  return [...ids];
}

function progStats(ids: number[]): Map<string, { runs: number; ns: number }> {
  const p = Bun.spawnSync(["bpftool", "-j", "prog", "show"], { stdout: "pipe", stderr: "ignore" });
  const out = new Map<string, { runs: number; ns: number }>();
  for (const prog of JSON.parse(p.stdout.toString() || "[]") as any[]) {
    if (!ids.includes(prog.id)) continue;
    const e = out.get(prog.name) ?? { runs: 0, ns: 0 };
    e.runs += prog.run_cnt ?? 0;
    e.ns += prog.run_time_ns ?? 0;
    out.set(prog.name, e);
  }
  return out;
}

export async function measureBpfCost(workloads: Workload[], log: (s: string) => void): Promise<WorkloadBpfCost[]> {
  const before = readFileSync(SYSCTL, "utf8").trim();
  writeFileSync(SYSCTL, "1");
  const out: WorkloadBpfCost[] = [];
  try {
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
        log(`bpf cost ${w.id}: ${Object.entries(programs).map(([n, c]) => `${n} ${c.nsPerRun.toFixed(0)} ns × ${c.runs}`).join(", ")}`);
      }
    } finally {
      await stop(t);
    }
  } finally {
    writeFileSync(SYSCTL, before);
  }
  return out;
}
