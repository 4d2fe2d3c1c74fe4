// The one JSON encoder: an event view → one line in Tracee's trace.Event shape, straight from the
// record's bytes, field by field as the schema lists them (decode/top.ts, decode/events/*.ts).

/*
 * Written straight into a ByteBuf (the writer's buffer): keys and arg prefixes are pre-encoded,
 * strings in the record are copied as UTF-8 with JSON escapes (bytes that are not UTF-8 as
 * \udcXX, lossless; see decode/text.ts), numbers as digits, 64-bit values with every digit,
 * time.Time args as RFC 3339 strings as Go writes them. Spans were checked when the view was set,
 * so nothing here throws halfway through a line.
 */
import { ByteBuf, lit, type Lit } from "./bytes";
import { TOP } from "../decode/top";
import { divmod, Q, T, ZERO_TIME } from "../decode/clock";
import type { RecordEvent } from "../decode/event";
import { spanLen, spanStart } from "../decode/record";
import { rec_header as H } from "../decode/layout.gen";
import {
  S_ARGS, S_BIG, S_BOOL, S_COMM, S_EPOCH, S_FLAG, S_I32, S_LIST, S_NULS, S_NUM, S_OBJ, S_SPAN, S_STR, S_TIME, S_U16, S_U32,
  S_U64, argsOf, type AnyDef, type Field, type NulArea,
} from "../decode/schema";

const MAX_DEPTH = 16; // arg values are small plain objects; deeper means a bug, not data

/** Encode a plain value: string, string[], number, bigint, boolean, small plain object. */
export function encodeValue(out: ByteBuf, v: unknown, depth = 0): void {
  switch (typeof v) {
    case "string":
      out.str(v);
      return;
    case "number":
      out.num(v);
      return;
    case "bigint":
      out.big(v);
      return;
    case "boolean":
      out.ascii(v ? "true" : "false");
      return;
    case "object":
      if (v === null || depth > MAX_DEPTH) out.ascii("null");
      else if (Array.isArray(v)) encodeArray(out, v, depth);
      else encodeObject(out, v as Record<string, unknown>, depth);
      return;
    default:
      out.ascii("null"); // undefined, function, symbol: as JSON.stringify does inside arrays
  }
}

function encodeArray(out: ByteBuf, a: readonly unknown[], depth: number): void {
  out.byte(0x5b); // [
  for (let i = 0; i < a.length; i++) {
    if (i > 0) out.byte(0x2c);
    const x = a[i];
    if (typeof x === "string") out.str(x);
    else encodeValue(out, x, depth + 1);
  }
  out.byte(0x5d); // ]
}

function encodeObject(out: ByteBuf, o: Record<string, unknown>, depth: number): void {
  out.byte(0x7b); // {
  let first = true;
  for (const k in o) {
    const v = o[k];
    const t = typeof v;
    if (t === "undefined" || t === "function" || t === "symbol") continue; // as JSON.stringify
    if (!first) out.byte(0x2c);
    first = false;
    out.str(k);
    out.byte(0x3a); // :
    encodeValue(out, v, depth + 1);
  }
  out.byte(0x7d); // }
}

const ZERO_TIME_JSON = lit(JSON.stringify(ZERO_TIME));

/** `"YYYY-MM-DDTHH:MM:SS` per epoch second: the few seconds a burst of events names (a fork has
 * four start times) are formatted once each. */
const secondPrefixes = new Map<number, Lit>();
function secondPrefix(sec: number): Lit {
  let p = secondPrefixes.get(sec);
  if (p === undefined) {
    if (secondPrefixes.size >= 256) secondPrefixes.clear();
    p = lit('"' + new Date(sec * 1000).toISOString().slice(0, 19));
    secondPrefixes.set(sec, p);
  }
  return p;
}

/** Epoch ns hi * 2^32 + lo in RFC 3339, UTC, as Go's time.Time marshals it (Tracee's time.Time):
 * "2026-12-02T00:49:12.525777717Z", trailing zeros of the fraction dropped, none when it is 0. */
function writeRfc3339(out: ByteBuf, hi: number, lo: number): void {
  divmod(hi, lo, 1e9);
  const ns = Q.r;
  out.raw(secondPrefix(Q.q));
  out.nsFraction(ns);
  out.byte(0x5a); // Z
  out.byte(0x22);
}

/** JSON of frozen objects (constant top-level objects: container, kubernetes, contextFlags and
 * the cached executable objects), encoded once each. */
const frozenJson = new WeakMap<object, Lit>();
const scratch = new ByteBuf(256);
function jsonLit(o: object): Lit {
  scratch.pos = 0;
  encodeValue(scratch, o);
  return lit(scratch.bytes().slice());
}

const TRUE = lit("true");
const FALSE = lit("false");
const EMPTY_LIST = lit("[]");

/** Writes one field's value of an event as JSON. */
type Put = (out: ByteBuf, ev: RecordEvent) => void;

/*
 * One small function per source (each closure over its field's offset or function), not one
 * function with a switch over all sources: the JIT compiles each small one once, with the types
 * its one source sees; the switch version (~1,700 bytecodes) was recompiled by the FTL tier
 * again and again as new sources and value types reached it (50-140 ms per compile, well past
 * warm-up), which was most of the JIT's late work.
 */
