// An event read back from a saved JSON line (tracer show): the same EventView as a ring record,
// so accessors, the table, the tree and the summary work on both. Values are converted to the
// accessors' types: uint64 and epoch ns → bigint (parsed from the digits, not through a double),
// time.Time (RFC 3339) → epoch ns bigint.
import { dfgOnly } from "../jit";
import { EVENTS } from "./index";
import { ZERO_TIME } from "./clock";
import { S_BIG, S_EPOCH, S_OBJ, S_STR, S_TIME, S_U64, type AnyDef, type ArgName, type Field } from "./schema";
import type { EventView } from "./event";

const BY_NAME = new Map<string, AnyDef>(EVENTS.map((d) => [d.name, d]));

/** A line that is not one of our events; `line` is its number in the file (1-based). */
export class JsonEventError extends Error {
  constructor(
    readonly line: number,
    what: string,
  ) {
    super(`line ${line}: ${what}`);
    this.name = "JsonEventError";
  }
}

/** Integers beyond 2^53 keep every digit (JSON.parse's source text), as bigint. */
function reviver(this: unknown, _k: string, v: unknown, ctx?: { source?: string }): unknown {
  if (typeof v === "number" && !Number.isSafeInteger(v) && ctx?.source && /^-?\d+$/.test(ctx.source))
    return BigInt(ctx.source);
  return v;
}

/** 16 digits or more; quoted where they are a whole JSON number (after : , or [, before , ] }). */
const LONG_DIGITS = /-?\d{16,}/g;
function quoteLong(text: string): string {
  return text.replace(LONG_DIGITS, (m: string, at: number) => {
    const before = text.charCodeAt(at - 1),
      after = text.charCodeAt(at + m.length);
    return (before === 58 || before === 44 || before === 91) && (after === 44 || after === 125 || after === 93)
      ? '"' + m + '"'
      : m;
  });
}

/**
 * Parse a line, long integers kept exact: they are quoted first and read back as bigint by
 * convert(), so JSON.parse needs no reviver (with one it took 12.2 s for 131,660 lines; quoting
 * 0.3 s and a plain parse 1.7 s). The pattern can also match inside a string; quotes inserted there always leave
 * invalid JSON (a closing quote right before digits), so such a line is parsed again the slow way.
 */
export function parseExact(text: string): unknown {
  try {
    return JSON.parse(quoteLong(text));
  } catch {
    return JSON.parse(text, reviver as never);
  }
}

/** Epoch ns of an RFC 3339 UTC time with up to 9 fraction digits (Go's time.Time as we write it). */
export function rfc3339ToNs(s: string): bigint {
  if (s === ZERO_TIME) return 0n;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(s);
  if (!m) throw new Error(`'${s}' is not an RFC 3339 UTC time`);
  return BigInt(Date.parse(m[1] + "Z")) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

/** The long integers parseExact quoted in an object, as bigint (its `path` stays text). */
function unquoteLong(v: unknown): unknown {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  for (const k in o) {
    const x = o[k];
    if (k !== "path" && typeof x === "string" && /^-?\d{16,}$/.test(x)) o[k] = BigInt(x);
  }
  return o;
}

/** A JSON value as the accessor of field f returns it. */
export function convert(f: Field, v: unknown): unknown {
  switch (f.src) {
    case S_U64:
    case S_EPOCH:
    case S_BIG:
      return typeof v === "bigint" ? v : BigInt(v as number | string);
    case S_TIME:
      return typeof v === "string" ? (/^-?\d+$/.test(v) ? BigInt(v) : rfc3339ToNs(v)) : BigInt(v as number);
    case S_OBJ:
      // an object of numbers and one path (binary): its long integers were quoted by parseExact
      return unquoteLong(v);
    default:
      return v;
  }
}

type Arg = { name: string; value: unknown };

export class JsonEvent<D extends AnyDef = AnyDef> implements EventView<D> {
  /** The line's args; read by position (a trace we wrote has the schema's order), else by name.
   * No Map per line: building one cost more than parsing the line (2.8 s for 131,660 lines). */
  private readonly args: Arg[];

  private constructor(
    readonly def: D,
    private readonly o: Record<string, unknown>,
    private readonly line: number,
  ) {
    const list = o.args;
    if (!Array.isArray(list)) throw new JsonEventError(line, `${def.name} has no args list`);
    this.args = list as Arg[];
  }

  /** The arg named `name`, expected at position i. */
  private find(name: string, i: number): Arg | undefined {
    const a = this.args[i];
    if (a !== undefined && a.name === name) return a;
    for (const b of this.args) if (b.name === name) return b;
    return undefined;
  }

  /** Parse one line of a trace written by tracer --json; JsonEventError when it is not one. */
  static parse(text: string, line: number): JsonEvent {
    let o: unknown;
    try {
      o = parseExact(text);
    } catch (e) {
      throw new JsonEventError(line, `not JSON (${(e as Error).message})`);
    }
    if (typeof o !== "object" || o === null) throw new JsonEventError(line, "not a JSON object");
    const name = (o as { eventName?: unknown }).eventName;
    const def = typeof name === "string" ? BY_NAME.get(name) : undefined;
    if (!def) throw new JsonEventError(line, `unknown eventName ${JSON.stringify(name)}`);
    return new JsonEvent(def, o as Record<string, unknown>, line);
  }

  arg(i: number): unknown {
    const f = this.def.args[i];
    if (f === undefined) throw new RangeError(`${this.def.name} has no arg ${i}`);
    const a = this.find(f.name, i);
    if (a === undefined) {
      // an option's string (--hash's digests) in a trace recorded without it: empty, as a record gives it
      if (f.only !== null && f.src === S_STR) return "";
      throw new JsonEventError(this.line, `${this.def.name} has no arg ${f.name}`);
    }
    return convert(f, a.value);
  }

  /** Whether the line has arg `name` (an option's arg, e.g. --hash's sha256, may be absent). */
  has(name: ArgName<D>): boolean {
    const i = this.def.args.findIndex((f) => f.name === name);
    return this.find(name, i) !== undefined;
  }

  /** Replace arg `name`'s value, or add it (tracer show's redaction, src/redact/json.ts). */
  setArg(name: ArgName<D>, value: unknown): void {
    const a = this.find(
      name,
      this.def.args.findIndex((f) => f.name === name),
    );
    if (a !== undefined) a.value = value;
    else this.args.push({ name, value });
  }

  top(f: Field): unknown {
    if (!(f.name in this.o)) throw new JsonEventError(this.line, `${this.def.name} has no field ${f.name}`);
    return convert(f, this.o[f.name]);
  }

  is<E extends AnyDef>(def: E): this is JsonEvent<E> {
    return (this.def as AnyDef) === def;
  }
}
dfgOnly(convert); // src/jit.ts: tracer show
