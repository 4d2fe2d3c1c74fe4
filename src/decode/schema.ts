// The event schema's vocabulary: a field is a name, a Tracee type, where its value comes from
// (a source tag and a record offset, or a function of the event) and a line of documentation.
// Events (decode/events/*.ts) and the top level (decode/top.ts) are ordered lists of fields; the
// JSON encoder, the typed accessors, the table, the tree, the filters and docs/fields.md's field
// reference all read those lists, so a field is named in exactly one place.
import type { ProcInfo, RecordEvent } from "./event";
import * as LAYOUT from "./layout.gen";
import { dfgOnly } from "../jit";

/** Go-style type names as Tracee writes them in `args[].type`. */
export type TraceeType =
  | "string"
  | "[]string"
  | "bool"
  | "int32"
  | "int64"
  | "uint16"
  | "uint32"
  | "uint64"
  | "time.Time"
  | "object"
  | "[]object"
  | "trace.SlimCred";

/* Where a value comes from. Record sources read the record at `at`; FN sources call `fn(ev)`. */
export const S_SPAN = 0; // string the span at `at` points to (bytes, lossless)
export const S_COMM = 1; // NUL-padded char[16] at `at`
export const S_U16 = 2;
export const S_U32 = 3;
export const S_I32 = 4;
export const S_U64 = 5; // bigint in accessors, every digit in JSON
export const S_TIME = 6; // boot-time ns at `at` → epoch ns (bigint); JSON: RFC 3339 string (time.Time)
export const S_EPOCH = 7; // boot-time ns at `at` → epoch ns (bigint); JSON: an integer (top level)
export const S_FLAG = 8; // bit `at` of the header's flags
export const S_NUM = 9; // fn → number
export const S_STR = 10; // fn → string
export const S_BOOL = 11; // fn → boolean
export const S_LIST = 12; // fn → string[]
export const S_NULS = 13; // fn → [start, end) of a NUL-separated byte list (argv, env) in the record
export const S_OBJ = 14; // fn → a small plain object (JSON: its keys in order)
export const S_BIG = 15; // fn → bigint (JSON: an integer)
export const S_ARGS = 16; // top level: the event's args

/** A NUL-separated area of the record (argv or env): bytes [start, end). */
export interface NulArea {
  start: number;
  end: number;
}

/** Where a NUL list of the record lies: its span's offset and its byte total's (`env`: an
 * environment, captured with --env only). */
export interface NulPlace {
  span: number;
  size: number;
  env: boolean;
}

/** The accessor value type of each source. */
export interface SourceValue {
  [S_SPAN]: string;
  [S_COMM]: string;
  [S_U16]: number;
  [S_U32]: number;
  [S_I32]: number;
  [S_U64]: bigint;
  [S_TIME]: bigint;
  [S_EPOCH]: bigint;
  [S_FLAG]: boolean;
  [S_NUM]: number;
  [S_STR]: string;
  [S_BOOL]: boolean;
  [S_LIST]: readonly string[];
  [S_NULS]: string[];
  [S_OBJ]: object;
  [S_BIG]: bigint;
  [S_ARGS]: never;
}

export interface Field<N extends string = string, V = unknown> {
  readonly name: N;
  readonly type: TraceeType;
  readonly src: number;
  /** Record offset (record sources), or the flag bit (S_FLAG). */
  readonly at: number;
  readonly fn: ((ev: RecordEvent) => unknown) | null;
  /** One line for docs/fields.md's field reference. */
  readonly doc: string;
  /** Present only with that option: --env (what describes the captured environment), --hash. */
  readonly only: "env" | "hash" | null;
  /** Top level only: the key is left out of this event's JSON when this says so. */
  readonly omit: ((ev: RecordEvent) => boolean) | null;
  /** S_NULS only: where the list lies in the record (its span, and the u32 of the process's byte
   * total), for the redaction stage to put a redacted copy in its place (src/redact/record.ts). */
  readonly area: NulPlace | null;
  /** S_LIST only, optional: the same list as NUL-terminated bytes (what fn's strings were split
   * from), which the JSON encoder writes without making the strings (procArgv). */
  readonly nulBytes: ((ev: RecordEvent) => Uint8Array | null) | null;
  /** Phantom: the accessor's value type. */
  readonly _v?: V;
}

type Opts = { only?: "env" | "hash" };

