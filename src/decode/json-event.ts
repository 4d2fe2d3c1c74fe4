// An event read back from a saved JSON line (tracer show): the same EventView as a ring record,
// so accessors, the table, the tree and the summary work on both. Values are converted to the
// accessors' types: uint64 and epoch ns → bigint (parsed from the digits, not through a double),
// time.Time (RFC 3339) → epoch ns bigint.
import { EVENTS } from "./index";
import { ZERO_TIME } from "./clock";
import { S_BIG, S_EPOCH, S_TIME, S_U64, type AnyDef, type ArgName, type Field } from "./schema";
import type { EventView } from "./event";

const BY_NAME = new Map<string, AnyDef>(EVENTS.map((d) => [d.name, d]));

/** A line that is not one of our events; `line` is its number in the file (1-based). */
export class JsonEventError extends Error {
  constructor(readonly line: number, what: string) {
    super(`line ${line}: ${what}`);
    this.name = "JsonEventError";
  }
}

/** Integers beyond 2^53 keep every digit (JSON.parse's source text), as bigint. */
function reviver(this: unknown, _k: string, v: unknown, ctx?: { source?: string }): unknown {
  if (typeof v === "number" && !Number.isSafeInteger(v) && ctx?.source && /^-?\d+$/.test(ctx.source)) return BigInt(ctx.source);
  return v;
}

/** Epoch ns of an RFC 3339 UTC time with up to 9 fraction digits (Go's time.Time as we write it). */
export function rfc3339ToNs(s: string): bigint {
  if (s === ZERO_TIME) return 0n;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(s);
  if (!m) throw new Error(`'${s}' is not an RFC 3339 UTC time`);
  return BigInt(Date.parse(m[1] + "Z")) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

/** A JSON value as the accessor of field f returns it. */
function convert(f: Field, v: unknown): unknown {
  switch (f.src) {
    case S_U64:
    case S_EPOCH:
    case S_BIG:
      return typeof v === "bigint" ? v : BigInt(v as number);
    case S_TIME:
      return typeof v === "string" ? rfc3339ToNs(v) : BigInt(v as number);
    default:
      return v;
  }
}

export class JsonEvent<D extends AnyDef = AnyDef> implements EventView<D> {
  private readonly args: Map<string, unknown>;

  private constructor(readonly def: D, private readonly o: Record<string, unknown>, private readonly line: number) {
    const list = o.args;
    if (!Array.isArray(list)) throw new JsonEventError(line, `${def.name} has no args list`);
    this.args = new Map(list.map((a: { name: string; value: unknown }) => [a.name, a.value]));
  }

  /** Parse one line of a trace written by tracer --json; JsonEventError when it is not one. */
  static parse(text: string, line: number): JsonEvent {
    let o: unknown;
    try {
      o = JSON.parse(text, reviver as never);
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
    if (!this.args.has(f.name)) throw new JsonEventError(this.line, `${this.def.name} has no arg ${f.name}`);
    return convert(f, this.args.get(f.name));
  }

  /** Whether the line has arg `name` (an option's arg, e.g. --hash's sha256, may be absent). */
  has(name: ArgName<D>): boolean {
    return this.args.has(name);
  }

  /** Replace arg `name`'s value (tracer show's redaction, src/redact/json.ts). */
  setArg(name: ArgName<D>, value: unknown): void {
    this.args.set(name, value);
  }

  top(f: Field): unknown {
    if (!(f.name in this.o)) throw new JsonEventError(this.line, `${this.def.name} has no field ${f.name}`);
    return convert(f, this.o[f.name]);
  }

  is<E extends AnyDef>(def: E): this is JsonEvent<E> {
    return (this.def as AnyDef) === def;
  }
}
