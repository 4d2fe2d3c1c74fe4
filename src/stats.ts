// Kernel-side counters (per-CPU map "counters", summed), lost_events, and the exit summary.
import { counters as C, record_kind as K } from "./decode/layout.gen";
import { BpfTracer } from "./loader";
import type { PipelineStats } from "./pipeline";
import type { TraceEvent } from "./event";

export interface KernelCounters {
  emitted: number[]; // per record kind
  lost: number[];
  filtered: number[];
  scratchClash: number;
}

export const KIND_NAMES: Record<number, string> = {
  [K.KIND_EXEC]: "sched_process_exec",
  [K.KIND_EXEC_FAILED]: "process_execute_failed",
  [K.KIND_FORK]: "sched_process_fork",
  [K.KIND_EXIT]: "sched_process_exit",
};

const SLOT = (C.$size + 7) & ~7;

export class CounterReader {
  private readonly value = new Uint8Array(SLOT * BpfTracer.possibleCpus);
  private readonly dv = new DataView(this.value.buffer);
  private readonly key = new Uint8Array(4);

  constructor(private readonly t: BpfTracer) {}

  read(): KernelCounters {
    const out: KernelCounters = {
      emitted: Array(K.KIND_MAX).fill(0),
      lost: Array(K.KIND_MAX).fill(0),
      filtered: Array(K.KIND_MAX).fill(0),
      scratchClash: 0,
    };
    if (!this.t.lookup("counters", this.key, this.value)) return out;
    const dv = this.dv;
    for (let cpu = 0; cpu < BpfTracer.possibleCpus; cpu++) {
      const base = cpu * SLOT;
      for (let k = 0; k < K.KIND_MAX; k++) {
        out.emitted[k]! += Number(dv.getBigUint64(base + C.emitted + 8 * k, true));
        out.lost[k]! += Number(dv.getBigUint64(base + C.lost + 8 * k, true));
        out.filtered[k]! += Number(dv.getBigUint64(base + C.filtered + 8 * k, true));
      }
      out.scratchClash += Number(dv.getBigUint64(base + C.scratch_clash, true));
    }
    return out;
  }
}

/** Turns growth of the kernel's lost counters into lost_events events, as soon as it is seen. */
export class LossReporter {
  private seen: number[] = Array(K.KIND_MAX).fill(0);
  private seenClash = 0;

  constructor(private readonly bootToEpochNs: bigint) {}

  /** The lost_events event for what was lost since the last call, or null. */
  check(c: KernelCounters): TraceEvent | null {
    let total = 0;
    const args = [];
    for (let k = 1; k < K.KIND_MAX; k++) {
      const n = c.lost[k]! - this.seen[k]!;
      total += n;
      args.push({ name: KIND_NAMES[k]!, type: "uint64", value: n });
    }
    const clash = c.scratchClash - this.seenClash;
    total += clash;
    if (total === 0) return null;
    this.seen = [...c.lost];
    this.seenClash = c.scratchClash;
    args.unshift({ name: "lost", type: "uint64", value: total });
    args.push({ name: "scratch_clash", type: "uint64", value: clash });
    const now = BigInt(Date.now()) * 1_000_000n;
    return {
      timestamp: now, threadStartTime: 0n, processorId: 0, processId: 0, threadId: 0, parentProcessId: 0,
      hostProcessId: 0, hostThreadId: 0, hostParentProcessId: 0, userId: 0, mountNamespace: 0, pidNamespace: 0,
      cgroupId: 0, processName: "", executable: { path: "" }, hostName: "", containerId: "",
      eventName: "lost_events", returnValue: 0, syscall: "", threadEntityId: 0, processEntityId: 0,
      parentEntityId: 0, seq: -1, args,
    };
  }
}

/** The exit summary: per event emitted / lost / filtered, and what user space dropped. */
export function summary(c: KernelCounters, p: PipelineStats) {
  const events: Record<string, { emitted: number; lost: number; filtered: number }> = {};
  for (let k = 1; k < K.KIND_MAX; k++) {
    events[KIND_NAMES[k]!] = { emitted: c.emitted[k]!, lost: c.lost[k]!, filtered: c.filtered[k]! };
  }
  return { events, decoded: p.decoded, malformed: p.malformed, excludedInUserSpace: p.excluded, scratchClash: c.scratchClash };
}

export function formatStats(c: KernelCounters, p: PipelineStats, json: boolean): string {
  const s = summary(c, p);
  if (json) return JSON.stringify({ summary: s }) + "\n";
  let out = "";
  for (const [name, v] of Object.entries(s.events)) {
    out += `${name.padEnd(24)} ${String(v.emitted).padStart(10)} emitted ${String(v.lost).padStart(8)} lost ${String(v.filtered).padStart(10)} filtered\n`;
  }
  out += `decoded ${s.decoded}, malformed ${s.malformed}, left out by --exec ${s.excludedInUserSpace}, scratch clashes ${s.scratchClash}\n`;
  return out;
}