function field<N extends string, V>(
  name: N,
  type: TraceeType,
  src: number,
  at: number,
  fn: ((ev: RecordEvent) => unknown) | null,
  doc: string,
  o: Opts = {},
): Field<N, V> {
  return { name, type, src, at, fn, doc, only: o.only ?? null, omit: null, area: null, nulBytes: null };
}

/* Builders: one per source. `type` is Tracee's name for the value's type. */
export const span = <N extends string>(name: N, at: number, doc: string) =>
  field<N, string>(name, "string", S_SPAN, at, null, doc);
export const comm = <N extends string>(name: N, at: number, doc: string) =>
  field<N, string>(name, "string", S_COMM, at, null, doc);
export const u16 = <N extends string>(name: N, at: number, doc: string) =>
  field<N, number>(name, "uint16", S_U16, at, null, doc);
export const u32 = <N extends string>(name: N, at: number, doc: string, type: TraceeType = "uint32") =>
  field<N, number>(name, type, S_U32, at, null, doc);
export const i32 = <N extends string>(name: N, at: number, doc: string) =>
  field<N, number>(name, "int32", S_I32, at, null, doc);
export const u64 = <N extends string>(name: N, at: number, doc: string) =>
  field<N, bigint>(name, "uint64", S_U64, at, null, doc);
export const time = <N extends string>(name: N, at: number, doc: string) =>
  field<N, bigint>(name, "time.Time", S_TIME, at, null, doc);
export const epoch = <N extends string>(name: N, at: number, doc: string) =>
  field<N, bigint>(name, "uint64", S_EPOCH, at, null, doc);
export const flag = <N extends string>(name: N, bit: number, doc: string) =>
  field<N, boolean>(name, "bool", S_FLAG, bit, null, doc);
export const num = <N extends string>(
  name: N,
  type: TraceeType,
  fn: (ev: RecordEvent) => number,
  doc: string,
  o?: Opts,
) => field<N, number>(name, type, S_NUM, 0, fn, doc, o);
export const big = <N extends string>(name: N, fn: (ev: RecordEvent) => bigint, doc: string) =>
  field<N, bigint>(name, "uint64", S_BIG, 0, fn, doc);
export const str = <N extends string>(name: N, fn: (ev: RecordEvent) => string, doc: string) =>
  field<N, string>(name, "string", S_STR, 0, fn, doc);
export const bool = <N extends string>(name: N, fn: (ev: RecordEvent) => boolean, doc: string) =>
  field<N, boolean>(name, "bool", S_BOOL, 0, fn, doc);
export const list = <N extends string>(name: N, fn: (ev: RecordEvent) => readonly string[], doc: string) =>
  field<N, readonly string[]>(name, "[]string", S_LIST, 0, fn, doc);
const NO_STRINGS: readonly string[] = Object.freeze([]);
/** The argv of a process of the tracer's process table (`proc`: which one, null: none known):
 * strings for accessors, its bytes for the JSON encoder. Measured (bench/profile.ts, exec storm):
 * splitting it into strings for each line, then escaping them, was ~20% of the JS thread's busy
 * samples (decodeBytes, splitNul, utf8Slice, Proc). */
export const procArgv = <N extends string>(name: N, proc: (ev: RecordEvent) => ProcInfo | null, doc: string) => {
  dfgOnly(proc); // src/jit.ts (called from both functions below, it was compiled on its own, to FTL)
  return {
    ...list(name, (ev) => proc(ev)?.argv ?? NO_STRINGS, doc),
    nulBytes: (ev: RecordEvent) => proc(ev)?.argvBytes ?? null,
  };
};
export const nuls = <N extends string>(
  name: N,
  fn: (ev: RecordEvent) => NulArea | null,
  doc: string,
  area: NulPlace,
) => ({ ...field<N, string[]>(name, "[]string", S_NULS, 0, fn, doc), area });
export const argsList = <N extends string>(name: N, doc: string) =>
  field<N, never>(name, "object", S_ARGS, 0, null, doc);
export const obj = <N extends string, V extends object>(
  name: N,
  fn: (ev: RecordEvent) => V,
  doc: string,
  type: TraceeType = "object",
) => field<N, V>(name, type, S_OBJ, 0, fn, doc);

/** A top-level field that some events leave out (lost_events has no eventId and no seq). */
export function omitWhen<F extends Field>(f: F, omit: (ev: RecordEvent) => boolean): F {
  return { ...f, omit };
}

