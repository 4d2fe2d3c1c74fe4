// An event is a view: a record in ring memory (valid until the record is consumed), its event
// definition, and what user space added (enrichment). Values are read through the schema's fields
// by name (typed: `arg(ev, "pathname")` is a string, a misspelt name does not compile); nothing
// is copied out of the record unless asked for.
import { rec_header as H } from "./layout.gen";
import { dfgOnly } from "../jit";
import { checkRecord, checkSpans, containerIdOfRecord, DecodeError, spanLen, spanStart, type Rec } from "./record";

const HEADER_SPANS = [H.hostname, H.cgroup];
import { cString, decodeBytes, splitNul } from "./text";
import { type EpochClock, T, epochBig, toEpoch } from "./clock";
import type { SeqNumbers } from "./seq";
import type { ContainerMeta } from "./container";
import {
  S_BIG,
  S_BOOL,
  S_COMM,
  S_EPOCH,
  S_FLAG,
  S_I32,
  S_LIST,
  S_NULS,
  S_NUM,
  S_OBJ,
  S_SPAN,
  S_STR,
  S_TIME,
  S_U16,
  S_U32,
  S_U64,
  argIndex,
  type AnyDef,
  type ArgName,
  type ArgValue,
  type Field,
  type NulArea,
} from "./schema";

/** The failed exec's file, resolved in user space (enrich/binary.ts). */
export interface FailedBinary {
  path: string;
  device_id: number;
  inode_number: bigint;
  ctime: bigint;
  inode_mode: number;
}

/** A process as the tracer's process table knows it (src/enrich/process-table.ts): what a line
 * says of the process itself (an exit's argv) and of its parent and ancestors. */
export interface ProcInfo {
  readonly pid: number;
  /** Its processEntityId (0: its start is known only to 10 ms, which leaves the id open). */
  readonly entityId: number;
  /** Its program (its last exec's pathname, or /proc/PID/exe). */
  readonly path: string;
  readonly comm: string;
  /** Its argv, redacted, the strings that fit in the table's bound. */
  readonly argv: readonly string[];
  /** The same as NUL-terminated strings (what argv splits). */
  readonly argvBytes: Uint8Array;
  /** argv was cut (by the capture limit or the table's bound). */
  readonly argvCut: boolean;
  /** What redaction replaced in argv (`argv[INDEX]:RULE`). */
  readonly argvHits: readonly string[];
}

/** One level of --ancestors. */
export interface Ancestor {
  pid: number;
  entityId: number;
  path: string;
}

/** What enrichment adds to an event (reset for every record). */
export interface Extra {
  /** executable.path: the process's program (the process table's, or the exec's pathname). */
  exePath: string;
  /** The path the process's program was exec'd by, as the caller passed it (the exec's cmdpath:
   * /usr/bin/gcc where exePath is /usr/bin/x86_64-linux-gnu-gcc-12), or "" when not seen. */
  exeTyped: string;
  /** process_execute_failed: the file the path names, and its interpreter. */
  binary: FailedBinary | null;
  interpreterPath: string;
  /** --hash: SHA-256 (lowercase hex) of an exec's file and interpreter; why not, if one is missing. */
  sha256: string;
  interpreterSha256: string;
  hashError: string;
  /** --hash, an exec of a `#!` script: the script's path and SHA-256 (the file the caller named). */
  scriptPath: string;
  scriptSha256: string;
  /** The container's runtime metadata (containers/), and how it went: found, absent (no runtime
   * has it), late (not in time: the id only), off (no runtime asked). */
  container: ContainerMeta | null;
  containerMeta: "found" | "absent" | "late" | "off";
  /** The record's global sequence number as the pipeline made it (SeqNumbers); -1: the kernel's. */
  seq: number;
  /** What the redaction stage replaced in the record: `FIELD[INDEX]:RULE` (src/redact/). */
  redacted: readonly string[];
  /** The process (exit), its parent and, with --ancestors, the chain above, from the process table. */
  self: ProcInfo | null;
  parent: ProcInfo | null;
  ancestors: readonly Ancestor[];
}

