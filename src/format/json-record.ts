// JSON lines straight from ring records (exec, fork, exit): the bytes encodeJson(decodeRecord(r))
// writes, without building the event, its args, its strings or its bigints first.

/*
 * The args come from the same walkers as the decoder's (decode/args.ts), the top-level keys and
 * their order from json.ts, the header fields' offsets from decode/record.ts: nothing about an
 * event is said twice. test/format/json-record.test.ts checks that both ways give the same bytes.
 *
 * This is the one formatter that reads a record. It is used when the events go nowhere but to
 * JSON output (--json without --tree or --exec, see pipeline.ts); failed execs (enriched from
 * user space) and lost_events always take the event path.
 *
 * Nothing is written to `out` before the record has been checked: the walk over the args is
 * recorded first (a bad span throws DecodeError there), then the header and the args are written.
 */
import { noFTL } from "bun:jsc";
import { rec_header as H, record_kind as K, exec_record as E, fork_record as FR, exit_record as XR } from "../decode/layout.gen";
import { type ArgVisitor } from "../decode/args";
import { execArgs, execSyscall } from "../decode/exec";
import { forkArgs } from "../decode/fork";
import { exitArgs } from "../decode/exit";
import {
  checkRecord, containerIdOfRecord, DecodeError, ENTITY_AT, entityAt, epochNs, HEADER_U32, seqOf, spanLen, spanStart,
  type DecodeContext, type Rec,
} from "../decode/record";
import { nulListEnd } from "../decode/text";
import { ByteBuf } from "./bytes";
import { argPrefix, encodeValue, ENTITY_KEYS, NUM_FIELDS, NUM_KEYS, shapeOf, TOP, type ArgShape } from "./json";

const TWO32 = 4294967296;

/** Offset in the header of each NUM_FIELDS entry (-1: cgroupId, a u64). */
const NUM_AT = NUM_FIELDS.map((n) => (n === "cgroupId" ? -1 : HEADER_U32[n]));

/** Boot-time → epoch offset as two uint32 halves, for bigint-free additions. */
class EpochOffset {
  private of = -1n;
  hi = 0;
  lo = 0;
  exact = false;

  set(ns: bigint): void {
    if (ns === this.of) return;
    this.of = ns;
    this.exact = ns >= 0n && ns < 1n << 64n;
    this.hi = this.exact ? Number(ns >> 32n) : 0;
    this.lo = this.exact ? Number(ns & 0xffffffffn) : 0;
  }
}

/** Epoch ns of the boot-time stamp at `at`, as encodeValue(epochNs(...)) writes it. */
function writeTime(out: ByteBuf, r: Rec, at: number, ctx: DecodeContext, e: EpochOffset): void {
  const lo = r.dv.getUint32(at, true);
  const hi = r.dv.getUint32(at + 4, true);
  if (lo === 0 && hi === 0) {
    out.byte(0x30); // 0: unknown
    return;
  }
  e.set(ctx.bootToEpochNs);
  let l = lo + e.lo;
  let h = hi + e.hi;
  if (l >= TWO32) {
    l -= TWO32;
    h++;
  }
  if (e.exact && h < TWO32) out.u64(h, l);
  else out.big(epochNs(r.dv, at, ctx));
}

/* What JsonArgs records per arg: a tag, and its numbers (a, b) or its object (o). */
const T_NUM = 0, T_BOOL = 1, T_TEXT = 2, T_LIST = 3, T_SPAN = 4, T_NULS = 5, T_U64 = 6, T_TIME = 7, T_DURATION = 8;
const MAX_ARGS = 64;

/**
 * Takes the walk down as a tape (tags and offsets, nothing encoded yet), then writes it in one
 * loop. Two phases keep each visitor method a few stores, so the optimizing JIT can inline the
 * walkers' dozen calls without compiling the encoders a dozen times (it did: ~0.5 s of compile
 * time for forkArgs alone), and the arg count is known before "argsNum" is written. Spans are
 * checked while recording, so a bad record throws before anything is written.
 */
