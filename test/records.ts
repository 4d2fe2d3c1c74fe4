// Ring records for tests, laid out with the generated layout (src/decode/layout.gen.ts): random
// ones of every kind (strings with JSON specials, control bytes, invalid UTF-8, cut lists, every
// flag) and fixed realistic ones (a gcc exec, a fork, an exit); and event views over them.
import {
  exec_failed_record as XF,
  exec_record as E,
  exit_record as X,
  file_id as F,
  fork_record as FK,
  list_flag as LF,
  lost_record as L,
  rec_header as H,
  record_flag as RF,
  record_kind as K,
  span as S,
  task_who as W,
} from "../src/decode/layout.gen";
import { decodeInto } from "../src/decode/index";
import { RecordEvent } from "../src/decode/event";
import { EpochClock } from "../src/decode/clock";

export const CLOCK = new EpochClock(1_764_000_000_123_456_789n);

/** An event view over one record (a copy in its own buffer). */
export function viewOf(buf: Uint8Array, captureEnv = false): RecordEvent {
  const b = Buffer.from(buf.slice().buffer);
  return decodeInto(new RecordEvent({ clock: CLOCK, captureEnv }), new DataView(b.buffer), b, 0, b.length, true);
}

/** xorshift32: the same records on every run. */
export function prng(seed: number) {
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
export type Rng = ReturnType<typeof prng>;

const enc = new TextEncoder();
/** Pieces strings are made of: plain text, JSON specials, C0 controls, multibyte UTF-8, bytes that are not UTF-8. */
const PIECES: Uint8Array[] = [
  ...'abc /usr/bin/x -O2 "q" back\\slash tab\t nl\n é 日本 😀 \u2028'.split(" ").map((s) => enc.encode(s + " ")),
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

export function bytes(g: Rng, maxPieces: number, nul = false): Uint8Array {
  const parts: number[] = [];
  const n = g.below(maxPieces + 1);
  for (let i = 0; i < n; i++) {
    parts.push(...g.pick(PIECES));
    if (nul && g.below(3) === 0) parts.push(0);
  }
  return new Uint8Array(parts);
}

/** A NUL list as the kernel captures it: each string NUL-terminated, maybe cut at the end. */
export function nulList(g: Rng): Uint8Array {
  const parts: number[] = [];
  const n = g.below(6);
  for (let i = 0; i < n; i++) parts.push(...bytes(g, 3), 0);
  if (g.below(3) === 0 && parts.length > 0) parts.length -= 1 + g.below(Math.min(4, parts.length));
  return new Uint8Array(parts);
}

/** A record of `kind`: header fields random, the spans' strings in the tail. */
function record(
  g: Rng,
  kind: number,
  fixed: number,
  spans: [number, Uint8Array][],
  fill: (dv: DataView) => void,
): Uint8Array {
  const all: [number, Uint8Array][] = [
    [H.hostname, bytes(g, 2)],
    [H.cgroup, g.below(2) ? enc.encode("docker-" + "ab".repeat(32) + ".scope") : bytes(g, 2)],
    ...spans,
  ];
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
  return record(
    g,
    K.KIND_EXEC,
    E.$size,
    [
      span(E.cmdpath),
      span(E.pathname),
      span(E.interp),
      span(E.interpreter_pathname),
      span(E.stdin_path),
      span(E.pwd),
      [E.argv, argv],
      [E.env, env],
      [E.who + W.tty, tty(g)],
    ],
    (dv) => {
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
    },
  );
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

/** A controlling terminal's kernel name, or none. */
const tty = (g: Rng) => enc.encode(g.pick(["", "pts3", "pts17", "tty1", "ttyS0", "console"]));

function failedRecord(g: Rng): Uint8Array {
  const argv = nulList(g);
  const env = nulList(g);
  const span = (at: number): [number, Uint8Array] => [at, bytes(g, 3)];
  return record(
    g,
    K.KIND_EXEC_FAILED,
    XF.$size,
    [
      span(XF.path),
      span(XF.pwd),
      span(XF.root),
      span(XF.dirfd_path),
      span(XF.stdin_path),
      [XF.argv, argv],
      [XF.env, env],
      [XF.who + W.tty, tty(g)],
    ],
    (dv) => {
      let flags = 0;
      for (const bit of Object.values(RF)) if (typeof bit === "number" && g.below(4) === 0) flags |= bit;
      dv.setUint32(H.flags, flags, true);
      dv.setBigInt64(XF.ret, -BigInt(1 + g.below(40)), true);
      dv.setUint32(XF.argc, g.below(8), true);
      dv.setUint32(XF.argv_size, argv.length + (g.below(2) ? 0 : g.below(5000)), true);
      dv.setUint32(XF.envc, g.below(8), true);
      dv.setUint32(XF.env_size, env.length + (g.below(2) ? 0 : g.below(5000)), true);
      dv.setUint8(XF.syscall, g.below(2));
      dv.setUint8(XF.argv_flags, g.below(8) & (LF.LF_FAULT | LF.LF_COUNT_CUT | LF.LF_STR_FAULT));
      dv.setUint8(XF.env_flags, g.below(8) & (LF.LF_FAULT | LF.LF_COUNT_CUT | LF.LF_STR_FAULT));
      dv.setUint32(XF.stdin_magic, g.pick([0x50495045, 0x534f434b, 0x09041934]), true);
    },
  );
}

function lostRecord(g: Rng): Uint8Array {
  return record(g, K.KIND_LOST, L.$size, [], (dv) => {
    for (let k = 0; k < L.lost_kind$count; k++) dv.setBigUint64(L.lost_kind + 8 * k, BigInt(g.below(1000)), true);
    dv.setBigUint64(L.lost, BigInt(g.u32()), true);
  });
}

/** Random record makers by kind. */
export const RANDOM = {
  exec: execRecord,
  execfail: failedRecord,
  fork: forkRecord,
  exit: exitRecord,
  lost: lostRecord,
};

type Strings = [spanAt: number, text: string | Uint8Array][];

/** A record: fixed part of `fixed` bytes, header filled, spans pointing at `strings` in the tail. */
export function fixedRecord(
  kind: number,
  fixed: number,
  pid: number,
  strings: Strings,
  fill: (dv: DataView) => void,
): Uint8Array {
  const all: Strings = [[H.hostname, "buildhost"], [H.cgroup, "session-3.scope"], ...strings];
  const tail = all.map(([, t]) => (typeof t === "string" ? enc.encode(t) : t));
  const size = (fixed + tail.reduce((a, b) => a + b.length, 0) + 7) & ~7;
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  let off = fixed;
  all.forEach(([at], i) => {
    dv.setUint32(at + S.off, off, true);
    dv.setUint32(at + S.len, tail[i]!.length, true);
    buf.set(tail[i]!, off);
    off += tail[i]!.length;
  });
  dv.setUint32(H.kind, kind, true);
  dv.setUint32(H.size, off, true);
  dv.setBigUint64(H.seq, BigInt(pid) * 3n, true);
  dv.setBigUint64(H.ts, 3_600_000_000_000n + BigInt(pid), true);
  dv.setBigUint64(H.thread_start, 3_500_000_000_000n, true);
  dv.setBigUint64(H.process_start, 3_500_000_000_000n, true);
  dv.setBigUint64(H.parent_start, 3_400_000_000_000n, true);
  dv.setBigUint64(H.cgroup_id, 5678n, true);
  dv.setUint32(H.cpu, pid & 1, true);
  for (const at of [H.host_tid, H.host_pid, H.ns_tid, H.ns_pid]) dv.setUint32(at, pid, true);
  dv.setUint32(H.host_ppid, 4000, true);
  dv.setUint32(H.ns_ppid, 4000, true);
  dv.setUint32(H.uid, 1000, true);
  dv.setUint32(H.gid, 1000, true);
  dv.setUint32(H.mnt_ns, 4026531841, true);
  dv.setUint32(H.pid_ns, 4026531836, true);
  buf.set(enc.encode("gcc"), H.comm);
  fill(dv);
  return buf;
}

export const GCC_ARGV = [
  "gcc",
  "-O2",
  "-Wall",
  "-c",
  "-o",
  "build/obj/main.o",
  "src/main.c",
  "-Iinclude",
  "-DNDEBUG",
  "-fPIC",
];

/** A gcc exec as a build would show it. */
export function gccExec(pid: number): Uint8Array {
  const argv = GCC_ARGV.map((x) => x + "\0").join("");
  return fixedRecord(
    K.KIND_EXEC,
    E.$size,
    pid,
    [
      [E.cmdpath, "/usr/bin/gcc"],
      [E.pathname, "/usr/bin/x86_64-linux-gnu-gcc-12"],
      [E.interpreter_pathname, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"],
      [E.stdin_path, "/dev/pts/3"],
      [E.pwd, "/home/user/src/project"],
      [E.argv, argv],
    ],
    (dv) => {
      dv.setBigUint64(E.binary + F.inode, 1837465n, true);
      dv.setBigUint64(E.binary + F.ctime, 1_699_999_999_000_000_000n, true);
      dv.setUint32(E.binary + F.dev, (8 << 20) | 1, true);
      dv.setUint16(E.binary + F.mode, 0o100755, true);
      dv.setBigUint64(E.interpreter + F.inode, 1837000n, true);
      dv.setUint32(E.interpreter + F.dev, (8 << 20) | 1, true);
      dv.setUint32(E.argc, GCC_ARGV.length, true);
      dv.setUint32(E.argv_size, enc.encode(argv).length, true);
      dv.setUint32(E.envc, 20, true);
      dv.setUint32(E.env_size, 1800, true);
      dv.setUint16(E.stdin_type, 0o20620, true);
      dv.setInt32(E.syscall_nr, 59, true);
      new Uint8Array(dv.buffer).set(enc.encode("make"), E.prev_comm);
    },
  );
}

export function simpleFork(pid: number): Uint8Array {
  return fixedRecord(K.KIND_FORK, FK.$size, pid, [], (dv) => {
    dv.setBigUint64(FK.child_start, 3_600_000_000_000n, true);
    dv.setBigUint64(FK.child_process_start, 3_600_000_000_000n, true);
    dv.setBigUint64(FK.pp_start, 3_400_000_000_000n, true);
    for (const at of [FK.child_tid, FK.child_pid, FK.child_ns_tid, FK.child_ns_pid]) dv.setUint32(at, pid + 1, true);
    dv.setUint32(FK.pp_pid, 4000, true);
    dv.setUint32(FK.pp_ns_pid, 4000, true);
    dv.setUint32(FK.child_pid_ns, 4026531836, true);
  });
}

/** An exit with the raw wait status `status` (task->exit_code). */
export function simpleExit(pid: number, status = 0, groupDead = true): Uint8Array {
  return fixedRecord(K.KIND_EXIT, X.$size, pid, [], (dv) => {
    dv.setInt32(X.exit_code, status, true);
    dv.setUint32(X.group_dead, groupDead ? 1 : 0, true);
  });
}

/** The i-th of a run of gcc execs (seq i), as an event view with its executable path. */
export function execView(i: number, captureEnv = false): RecordEvent {
  const buf = gccExec(4242 + (i & 1023));
  new DataView(buf.buffer).setBigUint64(H.seq, BigInt(i), true);
  const ev = viewOf(buf, captureEnv);
  ev.x.exePath = "/usr/bin/x86_64-linux-gnu-gcc-12";
  return ev;
}
