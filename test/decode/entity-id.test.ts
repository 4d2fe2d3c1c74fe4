// Entity ids are FNV-1a (32 bit) over the 12 little-endian bytes (id u32, start time u64):
// checked against a textbook byte-loop FNV-1a and its published test vector.
import { expect, test } from "bun:test";
import { entityId } from "../../src/decode/record";

function fnv1a32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h >>> 0;
}

test("the reference FNV-1a gives the published vector", () => {
  expect(fnv1a32(new TextEncoder().encode("a"))).toBe(0xe40c292c);
});

test("entityId = FNV-1a of (id, start time) as 12 little-endian bytes", () => {
  const dv = new DataView(new ArrayBuffer(12));
  for (let i = 0; i < 10000; i++) {
    const id = (Math.random() * 2 ** 32) >>> 0;
    const start = BigInt(Math.floor(Math.random() * 2 ** 53));
    dv.setUint32(0, id, true);
    dv.setBigUint64(4, start, true);
    const want = fnv1a32(new Uint8Array(dv.buffer));
    expect(entityId(id, dv.getUint32(4, true), dv.getUint32(8, true))).toBe(want);
  }
});
