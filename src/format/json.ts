// The one JSON encoder: an event view → one line in Tracee's trace.Event shape, straight from the
// record's bytes, field by field as the schema lists them (decode/top.ts, decode/events/*.ts).

/*
 * Written straight into a ByteBuf (the writer's buffer): keys and arg prefixes are pre-encoded,
 * strings in the record are copied as UTF-8 with JSON escapes (bytes that are not UTF-8 as
 * \udcXX, lossless; see decode/text.ts), numbers as digits, 64-bit values with every digit,
 * time.Time args as RFC 3339 strings as Go writes them. Spans were checked when the view was set,
 * so nothing here throws halfway through a line.
 */
import { dfgOnly, noFTL, noInline } from "../jit";
import { ByteBuf, lit, type Lit } from "./bytes";
import { TOP } from "../decode/top";
import { divmod, Q, T, ZERO_TIME } from "../decode/clock";
import type { RecordEvent } from "../decode/event";
import { rec_header as H, span as SPAN } from "../decode/layout.gen";
import {
  S_ARGS,
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
  argsOf,
  type AnyDef,
  type Field,
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

/*
 * Each event kind's line is one function, generated once per encoder from the schema's field
 * lists (the way fast JSON serializers do it): every step inlined in field order, constants as
 * pre-encoded literals, each field function called from a call site of its own. One monomorphic
 * function per kind is what JSC compiles once; the earlier plan loop dispatched ~60 small
 * closures from one call site, each compiled separately at two tiers and some again and again
 * (measured with bench/jit.ts: see the commit that made this).
 */

/** The source of one field's value as JS code, reading `ev`, `dv`, `u8` and `o` (the record's
 * offset); `k(v)` names a constant the code needs (a field's function, a literal). */
function valueCode(f: Field, k: (v: unknown) => string): string {
  const at = f.at;
  switch (f.src) {
    case S_SPAN: // spans were checked when the view was set (RecordEvent.set)
      return `{ const s = o + dv.getUint32(o + ${at + SPAN.off}, true); out.utf8Json(u8, s, s + dv.getUint32(o + ${at + SPAN.len}, true)); }`;
    case S_COMM:
      return `{ const s = o + ${at}; let e = s; while (e < s + 16 && u8[e] !== 0) e++; out.utf8Json(u8, s, e); }`;
    case S_U16:
      return `out.uint(dv.getUint16(o + ${at}, true));`;
    case S_U32:
      return `out.uint(dv.getUint32(o + ${at}, true));`;
    case S_I32:
      return `out.num(dv.getInt32(o + ${at}, true));`;
    case S_U64:
      return `out.u64(dv.getUint32(o + ${at + 4}, true), dv.getUint32(o + ${at}, true));`;
    case S_TIME:
      return `if (ev.epoch(${at})) writeRfc3339(out, T.hi, T.lo); else out.raw(ZERO_TIME_JSON);`;
    case S_EPOCH:
      return `if (ev.epoch(${at})) out.u64(T.hi, T.lo); else out.byte(0x30);`;
    case S_FLAG:
      return `out.raw((dv.getUint32(o + ${H.flags}, true) & ${at}) !== 0 ? TRUE : FALSE);`;
  }
  if (f.fn === null) throw new Error(`field ${f.name}: source ${f.src} without a function`);
  const fn = k(f.fn);
  switch (f.src) {
    case S_NUM:
      return `out.num(${fn}(ev));`;
    case S_STR:
      return `out.str(${fn}(ev));`;
    case S_BOOL:
      return `out.raw(${fn}(ev) ? TRUE : FALSE);`;
    case S_NULS:
      return `{ const a = ${fn}(ev); if (a === null) out.raw(EMPTY_LIST); else out.utf8JsonNulList(u8, a.start, a.end); }`;
    case S_BIG:
      return `out.big(${fn}(ev));`;
    case S_OBJ:
      return `writeObject(out, ${fn}(ev));`;
    case S_LIST:
      if (f.nulBytes !== null)
        return `{ const b = ${k(f.nulBytes)}(ev); if (b === null) out.raw(EMPTY_LIST); else out.utf8JsonNulList(b, 0, b.length); }`;
      return `encodeValue(out, ${fn}(ev));`;
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

/** What generated code reads besides its constants. */
const RUNTIME = { T, TRUE, FALSE, EMPTY_LIST, ZERO_TIME_JSON, writeRfc3339, writeObject, encodeValue };

/*
 * What a line's function calls is compiled on its own, not inlined into it: inlined, the
 * writers (string escaping, digits) and the fields' functions were copied into each kind's
 * function at every call site, and the FTL tier took seconds per kind (bench/jit.ts).
 * The kinds' functions, the fields' functions and the kinds' prepare() stay at the DFG tier
 * (noFTL); the writers, where the loops are, go on to FTL. Measured side by side (bench/jit.ts,
 * load ~25): FTL compiles after ready 59 → 44, JIT threads over spawns 3,000-9,000 -25%; steady
 * pipeline CPU per spawn the same within 2% (three pairs of processes run at once).
 */
const WRITERS = ["raw", "byte", "uint", "num", "u64", "big", "str", "utf8Json", "utf8JsonNulList"] as const;
for (const m of WRITERS) noInline(ByteBuf.prototype[m]);
for (const f of [writeRfc3339, writeObject, encodeValue]) noInline(f);
// All of it DFG only since (src/jit.ts): the writers' FTL compiles, too, cost more than they saved.
dfgOnly(ByteBuf, writeRfc3339, writeObject, encodeValue, encodeArray, encodeObject, secondPrefix);

type Encode = (out: ByteBuf, ev: RecordEvent) => void;

/** Generated code: steps of constant text and values (valueCode), constants merged, then one
 * function made of them. */
class Gen {
  private readonly consts: unknown[] = [];
  private readonly body: string[] = [];
  private pending = ""; // constant text not yet written: merged with the next constant

  /** The name of a constant the code needs (a field's function, a literal, a part's function). */
  readonly k = (v: unknown): string => {
    let i = this.consts.indexOf(v);
    if (i < 0) {
      i = this.consts.push(v) - 1;
      if (typeof v === "function") {
        noInline(v as () => void);
        noFTL(v as () => void);
      }
    }
    return `k${i}`;
  };

  private flush(): void {
    if (this.pending !== "") this.body.push(`out.raw(${this.k(lit(this.pending))});`);
    this.pending = "";
  }

  /** A constant, then a value (code); `omit` leaves both out when it says so. */
  step(pre: string, value: string | null, omit: Field["omit"] = null): void {
    if (omit === null) {
      this.pending += pre;
      if (value !== null) {
        this.flush();
        this.body.push(value);
      }
      return;
    }
    this.flush();
    this.body.push(
      `if (!${this.k(omit)}(ev)) {`,
      `out.raw(${this.k(lit(pre))});`,
      ...(value === null ? [] : [value]),
      "}",
    );
  }

  /** Code as it is (the constant text before it is written first). */
  code(c: string): void {
    this.flush();
    this.body.push(c);
  }

  make(name: string): Encode {
    this.flush();
    const names = Object.keys(RUNTIME);
    const src = `return function ${name}(out, ev) {\nconst r = ev.r, dv = r.dv, u8 = r.u8, o = r.off;\n${this.body.join("\n")}\n};`;
    const make = new Function(...names, ...this.consts.map((_, i) => `k${i}`), src);
    const e = make(...names.map((n) => RUNTIME[n as keyof typeof RUNTIME]), ...this.consts) as Encode;
    noFTL(e);
    return e;
  }
}

const ARGS_AT = TOP.findIndex((t: Field) => t.src === S_ARGS);

/*
 * The top-level fields before and after "args" are the same code for every kind: generated once
 * (two functions: encode_head up to `"args":`, encode_tail after the args' `]`), each kind's
 * function calls them and writes its args between. Copied into each kind's function, they were
 * compiled at DFG once per kind: encode_exec, encode_fork and encode_exit took 15-25 ms of DFG
 * compile in a run's first 3,000 spawns (bench/jit.ts --source).
 */
function topPart(first: number, stop: number, name: string): Encode {
  const g = new Gen();
  for (let i = first; i < stop; i++) {
    const t = TOP[i] as Field;
    g.step(`${i === 0 ? "{" : ","}"${t.name}":`, valueCode(t, g.k), t.omit);
  }
  if (stop === ARGS_AT) g.step(`,"${TOP[ARGS_AT]!.name}":`, null);
  if (stop === TOP.length) g.step("}\n", null);
  return g.make(name);
}

/** The encoder of one event kind in a run (--env, --hash): one function, straight-line. */
function compile(def: AnyDef, captureEnv: boolean, hash: boolean, head: Encode, tail: Encode): Encode {
  const g = new Gen();
  const t = TOP[ARGS_AT] as Field;
  if (t.omit !== null) throw new Error(`${t.name}: args cannot be omitted`);
  g.code(`${g.k(head)}(out, ev);`);
  const args = argsOf(def, captureEnv, hash);
  if (args.length === 0) g.step("[]", null);
  args.forEach((f, n) => {
    g.step(
      `${n === 0 ? "[" : "},"}{"name":${JSON.stringify(f.name)},"type":${JSON.stringify(f.type)},"value":`,
      valueCode(f, g.k),
    );
  });
  if (args.length > 0) g.step("}]", null);
  g.code(`${g.k(tail)}(out, ev);`);
  if (def.prepare) noFTL(def.prepare);
  return g.make(`encode_${def.short}`);
}

export class JsonEncoder {
  /** The encoder of each event kind (by kind), made at the first event of that kind. */
  private readonly byKind: (Encode | undefined)[] = [];
  /** The top-level parts (topPart), made at the first event. */
  private parts: [Encode, Encode] | null = null;

  constructor(
    private readonly captureEnv: boolean,
    private readonly hash = false,
  ) {}

  /** Append the event as one line of JSON, newline included. */
  encode(out: ByteBuf, ev: RecordEvent): void {
    const def = ev.def;
    const e = this.byKind[def.kind] ?? (this.byKind[def.kind] = this.compile(def));
    e(out, ev);
  }

  private compile(def: AnyDef): Encode {
    this.parts ??= [topPart(0, ARGS_AT, "encode_head"), topPart(ARGS_AT + 1, TOP.length, "encode_tail")];
    return compile(def, this.captureEnv, this.hash, ...this.parts);
  }
}

dfgOnly(JsonEncoder);

const line = new ByteBuf(4096);

/** The event as one line of JSON, newline included (string API, for tests and tools). */
export function formatJson(enc: JsonEncoder, ev: RecordEvent): string {
  line.pos = 0;
  enc.encode(line, ev);
  return line.take();
}
