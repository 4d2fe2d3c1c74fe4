// src/load/heap.ts: inside withHugePageHeap glibc serves a large block from its heap (the part
// advised for huge pages), and afterwards from a fresh mapping again, as by default. Told apart
// by glibc's own chunk header: the size word before a block has IS_MMAPPED (2) set for a block
// that has a mapping of its own.
import { describe, expect, test } from "bun:test";
import { read } from "bun:ffi";
import { libc } from "../../ffi/libc";
import { withHugePageHeap } from "../../src/load/heap";

const IS_MMAPPED = 2;
const BLOCK = 1 << 20; // above glibc's default mmap threshold (128 KiB), below the one used inside

function mmapped(size: number): boolean {
  const p = Number(libc.malloc(size));
  expect(p).not.toBe(0);
  try {
    return (Number(read.u64(p, -8)) & IS_MMAPPED) !== 0;
  } finally {
    libc.free(p);
  }
}

describe("withHugePageHeap", () => {
  test("a 1 MiB block comes from the heap inside and from its own mapping before and after", () => {
    expect(mmapped(BLOCK)).toBe(true);
    expect(withHugePageHeap(() => mmapped(BLOCK))).toBe(false);
    expect(mmapped(BLOCK)).toBe(true);
  });

  test("passes on the result and the exception, and restores the defaults after a throw", () => {
    expect(withHugePageHeap(() => 42)).toBe(42);
    expect(() =>
      withHugePageHeap(() => {
        throw new Error("load failed");
      }),
    ).toThrow("load failed");
    expect(mmapped(BLOCK)).toBe(true);
  });
});