class JsonArgs implements ArgVisitor {
  readonly epoch = new EpochOffset();
  n = 0;
  private shape: ArgShape = shapeOf("");
  private r: Rec | null = null;
  private ctx: DecodeContext = { bootToEpochNs: 0n };
  private readonly names: string[] = new Array(MAX_ARGS).fill("");
  private readonly types: string[] = new Array(MAX_ARGS).fill("");
  private readonly tags = new Uint8Array(MAX_ARGS);
  private readonly a = new Float64Array(MAX_ARGS);
  private readonly b = new Float64Array(MAX_ARGS);
  private readonly o: unknown[] = new Array(MAX_ARGS).fill(null);

  begin(shape: ArgShape, r: Rec, ctx: DecodeContext): void {
    this.n = 0;
    this.shape = shape;
    this.r = r;
    this.ctx = ctx;
  }

  private put(name: string, type: string, tag: number, a: number, b: number): void {
    const i = this.n++;
    if (i >= MAX_ARGS) throw new RangeError("more than 64 args");
    this.names[i] = name;
    this.types[i] = type;
    this.tags[i] = tag;
    this.a[i] = a;
    this.b[i] = b;
  }

  num(name: string, type: string, v: number): void {
    this.put(name, type, T_NUM, v, 0);
  }
  bool(name: string, type: string, v: boolean): void {
    this.put(name, type, T_BOOL, v ? 1 : 0, 0);
  }
  text(name: string, type: string, v: string): void {
    this.o[this.n] = v;
    this.put(name, type, T_TEXT, 0, 0);
  }
  list(name: string, type: string, v: readonly string[]): void {
    this.o[this.n] = v;
    this.put(name, type, T_LIST, 0, 0);
  }
  span(name: string, type: string, r: Rec, field: number): void {
    const s = spanStart(r, field);
    this.put(name, type, T_SPAN, s, s + spanLen(r, field));
  }
  nulList(name: string, type: string, r: Rec, start: number, end: number): number {
    this.put(name, type, T_NULS, start, end);
    if (end <= start) return 0;
    const u8 = r.u8;
    const stop = nulListEnd(u8, start, end);
    let count = 1;
    for (let i = start; i < stop; i++) if (u8[i] === 0) count++; // short strings: a loop beats indexOf
    return count;
  }
  u64(name: string, type: string, _r: Rec, at: number): void {
    this.put(name, type, T_U64, at, 0);
  }
  big(name: string, type: string, _r: Rec, at: number): void {
    this.put(name, type, T_U64, at, 0);
  }
  time(name: string, type: string, _r: Rec, at: number): void {
    this.put(name, type, T_TIME, at, 0);
  }
  duration(name: string, type: string, _r: Rec, endAt: number, startAt: number): void {
    this.put(name, type, T_DURATION, endAt, startAt);
  }

  /** Write the recorded args, comma-separated (what goes between "args":[ and ]). */
  write(out: ByteBuf): void {
    const r = this.r!;
    const { dv, u8 } = r;
    const { names, types, tags, a, b, o } = this;
    for (let i = 0; i < this.n; i++) {
      if (i > 0) out.byte(0x2c);
      out.raw(argPrefix(this.shape, i, names[i]!, types[i]!));
      const x = a[i]!;
      switch (tags[i]) {
        case T_NUM:
          out.num(x);
          break;
        case T_BOOL:
          out.ascii(x ? "true" : "false");
          break;
        case T_TEXT:
          out.str(o[i] as string);
          o[i] = null;
          break;
        case T_LIST:
          encodeValue(out, o[i]);
          o[i] = null;
          break;
        case T_SPAN:
          out.utf8Json(u8, x, b[i]!);
          break;
        case T_NULS:
          out.utf8JsonNulList(u8, x, b[i]!);
          break;
        case T_U64:
          out.u64(dv.getUint32(x + 4, true), dv.getUint32(x, true));
          break;
        case T_TIME:
          writeTime(out, r, x, this.ctx, this.epoch);
          break;
        default:
          writeDuration(out, dv, x, b[i]!);
      }
      out.byte(0x7d);
    }
    this.r = null;
  }
}

/** ns from the stamp at startAt to the one at endAt, as encodeValue of their bigint difference. */
function writeDuration(out: ByteBuf, dv: DataView, endAt: number, startAt: number): void {
  const d = (dv.getUint32(endAt + 4, true) - dv.getUint32(startAt + 4, true)) * TWO32 + dv.getUint32(endAt, true) - dv.getUint32(startAt, true);
  if (d >= 0 && d <= Number.MAX_SAFE_INTEGER) out.uint(d);
  else out.big(dv.getBigUint64(endAt, true) - dv.getBigUint64(startAt, true));
}