const NONE: readonly string[] = Object.freeze([]);
const NO_ANCESTORS: readonly Ancestor[] = Object.freeze([]);

export interface DecodeOptions {
  clock: EpochClock;
  /** --env: the environment was captured (the record's env span is meaningful). */
  captureEnv: boolean;
  /** --hash: exec events carry the SHA-256 of the file and its interpreter (enrich/hash.ts). */
  hash?: boolean;
  /** Makes one global sequence of the legacy object's per-CPU numbers (decode/seq.ts). */
  seq?: SeqNumbers;
  /** --ancestors: exec, failed exec and exit lines carry the chain of known ancestors. */
  ancestors?: boolean;
}

/** What formatters, the tree and accessors read an event through: its definition, its args by
 * index and its top-level fields, as the accessors' types. Two implementations: RecordEvent (a
 * view over a ring record) and JsonEvent (a line of a saved trace, decode/json-event.ts). */
export interface EventView<D extends AnyDef = AnyDef> {
  readonly def: D;
  /** The value of arg i of def. */
  arg(i: number): unknown;
  /** The value of a top-level field (one of decode/top.ts's TOP). */
  top(f: Field): unknown;
  is<E extends AnyDef>(def: E): this is EventView<E>;
}

export class RecordEvent<D extends AnyDef = AnyDef> implements EventView<D> {
  def: D = null as unknown as D;
  readonly r: Rec = { dv: null as unknown as DataView, u8: null as unknown as Uint8Array, off: 0, len: 0 };
  readonly x: Extra = {
    exePath: "",
    exeTyped: "",
    binary: null,
    interpreterPath: "",
    sha256: "",
    interpreterSha256: "",
    hashError: "",
    scriptPath: "",
    scriptSha256: "",
    seq: -1,
    container: null,
    containerMeta: "off",
    redacted: NONE,
    self: null,
    parent: null,
    ancestors: NO_ANCESTORS,
  };
  /** Per-record facts an event's prepare() computed (its own type, see events/*.ts). */
  facts: unknown = null;
  /** The record's container id once looked up (null: not yet); several fields read it. */
  private cid: string | null = null;

  constructor(readonly opts: DecodeOptions) {}

  /** Point the view at a record of kind `def` (already looked up by kind): checks its bounds and
   * its spans, resets enrichment, and runs the kind's per-record preparation. */
  set(def: D, dv: DataView, u8: Uint8Array, off: number, len: number): this {
    const r = this.r;
    r.dv = dv;
    r.u8 = u8;
    r.off = off;
    r.len = len;
    this.def = def;
    this.cid = null;
    checkRecord(r, def.fixedSize);
    checkSpans(r, def.spans);
    checkSpans(r, HEADER_SPANS);
    const x = this.x;
    x.exePath = "";
    x.exeTyped = "";
    x.binary = null;
    x.interpreterPath = "";
    x.sha256 = "";
    x.interpreterSha256 = "";
    x.hashError = "";
    x.scriptPath = "";
    x.scriptSha256 = "";
    x.seq = -1;
    x.container = null;
    x.containerMeta = "off";
    x.redacted = NONE;
    x.self = null;
    x.parent = null;
    x.ancestors = NO_ANCESTORS;
    if (def.prepare) def.prepare(this as RecordEvent);
    return this;
  }

  /** The value of arg i of this event's definition. */
  arg(i: number): unknown {
    const f = this.def.args[i];
    if (f === undefined) throw new RangeError(`${this.def.name} has no arg ${i}`);
    return fieldValue(f, this as RecordEvent);
  }

  top(f: Field): unknown {
    return fieldValue(f, this as RecordEvent);
  }

  is<E extends AnyDef>(def: E): this is RecordEvent<E> {
    return (this.def as AnyDef) === def;
  }

  /** A u32 of the record header (the ids top-level fields come from). */
  u32(at: number): number {
    return this.r.dv.getUint32(this.r.off + at, true);
  }

  /** The epoch ns of the boot-time stamp at record offset `at` into clock.T; false when 0. */
  epoch(at: number): boolean {
    return toEpoch(this.r.dv, this.r.off + at, this.opts.clock);
  }

