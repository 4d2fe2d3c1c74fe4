// Kernel-side counters (per-CPU map "counters", summed; the programs' skipped runs), lost_events,
// and the exit summary.
import { counters as C, lost_record as L, maps as M, rec_header as H, record_kind as K } from "../decode/layout.gen";
import { BpfTracer } from "./loader";
import type { ProgInfoLayout } from "./kernel-features";
import { recordKindOf } from "./programs";

export interface KernelCounters {
  emitted: number[]; // per record kind
  lost: number[]; // per record kind: ring full, scratch clash or the program's run skipped (below)
  skipped: number[]; // per record kind, of lost: runs the kernel skipped
  filtered: number[];
  scratchClash: number; // of lost
  /** Skipped runs by program (those of programs that emit nothing included). */
  skippedRuns: Record<string, number>;
}

const SLOT = (C.$size + 7) & ~7;

/** How often the programs' skipped runs are read: a bpf_obj_get_info_by_fd per program, kept
 * off the per-batch path. */
const SKIPS_EVERY_MS = 200;

/*
 * The run loop reads the counters once per wake-up bound (WAKEUP_MS) while records flow, to
 * report a loss at once.
 * Nearly always nothing moved but `emitted`: read() then compares the map's bytes with the last
 * read's (one native compare) and, when the loss side is the same, hands back the counters it
 * built last time, which LossReporter.check knows it has seen. Measured (bench/jit.ts --source,
 * 3,000 spawns): building them every time (four arrays, BigInt reads in loops), with the loss
 * check's map/reduce, had JSC compile read, readSkips, reportLoss and reduce at the DFG tier,
 * ~12 ms of JIT time in a run's first 3,000 spawns.
 */
export class CounterReader {
  private readonly value = Buffer.alloc(SLOT * BpfTracer.possibleCpus);
  private readonly dv = new DataView(this.value.buffer, this.value.byteOffset, this.value.byteLength);
  /** The map's bytes at the last full read, with `emitted` zeroed (it is not part of a loss);
   * cmp: this read's, the same way. */
  private readonly prev = Buffer.alloc(this.value.length);
  private readonly cmp = Buffer.alloc(this.value.length);
  private last: KernelCounters | null = null;
  private readonly key = new Uint8Array(4);
  private readonly info: Uint8Array | null;
  private skippedRuns: Record<string, number> = {};
  private skipsReadAt = -Infinity;

  /** programs: those attached; progInfo: where the kernel's bpf_prog_info counts skipped runs
   * (null: it does not, before Linux 5.12). */
  constructor(
    private readonly t: BpfTracer,
    private readonly programs: string[] = [],
    private readonly progInfo: ProgInfoLayout | null = null,
  ) {
    this.info = progInfo ? new Uint8Array(progInfo.size) : null;
    for (const p of programs) this.skippedRuns[p] = 0;
  }

