// JSON straight from records (format/json-record.ts) must be byte for byte what the event path
// writes (encodeJson of decodeRecord): random records of every direct kind, both ways compared;
// a record that does not hold together writes nothing; the whole pipeline gives the same output.
import { describe, expect, test } from "bun:test";
import {
  exec_record as E, exit_record as X, file_id as F, fork_record as FK, rec_header as H, record_flag as RF, record_kind as K, span as S,
} from "../../src/decode/layout.gen";
import { decodeRecord, DecodeError } from "../../src/decode/index";
import { encodeJson, encodeValue } from "../../src/format/json";
import { decodeBytes, splitNul } from "../../src/decode/text";
import { encodeRecordJson } from "../../src/format/json-record";
import { ByteBuf } from "../../src/format/bytes";
import { recordHandler, type JsonSink } from "../../src/pipeline";

/** xorshift32: the same records on every run. */
function prng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return { u32: next, below: (n: number) => next() % n, pick: <T>(a: readonly T[]) => a[next() % a.length]! };
}
type Rng = ReturnType<typeof prng>;

const enc = new TextEncoder();
/** Pieces strings are made of: plain text, JSON specials, C0 controls, multibyte UTF-8, bytes that are not UTF-8. */
const PIECES: Uint8Array[] = [
  ..."abc /usr/bin/x -O2 \"q\" back\\slash tab\t nl\n é 日本 😀 \u2028".split(" ").map((s) => enc.encode(s + " ")),
  new Uint8Array([0x01, 0x1f, 0x7f]),
  new Uint8Array([0xff, 0xfe, 0x80]), // invalid
  new Uint8Array([0xc3]), // truncated 2-byte
  new Uint8Array([0xe2, 0x82]), // truncated 3-byte
  new Uint8Array([0xed, 0xa0, 0x80]), // a UTF-16 surrogate in UTF-8: invalid
  new Uint8Array([0xc0, 0xaf]), // overlong
  new Uint8Array([0xef, 0xbb, 0xbf]), // BOM
  new Uint8Array([0xef, 0xbf, 0xbd]), // a real U+FFFD
  new Uint8Array([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
];

function bytes(g: Rng, maxPieces: number, nul = false): Uint8Array {
  const parts: number[] = [];
  const n = g.below(maxPieces + 1);
  for (let i = 0; i < n; i++) {
    parts.push(...g.pick(PIECES));
    if (nul && g.below(3) === 0) parts.push(0);
  }
  return new Uint8Array(parts);
}

/** A NUL list as the kernel captures it: each string NUL-terminated, maybe cut at the end. */
function nulList(g: Rng): Uint8Array {
  const parts: number[] = [];
  const n = g.below(6);
  for (let i = 0; i < n; i++) parts.push(...bytes(g, 3), 0);
  if (g.below(3) === 0 && parts.length > 0) parts.length -= 1 + g.below(Math.min(4, parts.length));
  return new Uint8Array(parts);
}

/** A record of `kind`: header fields random, the spans' strings in the tail. */
function record(g: Rng, kind: number, fixed: number, spans: [number, Uint8Array][], fill: (dv: DataView) => void): Uint8Array {
  const all: [number, Uint8Array][] = [[H.hostname, bytes(g, 2)], [H.cgroup, g.below(2) ? enc.encode("docker-" + "ab".repeat(32) + ".scope") : bytes(g, 2)], ...spans];
  const size = fixed + all.reduce((a, [, b]) => a + b.length, 0);
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < fixed; i += 4) dv.setUint32(i, g.u32(), true); // garbage everywhere first
  let off = fixed;
  for (const [at, b] of all) {
    dv.setUint32(at + S.off, off, true);
    dv.setUint32(at + S.len, b.length, true);
    buf.set(b, off);
    off += b.length;
  }
  dv.setUint32(H.kind, kind, true);
  dv.setUint32(H.size, size, true);
  const time = () => (g.below(5) === 0 ? 0n : BigInt(g.u32()) * BigInt(g.below(4) === 0 ? 4294967296 : 1000));
  for (const at of [H.ts, H.thread_start, H.process_start, H.parent_start]) dv.setBigUint64(at, time(), true);
  dv.setBigUint64(H.seq, BigInt(g.u32()), true);
  dv.setBigUint64(H.cgroup_id, BigInt(g.below(100000)), true);
  buf.fill(0, H.comm, H.comm + H.comm$count);
  buf.set(bytes(g, 2).subarray(0, H.comm$count), H.comm);
  fill(dv);
  return buf;
}

function execRecord(g: Rng): Uint8Array {
  const argv = nulList(g);
  const env = nulList(g);
  const span = (at: number): [number, Uint8Array] => [at, bytes(g, 3)];
  return record(g, K.KIND_EXEC, E.$size, [span(E.cmdpath), span(E.pathname), span(E.interp), span(E.interpreter_pathname), span(E.stdin_path), span(E.pwd), [E.argv, argv], [E.env, env]], (dv) => {
    let flags = 0;
    for (const bit of Object.values(RF)) if (typeof bit === "number" && g.below(4) === 0) flags |= bit;
    dv.setUint32(H.flags, flags, true);
    dv.setUint32(E.argc, g.below(8), true);
    dv.setUint32(E.argv_size, argv.length + (g.below(2) ? 0 : g.below(5000)), true);
    dv.setUint32(E.envc, g.below(8), true);
    dv.setUint32(E.env_size, env.length + (g.below(2) ? 0 : g.below(5000)), true);
    dv.setUint32(E.stdin_magic, g.pick([0x50495045, 0x534f434b, 0x09041934]), true);
    dv.setBigUint64(E.binary + F.ctime, BigInt(g.u32()) * 400000000n, true);
    dv.setBigUint64(E.binary + F.inode, BigInt(g.u32()) << BigInt(g.below(33)), true);
    dv.setInt32(E.syscall_nr, g.pick([59, 322, 0]), true);
  });
}

function forkRecord(g: Rng): Uint8Array {
  return record(g, K.KIND_FORK, FK.$size, [], (dv) => {
    const pid = g.below(1 << 22);
    dv.setUint32(FK.child_pid, pid, true);
    dv.setUint32(FK.child_tid, g.below(2) ? pid : pid + 1, true);
    dv.setBigUint64(FK.child_start, BigInt(g.u32()) * 1000n, true);
  });
}

function exitRecord(g: Rng): Uint8Array {
  return record(g, K.KIND_EXIT, X.$size, [], (dv) => {
    dv.setInt32(X.exit_code, g.pick([0, 7 << 8, 9, 0x80 | 11, 255 << 8]), true);
    dv.setUint32(X.group_dead, g.below(2), true);
  });
}

const MAKERS = { exec: execRecord, fork: forkRecord, exit: exitRecord };
const ctx = { bootToEpochNs: 1_764_000_000_123_456_789n };
const recOf = (buf: Uint8Array) => ({ dv: new DataView(buf.buffer), u8: Buffer.from(buf.buffer), off: 0, len: buf.length });

function viaEvent(buf: Uint8Array, captureEnv: boolean, path: string): string {
  const e = decodeRecord(recOf(buf), { ...ctx, captureEnv });
  e.executable.path = path;
  const out = new ByteBuf(1 << 10);
  encodeJson(out, e);
  return out.take();
}

function direct(buf: Uint8Array, captureEnv: boolean, path: string): string {
  const out = new ByteBuf(1 << 10);
  encodeRecordJson(out, recOf(buf), ctx, captureEnv, path);
  return out.take();
}

describe("JSON strings straight from bytes", () => {
  test("utf8Json = str(decodeBytes), utf8JsonNulList = the JSON of splitNul's items", () => {
    const g = prng(7);
    const a = new ByteBuf(64);
    const b = new ByteBuf(64);
    for (let i = 0; i < 5000; i++) {
      const raw = i & 1 ? bytes(g, 6, true) : nulList(g);
      const u8 = new Uint8Array(raw.length + 4).fill(0x41); // a range inside a larger buffer
      u8.set(raw, 2);
      a.utf8Json(u8, 2, 2 + raw.length);
      b.str(decodeBytes(u8, 2, 2 + raw.length));
      a.utf8JsonNulList(u8, 2, 2 + raw.length);
      encodeValue(b, splitNul(u8, 2, 2 + raw.length).items);
      expect(a.take()).toBe(b.take());
    }
  });
});

describe("JSON straight from the record = JSON of the decoded event", () => {
  for (const [kind, make] of Object.entries(MAKERS)) {
    test(`${kind}: 2000 random records, with and without --env`, () => {
      const g = prng(kind.length * 7919);
      for (let i = 0; i < 2000; i++) {
        const buf = make(g);
        const captureEnv = (i & 1) === 1;
        const path = i % 3 === 0 ? "" : "/usr/bin/prog \"x\"";
        const want = viaEvent(buf, captureEnv, path);
        expect(JSON.parse(want).eventName).toBe(`sched_process_${kind}`);
        expect(direct(buf, captureEnv, path)).toBe(want);
      }
    });
  }

  test("a record that does not hold together throws DecodeError and writes nothing", () => {
    const g = prng(99);
    const out = new ByteBuf(64);
    out.ascii("kept");
    for (const make of Object.values(MAKERS)) {
      const buf = make(g);
      const dv = new DataView(buf.buffer);
      const cases: Uint8Array[] = [buf.slice(0, H.$size), buf.slice(0, buf.length - 1)];
      const badSpan = buf.slice();
      new DataView(badSpan.buffer).setUint32(H.hostname + S.len, 1 << 20, true);
      cases.push(badSpan);
      dv.setUint32(H.size, 8, true);
      cases.push(buf);
      for (const c of cases) {
        expect(() => encodeRecordJson(out, recOf(c), ctx, true, "")).toThrow(DecodeError);
        expect(out.pos).toBe(4);
      }
    }
    expect(out.take()).toBe("kept");
  });
});

describe("the pipeline writes the same lines either way", () => {
  test("exec, fork, exit and a failed exec of real and unknown pids, process table included", () => {
    const g = prng(4242);
    const me = process.pid;
    const recs: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      const buf = g.pick(Object.values(MAKERS))(g);
      const dv = new DataView(buf.buffer);
      dv.setUint32(H.host_pid, g.pick([me, 1, 4_000_000]), true); // this process, init, nobody
      if (dv.getUint32(H.kind, true) === K.KIND_FORK) dv.setUint32(FK.child_pid, g.pick([me, 4_000_000]), true);
      recs.push(buf);
    }
    recs.push(new Uint8Array(7)); // malformed: counted, skipped, both ways
    const ring = new Uint8Array(recs.reduce((a, r) => a + r.length, 0));
    const at: [number, number][] = [];
    let off = 0;
    for (const r of recs) {
      ring.set(r, off);
      at.push([off, r.length]);
      off += r.length;
    }
    const run = (useDirect: boolean) => {
      const out = Object.assign(new ByteBuf(1 << 12), { commit() {} }) as JsonSink;
      const stats = { decoded: 0, malformed: 0, excluded: 0, lastError: "" };
      const h = recordHandler({ ...ctx, captureEnv: true }, (e) => encodeJson(out, e), stats, useDirect ? out : null);
      const dv = new DataView(ring.buffer);
      for (const [o, n] of at) h(dv, o, n);
      return { text: out.take(), stats };
    };
    const a = run(false);
    const b = run(true);
    expect(a.stats).toEqual({ decoded: 300, malformed: 1, excluded: 0, lastError: expect.any(String) });
    expect(b.stats).toEqual(a.stats);
    expect(b.text.split("\n").length).toBe(301);
    expect(b.text).toBe(a.text);
    // the process table did its work: this process's forks and exits name its program
    expect(a.text).toContain(JSON.stringify(process.execPath));
  });
});
