// Decoder micro-benchmark, one core, over synthetic ring records in memory: decode (record →
// event view, checks and per-record preparation), json (decode + the JSON encoder), direct (the
// encoder alone on a view already set), pipeline (the tracer's whole per-record path with
// --json: decode, enrich, encode). Prints one JSON line.
import { decodeInto } from "../src/decode/index";
import { RecordEvent } from "../src/decode/event";
import { EpochClock } from "../src/decode/clock";
import { JsonEncoder } from "../src/format/json";
import { ByteBuf } from "../src/format/bytes";
import { createPipeline } from "../src/pipeline";
import { spread, type Spread } from "./summary";
import { execRecord, exitRecord, forkRecord, ringOf } from "./records";

const ROUNDS = 7;
const ROUND_MS = 200;
const WARMUP_MS = 400;
const opts = { clock: new EpochClock(1_700_000_000_000_000_000n), captureEnv: false };

type Step = (i: number) => number; // handles record i, returns bytes written (0 if none)

function measure(step: Step): Spread {
  const run = (ms: number) => {
    let n = 0;
    const t0 = Bun.nanoseconds();
    const end = t0 + ms * 1e6;
    let t = t0;
    while (t < end) {
      for (let k = 0; k < 1000; k++) step(n++);
      t = Bun.nanoseconds();
    }
    return (n * 1e9) / (t - t0);
  };
  run(WARMUP_MS);
  return spread(Array.from({ length: ROUNDS }, () => run(ROUND_MS)));
}

function steps(make: (pid: number) => Uint8Array) {
  const ring = ringOf(make, 64);
  const ev = new RecordEvent(opts);
  const enc = new JsonEncoder(false);
  const out = new ByteBuf(1 << 20);
  const flushAt = 900_000;
  const decode = (i: number) => {
    const s = ring.spans[i & 63]!;
    decodeInto(ev, ring.dv, ring.u8, s[0], s[1]);
    ev.x.exePath = "/usr/bin/gcc";
    return ev;
  };
  const json = (e: RecordEvent) => {
    enc.encode(out, e);
    if (out.pos > flushAt) out.pos = 0; // where the writer would write out a chunk
  };
  const handler = createPipeline(opts, json, { decoded: 0, malformed: 0, excluded: 0, lastError: "" }).onRecord;
  const bytes = (() => {
    out.pos = 0;
    enc.encode(out, decode(0));
    const n = out.pos;
    out.pos = 0;
    return n;
  })();
  decode(0);
  return {
    bytes,
    decode: (i: number) => (decode(i), 0),
    json: (i: number) => (json(decode(i)), 0),
    direct: (_i: number) => (json(ev), 0), // the encoder alone, on a view already set
    pipeline: (i: number) => {
      const s = ring.spans[i & 63]!;
      handler(ring.dv, s[0], s[1]);
      return 0;
    },
  };
}

// One measurement per process (bun decoder-bench.ts KIND MODE): a JIT that has seen the other
// modes' call sites can compile this one differently, and the figures would depend on the order.
const kinds = { exec: execRecord, fork: forkRecord, exit: exitRecord };
const MODES = ["decode", "json", "direct", "pipeline"] as const;
const [kind, mode] = process.argv.slice(2) as [keyof typeof kinds, (typeof MODES)[number]];
if (!kinds[kind] || !MODES.includes(mode)) {
  console.error(`usage: bun bench/decoder-bench.ts exec|fork|exit ${MODES.join("|")}`);
  process.exit(2);
}
const st = steps(kinds[kind]);
console.log(JSON.stringify({ kind, mode, jsonBytes: st.bytes, rate: measure(st[mode]) }));
