// The ring reader against the real kernel: records with known bytes (test/ring/producer.ts) come
// out whole, in order, at int32 offsets, across many wraps; a full ring keeps exactly what fits.
import { test, expect, describe } from "bun:test";
import { jscDescribe } from "bun:jsc";
import { RingReader, ringDataArea } from "../../src/ring/reader.ts";
import { pageSize } from "../../ffi/libc.ts";
import { MAX_RECORD, SyntheticRing } from "./producer.ts";

/** Record i: its length and bytes (index in the first 4 bytes when they fit, then a pattern). */
function recordOf(i: number, len: number): Uint8Array {
  const r = new Uint8Array(len);
  for (let j = 0; j < len; j++) r[j] = (i * 31 + j * 7 + 1) & 0xff;
  if (len >= 4) new DataView(r.buffer).setUint32(0, i, true);
  return r;
}

/** The kernel's space for a record: 8-byte header, sample rounded up to 8. */
const slot = (len: number) => 8 + ((len + 7) & ~7);

function withRing(
  size: number,
  body: (
    ring: SyntheticRing,
    got: Uint8Array[],
    reader: RingReader,
    info: { offsets: number[]; nonInt: number },
  ) => void,
) {
  const ring = new SyntheticRing(size);
  const got: Uint8Array[] = [];
  const info = { offsets: [] as number[], nonInt: 0 };
  const reader = new RingReader(ring.mapFd, size, (view, offset, length) => {
    if (!jscDescribe(offset).startsWith("Int32:")) info.nonInt++;
    info.offsets.push(offset);
    got.push(new Uint8Array(view.buffer, view.byteOffset + offset, length).slice());
  });
  try {
    body(ring, got, reader, info);
  } finally {
    reader.close();
    ring.close();
  }
}

describe("ring reader, synthetic records", () => {
  test("every length 1..512 across many wraps of a one-page ring: bytes, lengths and order exact", () => {
    withRing(pageSize, (ring, got, reader, info) => {
      const sent: Uint8Array[] = [];
      let delivered = 0;
      for (let i = 0; i < 3000; i++) {
        const len = 1 + ((i * 97) % MAX_RECORD);
        const r = recordOf(i, len);
        ring.emit(r);
        sent.push(r);
        if (i % 3 === 2) delivered += reader.drain(); // a few records per batch
      }
      delivered += reader.drain();
      expect(delivered).toBe(sent.length);
      expect(got.length).toBe(sent.length);
      let bad = 0;
      for (let i = 0; i < sent.length; i++) if (!Buffer.from(got[i]!).equals(Buffer.from(sent[i]!))) bad++;
      expect(bad).toBe(0);
      expect(info.nonInt).toBe(0);
      // Records start inside the first copy of the data area; some end in the second (they
      // straddle the wrap) and must still read whole.
      expect(info.offsets.every((o) => o >= 8 && o < pageSize + 8)).toBe(true);
      const straddling = info.offsets.filter((o, i) => o + got[i]!.length > pageSize).length;
      expect(straddling).toBeGreaterThan(10);
      // Positions follow the kernel's format: each record's header sits right after the previous slot.
      let pos = info.offsets[0]! - 8;
      let gaps = 0;
      for (let i = 0; i < got.length; i++) {
        if (info.offsets[i]! - 8 !== pos % pageSize) gaps++;
        pos += slot(got[i]!.length);
      }
      expect(gaps).toBe(0);
      // The data area found in /proc/self/maps is where libbpf's mapping has it.
      expect(reader.dataAddress).toBeGreaterThan(0);
    });
  });

  test("a full ring keeps exactly the records that fit (64-byte records in 4 KiB: 56)", () => {
    withRing(pageSize, (ring, got, reader) => {
      const r = recordOf(7, 64);
      ring.emit(r, 100);
      expect(reader.drain()).toBe(Math.floor(pageSize / slot(64)));
      expect(got.every((g) => Buffer.from(g).equals(Buffer.from(r)))).toBe(true);
      // Room again after the drain: the next records arrive.
      ring.emit(recordOf(8, 64), 3);
      expect(reader.drain()).toBe(3);
    });
  });

  test("poll() waits for a record and delivers it (wake-up on output)", () => {
    const ring = new SyntheticRing(pageSize, 0);
    const got: number[] = [];
    const reader = new RingReader(ring.mapFd, pageSize, (view, offset) => got.push(view.getUint32(offset, true)));
    try {
      ring.emit(recordOf(42, 16));
      expect(reader.poll(1000)).toBe(1);
      expect(got).toEqual([42]);
    } finally {
      reader.close();
      ring.close();
    }
  });
});

describe("ringDataArea", () => {
  const size = 1 << 16;
  const line = (start: number, len: number, off: number, name = "anon_inode:bpf-map") =>
    `${start.toString(16)}-${(start + len).toString(16)} r--s ${off.toString(16).padStart(8, "0")} 00:0f 1061 ${name}`;
  const A = 0x7f0000000000;

  test("data = start + 2 pages − file offset, whichever page the mapping starts at", () => {
    const maps = [line(0x1000, 0x1000, 0, "/usr/lib/x"), line(A, pageSize + 2 * size, pageSize)].join("\n");
    expect(ringDataArea(maps, A + pageSize + 100, size)).toBe(A + pageSize);
    expect(ringDataArea(line(A, 2 * pageSize + 2 * size, 0), A + 3 * pageSize, size)).toBe(A + 2 * pageSize);
    expect(ringDataArea(line(A, 2 * size, 2 * pageSize), A + 8, size)).toBe(A);
  });

  test("a mapping too short for the doubled data area, or none holding the record, is an error", () => {
    expect(() => ringDataArea(line(A, pageSize + size, pageSize), A + pageSize + 8, size)).toThrow(
      /does not hold its 65536-byte data area twice/,
    );
    expect(() => ringDataArea(line(A, pageSize + 2 * size, pageSize, "/memfd:x"), A + pageSize + 8, size)).toThrow(
      /no BPF map mapping/,
    );
  });
});
