// Decoder micro-benchmark, one core, over synthetic ring records in memory: decode (record →
// event), json (the event path: decode + encodeJson), direct (JSON straight from the record,
// format/json-record.ts), pipeline (the tracer's whole per-record path with --json: enrich +
// direct JSON; the event path for kinds without one). Prints one JSON line.
import { decodeRecord } from "../src/decode/index";
import { encodeJson } from "../src/format/json";
import { ByteBuf } from "../src/format/bytes";
import { encodeRecordJson } from "../src/format/json-record";
import { recordHandler, type JsonSink } from "../src/pipeline";
import { spread, type Spread } from "./summary";
import { execRecord, exitRecord, forkRecord, ringOf } from "./records";

const ROUNDS = 7;
const ROUND_MS = 200;
const WARMUP_MS = 400;
const opts = { bootToEpochNs: 1_700_000_000_000_000_000n, captureEnv: false };

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
  const rec = { dv: ring.dv, u8: ring.u8, off: 0, len: 0 };
  const out = new ByteBuf(1 << 20);
  const at = (i: number) => {
    const s = ring.spans[i & 63]!;
    rec.off = s[0];
    rec.len = s[1];
    return rec;
  };
  const flushAt = 900_000;
  const json = (e: Parameters<typeof encodeJson>[1]) => {
    encodeJson(out, e);
    if (out.pos > flushAt) out.pos = 0; // where the writer would write out a chunk
  };
  const sink = Object.assign(out, { commit: () => void (out.pos > flushAt && (out.pos = 0)) }) as JsonSink;
  const handler = recordHandler(opts, json, { decoded: 0, malformed: 0, excluded: 0, lastError: "" }, sink);
  const bytes = (() => {
    out.pos = 0;
    encodeJson(out, decodeRecord(at(0), opts));
    const n = out.pos;
    out.pos = 0;
    return n;
  })();
  return {
    bytes,
    decode: (i: number) => (decodeRecord(at(i), opts), 0),
    json: (i: number) => (json(decodeRecord(at(i), opts)), 0),
    direct: (i: number) => (encodeRecordJson(sink, at(i), opts, false, "/usr/bin/gcc"), sink.commit(), 0),
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