  /** The container id of the record's cgroup, or "" (looked up once per record). */
  containerId(): string {
    return (this.cid ??= containerIdOfRecord(this.r));
  }

  /** An independent copy of this event (its record's bytes copied), valid after the ring moved on. */
  clone(): RecordEvent<D> {
    const bytes = Buffer.alloc(this.r.len); // a Buffer (utf8Slice), of its own memory: Buffer#slice would share the ring's
    bytes.set(this.r.u8.subarray(this.r.off, this.r.off + this.r.len));
    const c = new RecordEvent<D>(this.opts);
    c.set(this.def, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes, 0, bytes.length);
    Object.assign(c.x, this.x);
    return c;
  }
}

/** Bytes of a NUL list as strings (a final NUL ends the last string; without one it was cut). */
function nulStrings(ev: RecordEvent, a: NulArea | null): string[] {
  return a === null ? [] : splitNul(ev.r.u8, a.start, a.end).items;
}

/** A field's value, read from the event's record or computed by the field's function. */
export function fieldValue(f: Field, ev: RecordEvent): unknown {
  const r = ev.r;
  const at = r.off + f.at;
  switch (f.src) {
    case S_SPAN: {
      const s = spanStart(r, f.at);
      return decodeBytes(r.u8, s, s + spanLen(r, f.at));
    }
    case S_COMM:
      return cString(r.u8, at, at + 16);
    case S_U16:
      return r.dv.getUint16(at, true);
    case S_U32:
      return r.dv.getUint32(at, true);
    case S_I32:
      return r.dv.getInt32(at, true);
    case S_U64:
      return r.dv.getBigUint64(at, true);
    case S_TIME:
    case S_EPOCH:
      return ev.epoch(f.at) ? epochBig() : 0n;
    case S_FLAG:
      return (r.dv.getUint32(r.off + H.flags, true) & f.at) !== 0;
    case S_NULS:
      return nulStrings(ev, f.fn!(ev) as NulArea | null);
    case S_NUM:
    case S_STR:
    case S_BOOL:
    case S_LIST:
    case S_OBJ:
    case S_BIG:
      return f.fn!(ev);
    default:
      throw new DecodeError(`field ${f.name}: unknown source ${f.src}`);
  }
}

/** A field's value read from a record view: one small function per field, made once (fieldValue's
 * switch, and the field functions called from its one call site, is what accessors on the hot
 * path avoid). */
export function readerOf(f: Field): (ev: RecordEvent) => unknown {
  const at = f.at;
  switch (f.src) {
    case S_U16:
      return (ev) => ev.r.dv.getUint16(ev.r.off + at, true);
    case S_U32:
      return (ev) => ev.r.dv.getUint32(ev.r.off + at, true);
    case S_I32:
      return (ev) => ev.r.dv.getInt32(ev.r.off + at, true);
    case S_NULS:
      return (ev) => fieldValue(f, ev);
  }
  return f.fn ?? ((ev) => fieldValue(f, ev)); // a function source's value is its function's
}

/** A typed reader of one arg of one event kind, its index looked up once. */
export function accessor<D extends AnyDef, N extends ArgName<D>>(
  def: D,
  name: N,
): (ev: EventView<D>) => ArgValue<D, N> {
  const i = argIndex(def, name);
  const read = readerOf(def.args[i]!);
  const get = (ev: EventView<D>) => (ev instanceof RecordEvent ? read(ev as RecordEvent) : ev.arg(i)) as ArgValue<D, N>;
  dfgOnly(read, get); // src/jit.ts
  return get;
}

/** Arg `name` of the event (typed by its definition). */
export function arg<D extends AnyDef, N extends ArgName<D>>(ev: EventView<D>, name: N): ArgValue<D, N> {
  return ev.arg(argIndex(ev.def, name)) as ArgValue<D, N>;
}

/** Epoch ns (bigint) of a boot-time stamp in the record, 0n when unknown. */
export function epochOf(ev: RecordEvent, at: number): bigint {
  return ev.epoch(at) ? epochBig() : 0n;
}

export { T as EPOCH };
