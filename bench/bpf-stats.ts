// BPF programs' own run time (kernel.bpf_stats_enabled: run_cnt / run_time_ns per program), the
// programs a process holds, and the sysctl switched on for the bench and put back after.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { BPFTOOL } from "./attachments";

const SYSCTL = "/proc/sys/kernel/bpf_stats_enabled";

/** Switch kernel.bpf_stats_enabled on (it adds two clock reads per program run, to every tool
 * alike); the returned function puts the old value back (also on exit and on SIGINT/SIGTERM). */
export function enableBpfStats(): () => void {
  const before = readFileSync(SYSCTL, "utf8").trim();
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    writeFileSync(SYSCTL, before);
  };
  writeFileSync(SYSCTL, "1");
  process.on("exit", restore);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      restore();
      process.exit(130);
    });
  }
  return restore;
}

/** Ids of the BPF programs a process holds (program and link fds both name one in fdinfo). */
export function progIds(pid: number): number[] {
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

export interface ProgStat {
  runs: number;
  ns: number;
}

/** run_cnt and run_time_ns so far of the programs with these ids, by program name. */
export function progStats(ids: number[]): Map<string, ProgStat> {
  const p = Bun.spawnSync([BPFTOOL, "-j", "prog", "show"], { stdout: "pipe", stderr: "ignore" });
  const out = new Map<string, ProgStat>();
  for (const prog of JSON.parse(p.stdout.toString() || "[]") as any[]) {
    if (!ids.includes(prog.id)) continue;
    const e = out.get(prog.name) ?? { runs: 0, ns: 0 };
    e.runs += prog.run_cnt ?? 0;
    e.ns += prog.run_time_ns ?? 0;
    out.set(prog.name, e);
  }
  return out;
}

/** Total run time so far of the programs with these ids, ns. */
export function progRunNs(ids: number[]): number {
  let ns = 0;
  for (const s of progStats(ids).values()) ns += s.ns;
  return ns;
}
