// Synthetic ring records for the decoder micro-benchmark (test/records.ts lays them out): a gcc
// exec as a build would show it, a fork and an exit; and a ring of them side by side.
import { gccExec, simpleExit, simpleFork } from "../test/records";

export const execRecord = gccExec;
export const forkRecord = simpleFork;
export const exitRecord = (pid: number) => simpleExit(pid);

/** `n` records side by side in one buffer, as in the ring: [offset, length] of each. */
export function ringOf(make: (pid: number) => Uint8Array, n: number) {
  const recs = Array.from({ length: n }, (_, i) => make(10_000 + i));
  const total = recs.reduce((a, r) => a + r.length + 8, 0);
  const u8 = Buffer.alloc(total); // the tracer's pipeline wraps the ring in a Buffer too
  const spans: [number, number][] = [];
  let off = 0;
  for (const r of recs) {
    off += 8; // the ring's own 8-byte record header
    u8.set(r, off);
    spans.push([off, r.length]);
    off += r.length;
  }
  return { u8, dv: new DataView(u8.buffer), spans };
}
