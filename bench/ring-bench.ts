// Ring reader micro-benchmark: what one record costs libbpf's ring_buffer__consume with a native
// callback (libc's abs: returns 0, touches nothing) and with the reader's JS callback (the
// native→JS call, the checks, a handler reading one u32). The ring is filled in the kernel
// (test/ring/producer.ts, BPF_PROG_TEST_RUN) before each drain, so only the reading is timed.
//   bun bench/ring-bench.ts [RECORD_BYTES]   → one JSON line
import { dlopen, FFIType, type Pointer } from "bun:ffi";
import { bpf } from "../ffi/libbpf";
import { RingReader } from "../src/ring/reader";
import { SyntheticRing } from "../test/ring/producer";
import { spread, type Spread } from "./summary";

export interface RingBench {
  recordBytes: number;
  recordsPerDrain: number;
  nativeNsPerRecord: Spread;
  jsNsPerRecord: Spread;
  /** The JS callback's share: median JS − median native. */
  callbackNsPerRecord: number;
}

const SIZE = 1 << 24;
const ROUNDS = 9;
const len = Number(process.argv[2] ?? 64);
const perRing = Math.floor(SIZE / (8 + ((len + 7) & ~7)));
const record = new Uint8Array(len).fill(0x5a);

const libc = dlopen("libc.so.6", { abs: { args: [FFIType.i32], returns: FFIType.i32 } });
const nativeNoop = (libc.symbols.abs as unknown as { ptr: number }).ptr;

function timed(ring: SyntheticRing, drain: () => number): number {
  ring.emit(record, perRing);
  const t0 = Bun.nanoseconds();
  const n = drain();
  const ns = Bun.nanoseconds() - t0;
  if (n !== perRing) throw new Error(`drained ${n} of ${perRing} records`);
  return ns / n;
}

function native(): Spread {
  const ring = new SyntheticRing(SIZE);
  const rb = bpf.ring_buffer__new(ring.mapFd, nativeNoop as unknown as Pointer, null, null) as Pointer;
  try {
    const xs = Array.from({ length: ROUNDS + 1 }, () => timed(ring, () => bpf.ring_buffer__consume(rb)));
    return spread(xs.slice(1));
  } finally {
    bpf.ring_buffer__free(rb);
    ring.close();
  }
}

function js(): Spread {
  const ring = new SyntheticRing(SIZE);
  let sum = 0;
  const reader = new RingReader(ring.mapFd, SIZE, (view, offset) => {
    sum += view.getUint32(offset, true);
  });
  try {
    const xs = Array.from({ length: ROUNDS + 1 }, () => timed(ring, () => reader.drain()));
    if (sum === 0) throw new Error("handler saw nothing");
    return spread(xs.slice(1));
  } finally {
    reader.close();
    ring.close();
  }
}

const n = native();
const j = js();
const result: RingBench = {
  recordBytes: len,
  recordsPerDrain: perRing,
  nativeNsPerRecord: n,
  jsNsPerRecord: j,
  callbackNsPerRecord: j.median - n.median,
};
process.stdout.write(JSON.stringify(result) + "\n");
