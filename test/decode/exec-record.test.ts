// Decoder on hand-built records: values placed at the offsets of bpf/tracer.h (via the generated
// layout) must come back as the event's fields; truncated or inconsistent records are rejected
// with DecodeError and never crash the pipeline.
import { describe, expect, test } from "bun:test";
import {
  exec_record as E,
  rec_header as H,
  span as S,
  file_id as F,
  record_kind as K,
  record_flag as RF,
} from "../../src/decode/layout.gen";
import { decodeInto, DecodeError } from "../../src/decode/index";
import { createPipeline } from "../../src/pipeline";
import { arg, RecordEvent } from "../../src/decode/event";
import { EpochClock } from "../../src/decode/clock";
import { topAccessor } from "../../src/decode/top";

const enc = new TextEncoder();

/** Build an exec record: fixed part, then the strings in the tail. */
function buildExec(
  strings: Partial<
    Record<
      | "cmdpath"
      | "pathname"
      | "interp"
      | "interpreter_pathname"
      | "stdin_path"
      | "pwd"
      | "argv"
      | "env"
      | "hostname"
      | "cgroup",
      Uint8Array | string
    >
  >,
  fill?: (dv: DataView) => void,
) {
  const tail: Uint8Array[] = [];
  let off = E.$size;
  const spans: [number, number, number][] = [];
  const at: Record<string, number> = {
    cmdpath: E.cmdpath,
    pathname: E.pathname,
    interp: E.interp,
    interpreter_pathname: E.interpreter_pathname,
    stdin_path: E.stdin_path,
    pwd: E.pwd,
    argv: E.argv,
    env: E.env,
    hostname: E.h + H.hostname,
    cgroup: E.h + H.cgroup,
  };
  for (const [k, v] of Object.entries(strings)) {
    const b = typeof v === "string" ? enc.encode(v) : v!;
    spans.push([at[k]!, off, b.length]);
    tail.push(b);
    off += b.length;
  }
  const buf = new Uint8Array(off);
  const dv = new DataView(buf.buffer);
  dv.setUint32(H.kind, K.KIND_EXEC, true);
  dv.setUint32(H.size, off, true);
  for (const [field, o, n] of spans) {
    dv.setUint32(field + S.off, o, true);
    dv.setUint32(field + S.len, n, true);
  }
  let p = E.$size;
  for (const b of tail) {
    buf.set(b, p);
    p += b.length;
  }
  buf.set(enc.encode("hold"), H.comm);
  fill?.(dv);
  return { buf, dv };
}

const OFFSET = 1_700_000_000_000_000_000n;
const opts = { clock: new EpochClock(OFFSET), captureEnv: false };
const decodeRecord = (buf: Uint8Array, len = buf.length) =>
  decodeInto(new RecordEvent(opts), new DataView(buf.buffer), Buffer.from(buf.buffer), 0, len);
const argOf = (e: RecordEvent, n: string) => arg(e, n);
const top = (e: RecordEvent, n: Parameters<typeof topAccessor>[0]) => topAccessor(n)(e);

