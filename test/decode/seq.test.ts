// SeqNumbers: the legacy object's per-CPU sequence numbers become one global sequence in which
// delivered records plus lost ones cover every number; the default object's pass through.
import { describe, expect, test } from "bun:test";
import { rec_header as H, record_flag as RF, seq_layout as SL } from "../../src/decode/layout.gen";
import { SeqNumbers } from "../../src/decode/seq";

function header(seq: number, flags: number): DataView {
  const dv = new DataView(new ArrayBuffer(H.$size));
  dv.setBigUint64(H.seq, BigInt(seq), true);
  dv.setUint32(H.flags, flags, true);
  return dv;
}

describe("SeqNumbers", () => {
  test("a global kernel seq is kept as it is", () => {
    const s = new SeqNumbers();
    for (const v of [0, 1, 5, 2 ** 40]) expect(s.of(header(v, 0), 0)).toBe(v);
  });

  test("per-CPU counts with losses: delivered plus lost cover 0..n-1, in ring order", () => {
    // A random stream of records from 4 CPUs, in ring order; each CPU numbers its own, as the
    // legacy object does; about one in five is lost (the kernel took its number, the ring had no room).
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const perCpu = [0, 0, 0, 0];
    const s = new SeqNumbers();
    const delivered: number[] = [];
    let lost = 0;
    const N = 5000;
    for (let i = 0; i < N; i++) {
      const cpu = Math.floor(rand() * 4);
      const count = perCpu[cpu]!++;
      if (rand() < 0.2 && i < N - 40) {
        // the last records of each CPU arrive, so no loss is still pending
        lost++;
        continue;
      }
      delivered.push(s.of(header(count * 2 ** SL.SEQ_CPU_BITS + cpu, RF.RF_SEQ_PER_CPU), 0));
    }
    for (let i = 1; i < delivered.length; i++) expect(delivered[i]!).toBeGreaterThan(delivered[i - 1]!);
    expect(delivered.length + lost).toBe(N);
    // The last record is delivered: it has the last number, and every number below it is
    // either delivered or stands for a lost record.
    const last = delivered[delivered.length - 1]!;
    expect(last).toBe(N - 1);
    expect(last + 1 - delivered.length).toBe(lost);
  });
});
