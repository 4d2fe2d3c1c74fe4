// Synthetic ring records for the decoder micro-benchmark, laid out with the generated layout
// (src/decode/layout.gen.ts): a gcc exec as a build would show it, a fork and an exit.
import {
  exec_record as E, exit_record as X, file_id as F, fork_record as FK, rec_header as H, record_kind as K, span as S,
} from "../src/decode/layout.gen";

const enc = new TextEncoder();
const nul = (xs: string[]) => xs.map((x) => x + "\0").join("");

type Strings = [spanAt: number, text: string][];

/** A record: fixed part of `fixed` bytes, header filled, spans pointing at `strings` in the tail. */
function record(kind: number, fixed: number, pid: number, strings: Strings, fill: (dv: DataView) => void): Uint8Array {
  const all: Strings = [[H.hostname, "buildhost"], [H.cgroup, "session-3.scope"], ...strings];
  const tail = all.map(([, t]) => enc.encode(t));
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

const ARGV = ["gcc", "-O2", "-Wall", "-c", "-o", "build/obj/main.o", "src/main.c", "-Iinclude", "-DNDEBUG", "-fPIC"];

export function execRecord(pid: number): Uint8Array {
  const argv = nul(ARGV);
  return record(K.KIND_EXEC, E.$size, pid, [
    [E.cmdpath, "/usr/bin/gcc"],
    [E.pathname, "/usr/bin/x86_64-linux-gnu-gcc-12"],
    [E.interpreter_pathname, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"],
    [E.stdin_path, "/dev/pts/3"],
    [E.pwd, "/home/user/src/project"],
    [E.argv, argv],
  ], (dv) => {
    dv.setBigUint64(E.binary + F.inode, 1837465n, true);
    dv.setBigUint64(E.binary + F.ctime, 1_699_999_999_000_000_000n, true);
    dv.setUint32(E.binary + F.dev, (8 << 20) | 1, true);
    dv.setUint16(E.binary + F.mode, 0o100755, true);
    dv.setBigUint64(E.interpreter + F.inode, 1837000n, true);
    dv.setUint32(E.interpreter + F.dev, (8 << 20) | 1, true);
    dv.setUint32(E.argc, ARGV.length, true);
    dv.setUint32(E.argv_size, enc.encode(argv).length, true);
    dv.setUint32(E.envc, 20, true);
    dv.setUint32(E.env_size, 1800, true);
    dv.setUint16(E.stdin_type, 0o20620, true);
    dv.setInt32(E.syscall_nr, 59, true);
  });
}

export function forkRecord(pid: number): Uint8Array {
  return record(K.KIND_FORK, FK.$size, pid, [], (dv) => {
    dv.setBigUint64(FK.child_start, 3_600_000_000_000n, true);
    dv.setBigUint64(FK.child_process_start, 3_600_000_000_000n, true);
    dv.setBigUint64(FK.pp_start, 3_400_000_000_000n, true);
    for (const at of [FK.child_tid, FK.child_pid, FK.child_ns_tid, FK.child_ns_pid]) dv.setUint32(at, pid + 1, true);
    dv.setUint32(FK.pp_pid, 4000, true);
    dv.setUint32(FK.pp_ns_pid, 4000, true);
    dv.setUint32(FK.child_pid_ns, 4026531836, true);
  });
}

export function exitRecord(pid: number): Uint8Array {
  return record(K.KIND_EXIT, X.$size, pid, [], (dv) => {
    dv.setInt32(X.exit_code, 0, true);
    dv.setUint32(X.group_dead, 1, true);
  });
}

/** `n` records side by side in one buffer, as in the ring: [offset, length] of each. */
export function ringOf(make: (pid: number) => Uint8Array, n: number) {
  const recs = Array.from({ length: n }, (_, i) => make(10_000 + i));
  const total = recs.reduce((a, r) => a + r.length + 8, 0);
  const u8 = Buffer.alloc(total); // the tracer's pipeline wraps the ring in a Buffer too
  const spans: [number, number][] = [];
  let off = 0;
  for (const r of recs) {
    off += 8; // the ring's own 8-byte record header
    u8.set(r, off);
    spans.push([off, r.length]);
    off += r.length;
  }
  return { u8, dv: new DataView(u8.buffer), spans };
}
