// One global sequence number per record. The default BPF object takes it from one atomic counter;
// the legacy one (Linux before 5.12: no atomic fetch-add) counts per CPU and says so
// (RF_SEQ_PER_CPU: count << SEQ_CPU_BITS | cpu). Records reach user space in the ring's own
// global order, so the per-CPU counts become one sequence here: a CPU's count that skips k
// numbers means k of its records were lost, and they take the k numbers before this record.
// Either way, delivered seq values plus lost counts cover every number.
import { rec_header as H, record_flag as RF, seq_layout as SL } from "./layout.gen";

const CPUS = 2 ** SL.SEQ_CPU_BITS;

export class SeqNumbers {
  private next = 0;
  private expected = new Map<number, number>(); // per CPU: the count its next record should have

  /** The record's sequence number (the kernel's own when it is global). Call it once per ring
   * record, in ring order. */
  of(dv: DataView, off: number): number {
    const raw = kernelSeq(dv, off);
    if (!(dv.getUint32(off + H.flags, true) & RF.RF_SEQ_PER_CPU)) return raw;
    const cpu = raw % CPUS,
      count = Math.floor(raw / CPUS);
    const want = this.expected.get(cpu) ?? 0;
    if (count > want) this.next += count - want;
    this.expected.set(cpu, count + 1);
    return this.next++;
  }
}

/** The seq field of the record at dv[off] as the kernel wrote it. */
export function kernelSeq(dv: DataView, off: number): number {
  return dv.getUint32(off + H.seq + 4, true) * 2 ** 32 + dv.getUint32(off + H.seq, true);
}
