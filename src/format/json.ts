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

/** One field's value, as JSON. */
function writeValue(out: ByteBuf, f: Field, ev: RecordEvent): void {
  const r = ev.r;
  const dv = r.dv;
  const at = r.off + f.at;
  switch (f.src) {
    case S_SPAN: {
      const s = spanStart(r, f.at);
      out.utf8Json(r.u8, s, s + spanLen(r, f.at));
      return;
    }
    case S_COMM: {
      let end = at;
      while (end < at + 16 && r.u8[end] !== 0) end++;
      out.utf8Json(r.u8, at, end);
      return;
    }
    case S_U16:
      out.uint(dv.getUint16(at, true));
      return;
    case S_U32:
      out.uint(dv.getUint32(at, true));
      return;
    case S_I32:
      out.num(dv.getInt32(at, true));
      return;
    case S_U64:
      out.u64(dv.getUint32(at + 4, true), dv.getUint32(at, true));
      return;
    case S_TIME:
      if (ev.epoch(f.at)) writeRfc3339(out, T.hi, T.lo);
      else out.raw(ZERO_TIME_JSON);
      return;
    case S_EPOCH:
      if (ev.epoch(f.at)) out.u64(T.hi, T.lo);
      else out.byte(0x30);
      return;
    case S_FLAG:
      out.ascii((dv.getUint32(r.off + H.flags, true) & f.at) !== 0 ? "true" : "false");
      return;
    case S_NUM:
      out.num(f.fn!(ev) as number);
      return;
    case S_STR:
      out.str(f.fn!(ev) as string);
      return;
    case S_BOOL:
      out.ascii(f.fn!(ev) ? "true" : "false");
      return;
    case S_NULS: {
      const a = f.fn!(ev) as NulArea | null;
      if (a === null) out.ascii("[]");
      else out.utf8JsonNulList(r.u8, a.start, a.end);
      return;
    }
    case S_BIG:
      out.big(f.fn!(ev) as bigint);
      return;
    case S_OBJ: {
      const o = f.fn!(ev) as object;
      let known = frozenJson.get(o);
      if (known === undefined && Object.isFrozen(o)) frozenJson.set(o, (known = jsonLit(o)));
      if (known !== undefined) out.raw(known);
      else encodeValue(out, o);
      return;
    }
    case S_LIST:
      encodeValue(out, f.fn!(ev));
      return;
    default:
      throw new Error(`field ${f.name}: no JSON for source ${f.src}`);
  }
}

/** An event's args in this run and their pre-encoded `{"name":N,"type":T,"value":` prefixes. */
interface ArgPlan {
  fields: readonly Field[];
  prefixes: Lit[];
}

const TOP_KEYS: Lit[] = TOP.map((f, i) => lit(`${i === 0 ? "{" : ","}"${f.name}":`));
const NO_ARGS = lit("[]");
const ARGS_CLOSE = lit("}]");
const LINE_END = lit("}\n");

export class JsonEncoder {
  private readonly plans = new Map<AnyDef, ArgPlan>();

  constructor(private readonly captureEnv: boolean, private readonly hash = false) {}

  private plan(def: AnyDef): ArgPlan {
    let p = this.plans.get(def);
    if (!p) {
      const fields = argsOf(def, this.captureEnv, this.hash);
      // each prefix carries the end of the arg before it: one copy per arg instead of three
      const prefix = (f: Field, i: number) => `${i === 0 ? "[" : "},"}{"name":${JSON.stringify(f.name)},"type":${JSON.stringify(f.type)},"value":`;
      p = { fields, prefixes: fields.map((f, i) => lit(prefix(f, i))) };
      this.plans.set(def, p);
    }
    return p;
  }

  /** Append the event as one line of JSON, newline included. */
  encode(out: ByteBuf, ev: RecordEvent): void {
    for (let i = 0; i < TOP.length; i++) {
      const f: Field = TOP[i]!;
      if (f.omit !== null && f.omit(ev)) continue;
      out.raw(TOP_KEYS[i]!);
      if (f.src === S_ARGS) this.args(out, ev);
      else writeValue(out, f, ev);
    }
    out.raw(LINE_END);
  }

  private args(out: ByteBuf, ev: RecordEvent): void {
    const { fields, prefixes } = this.plan(ev.def);
    const n = fields.length;
    if (n === 0) {
      out.raw(NO_ARGS);
      return;
    }
    for (let i = 0; i < n; i++) {
      out.raw(prefixes[i]!);
      writeValue(out, fields[i]!, ev);
    }
    out.raw(ARGS_CLOSE);
  }
}

const line = new ByteBuf(4096);

/** The event as one line of JSON, newline included (string API, for tests and tools). */
export function formatJson(enc: JsonEncoder, ev: RecordEvent): string {
  line.pos = 0;
  enc.encode(line, ev);
  return line.take();
}