describe("exec record decoding", () => {
  test("fields come from their offsets", () => {
    const { buf } = buildExec(
      {
        cmdpath: "./x",
        pathname: "/usr/bin/x",
        argv: "./x\0a b\0\0",
        hostname: "host",
        cgroup: "docker-" + "ab".repeat(32) + ".scope",
        pwd: "/tmp",
      },
      (dv) => {
        dv.setBigUint64(H.seq, 42n, true);
        dv.setBigUint64(H.ts, 5n, true);
        dv.setUint32(H.host_pid, 1234, true);
        dv.setUint32(H.ns_pid, 1, true);
        dv.setUint32(H.uid, 1000, true);
        dv.setUint32(E.argc, 3, true);
        dv.setUint32(E.argv_size, 9, true);
        dv.setBigUint64(E.binary + F.inode, 77n, true);
        dv.setUint32(E.binary + F.dev, (8 << 20) | 1, true);
        dv.setUint16(E.binary + F.mode, 0o100755, true);
        dv.setBigUint64(E.binary + F.ctime, 1_700_000_000_123_456_789n, true);
        dv.setInt32(E.syscall_nr, 322, true);
      },
    );
    const e = decodeRecord(buf);
    expect(top(e, "eventName")).toBe("sched_process_exec");
    expect(top(e, "seq")).toBe(42);
    expect(top(e, "timestamp")).toBe(OFFSET + 5n);
    expect(top(e, "hostProcessId")).toBe(1234);
    expect(top(e, "processId")).toBe(1);
    expect(top(e, "userId")).toBe(1000);
    expect(top(e, "processName")).toBe("hold");
    expect(top(e, "hostName")).toBe("host");
    expect(top(e, "containerId")).toBe("ab".repeat(32));
    expect(top(e, "contextFlags")).toEqual({ containerStarted: true, isCompat: false });
    expect(top(e, "syscall")).toBe("execveat");
    expect(argOf(e, "cmdpath")).toBe("./x");
    expect(argOf(e, "pathname")).toBe("/usr/bin/x");
    expect(argOf(e, "argv")).toEqual(["./x", "a b", ""]);
    expect(argOf(e, "inode")).toBe(77n);
    expect(argOf(e, "dev")).toBe((8 << 20) | 1);
    expect(argOf(e, "inode_mode")).toBe(0o100755);
    expect(argOf(e, "ctime")).toBe(1_700_000_000_123_456_789n);
    expect(argOf(e, "pwd")).toBe("/tmp");
    expect(argOf(e, "truncated")).toEqual([]);
  });

  test("pseudo-fs stdin is written like readlink(/proc/PID/fd/0)", () => {
    const { buf } = buildExec({ stdin_path: "" }, (dv) => {
      dv.setUint32(H.flags, RF.RF_STDIN_PSEUDO, true);
      dv.setBigUint64(E.stdin_magic, 0x50495045n, true);
      dv.setBigUint64(E.stdin_ino, 12345n, true);
    });
    expect(argOf(decodeRecord(buf), "stdin_path")).toBe("pipe:[12345]");
    const { buf: b2 } = buildExec({ stdin_path: "[eventfd]" }, (dv) => {
      dv.setUint32(H.flags, RF.RF_STDIN_PSEUDO, true);
      dv.setBigUint64(E.stdin_magic, 0x09041934n, true);
    });
    expect(argOf(decodeRecord(b2), "stdin_path")).toBe("anon_inode:[eventfd]");
  });

  test("a cut argv reports dropped args and bytes", () => {
    const { buf } = buildExec({ argv: "a\0bb\0cc" }, (dv) => {
      dv.setUint32(E.argc, 4, true);
      dv.setUint32(E.argv_size, 20, true);
    });
    const e = decodeRecord(buf);
    expect(argOf(e, "argv")).toEqual(["a", "bb", "cc"]);
    expect(argOf(e, "argv_dropped_args")).toBe(2);
    expect(argOf(e, "argv_dropped_bytes")).toBe(20 - 7);
    expect(argOf(e, "truncated")).toEqual(["argv"]);
  });

  test("cut paths are listed in truncated", () => {
    const { buf } = buildExec({ pathname: "/deep" }, (dv) =>
      dv.setUint32(H.flags, RF.RF_PATHNAME_CUT | RF.RF_PWD_CUT, true),
    );
    expect(argOf(decodeRecord(buf), "truncated")).toEqual(["pathname", "pwd"]);
  });

  test("non-UTF-8 bytes are kept as lone surrogates", () => {
    const { buf } = buildExec({ pathname: new Uint8Array([0x2f, 0xff, 0x61]) });
    expect(argOf(decodeRecord(buf), "pathname")).toBe("/\udcffa");
  });
});

describe("malformed records", () => {
  const { buf: good } = buildExec({ pathname: "/bin/x", argv: "x\0" });

  test("shorter than the header", () => {
    expect(() => decodeRecord(good, 10)).toThrow(DecodeError);
  });

  test("size field larger than the sample", () => {
    expect(() => decodeRecord(good, good.length - 1)).toThrow(/exceeds/);
  });

  test("size field smaller than the fixed part", () => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(H.size, E.$size - 8, true);
    expect(() => decodeRecord(b)).toThrow(/fixed part/);
  });

  test("span pointing past the record", () => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(E.argv + S.len, 1 << 20, true);
    expect(() => decodeRecord(b)).toThrow(/runs past/);
  });

  test("unknown kind", () => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(H.kind, 99, true);
    expect(() => decodeRecord(b)).toThrow(/unknown record kind 99/);
  });

  test("the pipeline counts and skips a bad record and goes on", () => {
    const out: string[] = [];
    const stats = { decoded: 0, malformed: 0, excluded: 0, lastError: "" };
    const h = createPipeline(opts, (e) => out.push(argOf(e, "pathname") as string), stats).onRecord;
    const ring = new Uint8Array(4096);
    ring.set(good, 0);
    const bad = good.slice();
    new DataView(bad.buffer).setUint32(H.kind, 99, true);
    ring.set(bad, 1024);
    const dv = new DataView(ring.buffer);
    h(dv, 1024, bad.length);
    h(dv, 0, good.length);
    h(dv, 0, 3);
    expect(stats).toEqual({ decoded: 1, malformed: 2, excluded: 0, lastError: expect.stringContaining("shorter") });
    expect(out.length).toBe(1);
    expect(out).toEqual(["/bin/x"]);
  });
});

describe("clone", () => {
  test("a clone of a view inside a larger buffer keeps its values after that memory is reused", () => {
    const { buf } = buildExec({ pathname: "/bin/kept", argv: "kept\0" });
    const ring = Buffer.alloc(buf.length + 64);
    ring.set(buf, 40);
    const ev = decodeInto(
      new RecordEvent(opts),
      new DataView(ring.buffer, ring.byteOffset, ring.byteLength),
      ring,
      40,
      buf.length,
    );
    const c = ev.clone();
    ring.fill(0xff);
    expect(argOf(c, "pathname")).toBe("/bin/kept");
    expect(argOf(c, "argv")).toEqual(["kept"]);
  });
});