/** Mark fields that exist only with --env. */
export function envOnly<F extends Field>(f: F): F {
  return { ...f, only: "env" };
}

/** Mark fields that exist only with --hash. */
export function hashOnly<F extends Field>(f: F): F {
  return { ...f, only: "hash" };
}

/** One event kind: its Tracee name and id, the record kind it comes from, and its args in order. */
export interface EventDef<K extends string = string, A extends readonly Field[] = readonly Field[]> {
  readonly name: K;
  /** Short name for people (the table, -e). */
  readonly short: string;
  /** Tracee's event id (a JSON string), or null: not a Tracee event. */
  readonly id: string | null;
  readonly kind: number;
  /** Bytes of the record's fixed part (checked before anything is read). */
  readonly fixedSize: number;
  /** Offsets of every span of the record (all checked before anything is read). */
  readonly spans: readonly number[];
  /** What the event is, where it comes from (docs/fields.md). */
  readonly doc: string;
  readonly args: A;
  readonly syscall: (ev: RecordEvent) => string;
  readonly returnValue: (ev: RecordEvent) => number;
  /** Per-record work shared by several args (e.g. counting argv strings), once per record. */
  readonly prepare: ((ev: RecordEvent) => void) | null;
  /** argsOf's lists, by option set (made at first use). */
  readonly argLists: (readonly Field[] | undefined)[];
}

export type AnyDef = EventDef<string, readonly Field[]>;
export type ArgName<D extends AnyDef> = D["args"][number]["name"];
export type ArgValue<D extends AnyDef, N extends string> =
  Extract<D["args"][number], { name: N }> extends Field<N, infer V> ? V : never;

/** The offsets of a record layout's span members, nested structs included (layout.gen.ts marks a
 * struct member `<name>$struct: "<struct name>"`). */
function spansOf(layout: Record<string, unknown>, base = 0): number[] {
  const out: number[] = [];
  for (const k of Object.keys(layout)) {
    const struct = layout[`${k}$struct`];
    if (typeof struct !== "string" || struct === "rec_header") continue; // the header's own spans: event.ts
    const at = base + (layout[k] as number);
    if (struct === "span") out.push(at);
    else out.push(...spansOf((LAYOUT as Record<string, Record<string, unknown>>)[struct]!, at));
  }
  return out;
}

export function defineEvent<const K extends string, const A extends readonly Field[]>(d: {
  name: K;
  short: string;
  id: string | null;
  kind: number;
  layout: { readonly $size: number };
  doc: string;
  args: A;
  syscall?: (ev: RecordEvent) => string;
  returnValue?: (ev: RecordEvent) => number;
  prepare?: (ev: RecordEvent) => void;
}): EventDef<K, A> {
  const names = new Set<string>();
  for (const f of d.args) {
    if (names.has(f.name)) throw new Error(`${d.name}: arg ${f.name} twice`);
    names.add(f.name);
  }
  return {
    name: d.name,
    short: d.short,
    id: d.id,
    kind: d.kind,
    fixedSize: d.layout.$size,
    spans: spansOf(d.layout),
    doc: d.doc,
    args: d.args,
    syscall: d.syscall ?? (() => ""),
    returnValue: d.returnValue ?? (() => 0),
    prepare: d.prepare ?? null,
    argLists: [],
  };
}

/** Index of each arg by name, per event (accessors look names up once per call site's def). */
const indexes = new WeakMap<AnyDef, Map<string, number>>();
export function argIndex(d: AnyDef, name: string): number {
  let m = indexes.get(d);
  if (!m) {
    m = new Map(d.args.map((f, i) => [f.name, i]));
    indexes.set(d, m);
  }
  const i = m.get(name);
  if (i === undefined) throw new Error(`${d.name} has no arg ${name}`);
  return i;
}

/** The args an event has in this run: those of the options it runs with (--env, --hash). Kept
 * per event (argsNum reads it for every line). */
export function argsOf(d: AnyDef, captureEnv: boolean, hash = false): readonly Field[] {
  const k = (captureEnv ? 1 : 0) + (hash ? 2 : 0);
  return (d.argLists[k] ??= d.args.filter(
    (f) => f.only === null || (f.only === "env" && captureEnv) || (f.only === "hash" && hash),
  ));
}
