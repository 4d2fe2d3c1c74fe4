// Entity ids exactly as Tracee computes them (pkg/datastores/process/taskid.go HashTaskID): so our
// threadEntityId/processEntityId/parentEntityId join with Tracee's own.
// HashTaskID(tid, start) = Murmur3 x86 32-bit, seed 0x18273645, over 12 bytes: tid (u32) then the
// task's start in epoch ns rounded down to 100 ms (u64), both big-endian.
import { dfgOnly } from "../jit";
import { divmod, Q } from "./clock";

const SEED = 0x18273645;
const key = new Uint8Array(12);
const keyView = new DataView(key.buffer);

/** MurmurHash3 x86 32-bit of bytes[0, n) (4-byte blocks read little-endian, as on x86). */
export function murmur32(bytes: Uint8Array, n = bytes.length, seed = SEED): number {
  return murmur(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes, n, seed);
}

/** murmur32 over a DataView and a Uint8Array of the same bytes (no view made per call). */
function murmur(dv: DataView, bytes: Uint8Array, n: number, seed: number): number {
  let h = seed | 0;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    // getInt32, not getUint32: the same bits for imul, and a word ≥ 2^31 read unsigned is a
    // double, which failed the DFG code's int32 speculation (101 OSR exits, then compiled
    // again: BUN_JSC_printEachOSRExit over 3,000 spawns).
    let k = Math.imul(dv.getInt32(i, true), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = n & 3;
  if (tail > 0) {
    let k = bytes[blocks]!;
    if (tail > 1) k ^= bytes[blocks + 1]! << 8;
    if (tail > 2) k ^= bytes[blocks + 2]! << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** HashTaskID(tid, start) with the start in epoch ns as hi * 2^32 + lo. */
export function hashTaskId(tid: number, hi: number, lo: number): number {
  divmod(hi, lo, 100_000_000); // round down to 100 ms
  let l = lo - Q.r;
  let h = hi;
  if (l < 0) {
    l += 4294967296;
    h--;
  }
  keyView.setUint32(0, tid, false);
  keyView.setUint32(4, h, false);
  keyView.setUint32(8, l, false);
  return murmur(keyView, key, 12, SEED);
}

dfgOnly(murmur); // src/jit.ts