  /** fresh: read the programs' skipped runs now, not at most every SKIPS_EVERY_MS, and every
   * count exact (not fresh: `emitted` may be the last full read's when nothing else moved). */
  read(fresh = false): KernelCounters {
    const runs = this.skippedRuns;
    const skippedRuns = this.readSkips(fresh);
    const found = this.t.lookup(M.counters, this.key, this.value);
    if (found) {
      const cmp = this.cmp;
      cmp.set(this.value);
      for (let cpu = 0; cpu < BpfTracer.possibleCpus; cpu++)
        cmp.fill(0, cpu * SLOT + C.emitted, cpu * SLOT + C.emitted + 8 * K.KIND_MAX);
      if (!fresh && skippedRuns === runs && this.last !== null && cmp.equals(this.prev)) return this.last;
      this.prev.set(cmp);
    }
    const out: KernelCounters = {
      emitted: Array(K.KIND_MAX).fill(0),
      lost: Array(K.KIND_MAX).fill(0),
      skipped: Array(K.KIND_MAX).fill(0),
      filtered: Array(K.KIND_MAX).fill(0),
      scratchClash: 0,
      skippedRuns,
    };
    for (const prog in out.skippedRuns) {
      const k = this.kindOf(prog);
      if (k !== null) out.skipped[k]! += out.skippedRuns[prog]!;
    }
    for (let k = 0; k < K.KIND_MAX; k++) out.lost[k] = out.skipped[k]!;
    this.last = found ? out : null;
    if (!found) return out;
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

  /** recordKindOf, once per program (read() runs once per wake-up bound while records flow). */
  private readonly kinds = new Map<string, number | null>();
  private kindOf(prog: string): number | null {
    let k = this.kinds.get(prog);
    if (k === undefined) this.kinds.set(prog, (k = recordKindOf(prog)));
    return k;
  }

  /** recursion_misses of each attached program: the kernel runs a program only once at a time
   * per CPU, and skips a run that comes while it is running there (a preempted run, on kernels
   * whose tracepoints are preemptible). */
  private readSkips(fresh: boolean): Record<string, number> {
    const now = performance.now();
    if (!this.info || (!fresh && now - this.skipsReadAt < SKIPS_EVERY_MS)) return this.skippedRuns;
    this.skipsReadAt = now;
    const at = this.progInfo!.recursionMisses;
    const dv = new DataView(this.info.buffer);
    const runs: Record<string, number> = {};
    let moved = false;
    for (const p of this.programs) {
      const len = this.t.programInfo(p, this.info);
      runs[p] = len >= at + 8 ? Number(dv.getBigUint64(at, true)) : 0;
      if (runs[p] !== this.skippedRuns[p]) moved = true;
    }
    if (moved) this.skippedRuns = runs; // the same object while nothing moved (see read)
    return this.skippedRuns;
  }
}

/** Turns growth of the kernel's lost counters into lost_events records (struct lost_record), as
 * soon as it is seen; they are decoded and written like the kernel's records. */
export class LossReporter {
  private seen: number[] = Array(K.KIND_MAX).fill(0);
  private seenSkipped = 0;
  private seenClash = 0;
  private checked: KernelCounters | null = null;

  constructor(private readonly bootToEpochNs: bigint) {}

  /** The lost_events record for what was lost since the last call, or null. */
  check(c: KernelCounters): Uint8Array | null {
    if (c === this.checked) return null; // CounterReader.read's counters of the last call: nothing moved
    this.checked = c;
    const perKind = c.lost.map((n, k) => n - this.seen[k]!);
    const total = perKind.reduce((a, b, k) => (k >= 1 ? a + b : a), 0);
    const clash = c.scratchClash - this.seenClash; // already in the per-kind counts
    if (total === 0) return null;
    const skipped = c.skipped.reduce((a, b) => a + b, 0);
    this.seen = [...c.lost];
    this.seenClash = c.scratchClash;
    const rec = lostRecord(
      BigInt(Date.now()) * 1_000_000n - this.bootToEpochNs,
      perKind,
      clash,
      skipped - this.seenSkipped,
    );
    this.seenSkipped = skipped;
    return rec;
  }
}

/** A lost_events record (struct lost_record): `perKind[k]` records of kind k lost, at boot time `ts`. */
export function lostRecord(ts: bigint, perKind: readonly number[], clash = 0, skipped = 0): Uint8Array {
  const rec = new Uint8Array(L.$size);
  const dv = new DataView(rec.buffer);
  let total = 0;
  for (let k = 1; k < K.KIND_MAX; k++) {
    const n = perKind[k] ?? 0;
    total += n;
    dv.setBigUint64(L.lost_kind + 8 * k, BigInt(n), true);
  }
  dv.setUint32(H.kind, K.KIND_LOST, true);
  dv.setUint32(H.size, L.$size, true);
  dv.setBigUint64(H.ts, ts, true);
  dv.setBigUint64(L.lost, BigInt(total), true);
  dv.setBigUint64(L.scratch_clash, BigInt(clash), true);
  dv.setBigUint64(L.skipped, BigInt(skipped), true);
  return rec;
}