const args = new JsonArgs();
const EXEC = shapeOf("sched_process_exec");
const FORK = shapeOf("sched_process_fork");
const EXIT = shapeOf("sched_process_exit");

/** Record kinds that encodeRecordJson writes, with their fixed parts' sizes. */
export const DIRECT_KINDS: Readonly<Record<number, number>> = {
  [K.KIND_EXEC]: E.$size,
  [K.KIND_FORK]: FR.$size,
  [K.KIND_EXIT]: XR.$size,
};

/**
 * Append the JSON line of an exec, fork or exit record to out (newline included), as
 * encodeJson(decodeRecord(r)) with executable.path = `path` would. Throws DecodeError (and
 * writes nothing) for a record that does not hold together.
 */
export function encodeRecordJson(out: ByteBuf, r: Rec, ctx: DecodeContext, captureEnv: boolean, path: string): void {
  const { dv, u8, off } = r;
  const kind = dv.getUint32(off + H.kind, true);
  const fixed = DIRECT_KINDS[kind];
  if (fixed === undefined) throw new DecodeError(`record kind ${kind} has no direct JSON`);
  checkRecord(r, fixed);
  let eventName: string;
  let syscall = "";
  if (kind === K.KIND_EXEC) {
    eventName = "sched_process_exec";
    args.begin(EXEC, r, ctx);
    execArgs(r, args, captureEnv);
    syscall = execSyscall(r);
  } else if (kind === K.KIND_FORK) {
    eventName = "sched_process_fork";
    args.begin(FORK, r, ctx);
    forkArgs(r, args, ctx);
  } else {
    eventName = "sched_process_exit";
    args.begin(EXIT, r, ctx);
    exitArgs(r, args);
  }
  // Everything that can throw, before the first byte goes out.
  const hostStart = spanStart(r, H.hostname);
  const hostEnd = hostStart + spanLen(r, H.hostname);
  const containerId = containerIdOfRecord(r);
  let commEnd = off + H.comm;
  const commMax = commEnd + H.comm$count;
  while (commEnd < commMax && u8[commEnd] !== 0) commEnd++;

  out.raw(TOP.timestamp);
  writeTime(out, r, off + H.ts, ctx, args.epoch);
  out.raw(TOP.threadStart);
  writeTime(out, r, off + H.thread_start, ctx, args.epoch);
  for (let i = 0; i < NUM_AT.length; i++) {
    out.raw(NUM_KEYS[i]!);
    const at = NUM_AT[i]!;
    if (at < 0) out.u64(dv.getUint32(off + H.cgroup_id + 4, true), dv.getUint32(off + H.cgroup_id, true));
    else out.uint(dv.getUint32(off + at, true));
  }
  out.raw(TOP.processName);
  out.utf8Json(u8, off + H.comm, commEnd);
  out.raw(TOP.executable);
  out.str(path);
  out.raw(TOP.hostName);
  out.utf8Json(u8, hostStart, hostEnd);
  out.raw(TOP.container);
  out.str(containerId);
  out.raw(TOP.eventName);
  out.str(eventName);
  out.raw(TOP.argsNum);
  out.uint(args.n);
  out.raw(TOP.returnValue);
  out.byte(0x30);
  out.raw(TOP.syscall);
  out.str(syscall);
  for (let i = 0; i < ENTITY_AT.length; i++) {
    out.raw(ENTITY_KEYS[i]!);
    out.uint(entityAt(dv, off + ENTITY_AT[i]![0], off + ENTITY_AT[i]![1]));
  }
  out.raw(TOP.args);
  args.write(out);
  out.raw(TOP.seq);
  out.uint(seqOf(dv, off, ctx));
  out.raw(TOP.end);
}

// Optimized by the DFG JIT only: FTL took 0.2-0.3 s of compile time for this function (its
// walkers inlined), paid in the first seconds of every run on a JIT thread that competes with
// the traced workload; DFG compiles it in ~10 ms and runs it ~20% slower (thread storm,
// tracer CPU past warm-up). The small functions it calls still get FTL.
noFTL(encodeRecordJson);