function putterOf(f: Field): Put {
  const at = f.at;
  const fn = f.fn;
  switch (f.src) {
    case S_SPAN:
      return (out, ev) => {
        const r = ev.r;
        const s = spanStart(r, at);
        out.utf8Json(r.u8, s, s + spanLen(r, at));
      };
    case S_COMM:
      return (out, ev) => {
        const r = ev.r;
        const start = r.off + at;
        const u8 = r.u8;
        let end = start;
        while (end < start + 16 && u8[end] !== 0) end++;
        out.utf8Json(u8, start, end);
      };
    case S_U16:
      return (out, ev) => out.uint(ev.r.dv.getUint16(ev.r.off + at, true));
    case S_U32:
      return (out, ev) => out.uint(ev.r.dv.getUint32(ev.r.off + at, true));
    case S_I32:
      return (out, ev) => out.num(ev.r.dv.getInt32(ev.r.off + at, true));
    case S_U64:
      return (out, ev) => {
        const dv = ev.r.dv;
        const o = ev.r.off + at;
        out.u64(dv.getUint32(o + 4, true), dv.getUint32(o, true));
      };
    case S_TIME:
      return (out, ev) => {
        if (ev.epoch(at)) writeRfc3339(out, T.hi, T.lo);
        else out.raw(ZERO_TIME_JSON);
      };
    case S_EPOCH:
      return (out, ev) => {
        if (ev.epoch(at)) out.u64(T.hi, T.lo);
        else out.byte(0x30);
      };
    case S_FLAG:
      return (out, ev) => out.raw((ev.r.dv.getUint32(ev.r.off + H.flags, true) & at) !== 0 ? TRUE : FALSE);
  }
  if (fn === null) throw new Error(`field ${f.name}: source ${f.src} without a function`);
  switch (f.src) {
    case S_NUM:
      return (out, ev) => out.num(fn(ev) as number);
    case S_STR:
      return (out, ev) => out.str(fn(ev) as string);
    case S_BOOL:
      return (out, ev) => out.raw(fn(ev) ? TRUE : FALSE);
    case S_NULS:
      return (out, ev) => {
        const a = fn(ev) as NulArea | null;
        if (a === null) out.raw(EMPTY_LIST);
        else out.utf8JsonNulList(ev.r.u8, a.start, a.end);
      };
    case S_BIG:
      return (out, ev) => out.big(fn(ev) as bigint);
    case S_OBJ:
      return (out, ev) => writeObject(out, fn(ev) as object);
    case S_LIST:
      return (out, ev) => encodeValue(out, fn(ev));
  }
  throw new Error(`field ${f.name}: no JSON for source ${f.src}`);
}

/** A small object: a frozen one's bytes once (kept), any other encoded each time. */
function writeObject(out: ByteBuf, o: object): void {
  let known = frozenJson.get(o);
  if (known === undefined && Object.isFrozen(o)) frozenJson.set(o, (known = jsonLit(o)));
  if (known !== undefined) out.raw(known);
  else encodeValue(out, o);
}

/**
 * An event kind's line in this run as steps: a constant (keys, `{"name":N,"type":T,"value":`
 * prefixes, each carrying the end of the value before it) then a value. `omit` (top-level
 * fields some events leave out) skips the step's constant and value.
 */
interface Plan {
  pre: Lit[];
  put: (Put | null)[];
  omit: (((ev: RecordEvent) => boolean) | null)[];
}

const LINE_END = lit("}\n");

export class JsonEncoder {
  private readonly plans = new Map<AnyDef, Plan>();

  constructor(private readonly captureEnv: boolean, private readonly hash = false) {}

  private plan(def: AnyDef): Plan {
    const p: Plan = { pre: [], put: [], omit: [] };
    const step = (pre: string, put: Put | null, omit: Plan["omit"][number] = null) => {
      p.pre.push(lit(pre));
      p.put.push(put);
      p.omit.push(omit);
    };
    TOP.forEach((t: Field, i) => {
      const key = `${i === 0 ? "{" : ","}"${t.name}":`;
      if (t.src !== S_ARGS) return step(key, putterOf(t), t.omit);
      const args = argsOf(def, this.captureEnv, this.hash);
      if (args.length === 0) return step(key + "[]", null, t.omit);
      args.forEach((f, k) => step(`${k === 0 ? key + "[" : "},"}{"name":${JSON.stringify(f.name)},"type":${JSON.stringify(f.type)},"value":`, putterOf(f), t.omit));
      step("}]", null, t.omit);
    });
    this.plans.set(def, p);
    return p;
  }

  /** Append the event as one line of JSON, newline included. */
  encode(out: ByteBuf, ev: RecordEvent): void {
    const p = this.plans.get(ev.def) ?? this.plan(ev.def);
    const { pre, put, omit } = p;
    for (let i = 0; i < pre.length; i++) {
      const o = omit[i]!;
      if (o !== null && o(ev)) continue;
      out.raw(pre[i]!);
      const w = put[i]!;
      if (w !== null) w(out, ev);
    }
    out.raw(LINE_END);
  }
}

const line = new ByteBuf(4096);

/** The event as one line of JSON, newline included (string API, for tests and tools). */
export function formatJson(enc: JsonEncoder, ev: RecordEvent): string {
  line.pos = 0;
  enc.encode(line, ev);
  return line.take();
}
