// lruEntries() against the kernel's own LRU hash map (root): a map of lruEntries(live, CPUs)
// entries keeps every one of `live` keys through churn spread over the CPUs, and one of `live`
// entries does not (the churn is strong enough to show an eviction).
import { test, expect, afterAll } from "bun:test";
import { closeSync } from "node:fs";
import { dlopen, FFIType, ptr } from "bun:ffi";
import { bpf, cstr, BPF_ANY } from "../../ffi/libbpf.ts";
import { BpfTracer } from "../../src/load/loader.ts";
import { lruEntries } from "../../src/load/programs.ts";

const BPF_MAP_TYPE_LRU_HASH = 9;
const LIVE = 256;
const { sched_setaffinity, sched_getaffinity } = dlopen("libc.so.6", {
  sched_setaffinity: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  sched_getaffinity: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
}).symbols;

// The CPUs this test may run on, and a way back to all of them afterwards.
const allowed = new BigUint64Array(16);
expect(sched_getaffinity(0, allowed.byteLength, ptr(allowed))).toBe(0);
const cpus: number[] = [];
for (let c = 0; c < allowed.length * 64; c++) if ((allowed[c >> 6]! >> BigInt(c & 63)) & 1n) cpus.push(c);
afterAll(() => {
  sched_setaffinity(0, allowed.byteLength, ptr(allowed));
});

function onCpu(cpu: number): void {
  const mask = new BigUint64Array(allowed.length);
  mask[cpu >> 6] = 1n << BigInt(cpu & 63);
  expect(sched_setaffinity(0, mask.byteLength, ptr(mask))).toBe(0);
}

/** Keys 0..n-1 inserted in turn, each from the next CPU, the oldest deleted first so that at most
 * LIVE are in the map; returns how many of the LIVE keys that must be there were gone, over all
 * checks (one after each CPU's turn). */
function churn(maxEntries: number): number {
  const fd = bpf.bpf_map_create(BPF_MAP_TYPE_LRU_HASH, cstr("lru_test"), 4, 8, maxEntries, null);
  expect(fd).toBeGreaterThanOrEqual(0);
  const key = new Uint32Array(1);
  const value = new BigUint64Array(1);
  let missing = 0;
  try {
    const n = 8 * maxEntries;
    for (let k = 0; k < n; k++) {
      if (k % 64 === 0) onCpu(cpus[(k / 64) % cpus.length]!);
      if (k >= LIVE) {
        key[0] = k - LIVE;
        bpf.bpf_map_delete_elem(fd, ptr(key)); // absent when it was evicted: counted below
      }
      key[0] = k;
      expect(bpf.bpf_map_update_elem(fd, ptr(key), ptr(value), BPF_ANY)).toBe(0);
      if (k % 64 === 63 && k >= LIVE)
        for (let j = k - LIVE + 1; j <= k; j++) {
          key[0] = j;
          if (bpf.bpf_map_lookup_elem(fd, ptr(key), ptr(value)) !== 0) missing++;
        }
    }
  } finally {
    closeSync(fd);
  }
  return missing;
}

test("an LRU map of lruEntries(live, CPUs) entries evicts none of `live` keys in use", () => {
  expect(churn(lruEntries(LIVE, BpfTracer.possibleCpus))).toBe(0);
});

test.skipIf(cpus.length < 2)("without the CPUs' share, the same churn evicts keys in use", () => {
  expect(churn(LIVE + 64)).toBeGreaterThan(0);
});
