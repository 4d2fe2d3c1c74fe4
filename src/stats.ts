// Kernel-side counters (per-CPU map "counters", summed) and the exit summary.
import { counters as C, record_kind as K } from "./decode/layout.gen";
import { BpfTracer } from "./loader";
import type { PipelineStats } from "./pipeline";

export interface KernelCounters {
  emitted: number[]; // per record kind
  lost: number[];
  scratchClash: number;
}

const KIND_NAMES: Record<number, string> = {
  [K.KIND_EXEC]: "sched_process_exec",
  [K.KIND_EXEC_FAILED]: "process_execute_failed",
  [K.KIND_FORK]: "sched_process_fork",
  [K.KIND_EXIT]: "sched_process_exit",
};

export function readCounters(t: BpfTracer): KernelCounters {
  const slot = (C.$size + 7) & ~7;
  const value = new Uint8Array(slot * BpfTracer.possibleCpus);
  const out: KernelCounters = { emitted: Array(K.KIND_MAX).fill(0), lost: Array(K.KIND_MAX).fill(0), scratchClash: 0 };
  if (!t.lookup("counters", new Uint8Array(4), value)) return out;
  const dv = new DataView(value.buffer);
  for (let cpu = 0; cpu < BpfTracer.possibleCpus; cpu++) {
    const base = cpu * slot;
    for (let k = 0; k < K.KIND_MAX; k++) {
      out.emitted[k]! += Number(dv.getBigUint64(base + C.emitted + 8 * k, true));
      out.lost[k]! += Number(dv.getBigUint64(base + C.lost + 8 * k, true));
    }
    out.scratchClash += Number(dv.getBigUint64(base + C.scratch_clash, true));
  }
  return out;
}

export function formatStats(c: KernelCounters, p: PipelineStats): string {
  let s = "";
  for (let k = 1; k < K.KIND_MAX; k++) {
    if (!c.emitted[k] && !c.lost[k]) continue;
    s += `${KIND_NAMES[k]}: ${c.emitted[k]} emitted, ${c.lost[k]} lost\n`;
  }
  s += `decoded: ${p.decoded}, malformed: ${p.malformed}, scratch clashes: ${c.scratchClash}\n`;
  return s;
}
