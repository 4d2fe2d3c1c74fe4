// A saved JSON line read without JSON.parse (tracer show): the event is a view over the line's
// bytes, and a field is read only when a view asks for it, found by its key ("hostProcessId":,
// {"name":"argv",). A whole-host trace's line is ~1.9 KB of which the table reads ~10 fields, so
// this reads a fraction of the bytes and builds no object per line; JSON.parse of every line was
// ~60% of show's CPU. What this reader does not expect (escapes are decoded by JSON.parse of the
// one string, anything else unusual: a missing key, an arg without "type" before "value", two
// events on one line) sends the line to JsonEvent, which reads it whole; so every value is what
// JsonEvent gives (test/decode/json-scan.test.ts compares the two on real traces).
import { EVENTS } from "./index";
import { TOP } from "./top";
import { JsonEvent, convert, parseExact } from "./json-event";
import { S_BIG, S_EPOCH, S_LIST, S_NULS, S_STR, S_U64, type AnyDef, type ArgName, type Field } from "./schema";
import type { EventView } from "./event";

/** Each event's name as bytes, to know a line's event without making a string of its name. */
const NAMES = EVENTS.map((d) => [Buffer.from(d.name, "latin1"), d] as const);
const TOP_INDEX = new Map<Field, number>((TOP as readonly Field[]).map((f, i) => [f, i]));
const key = (s: string) => Buffer.from(s, "latin1");
const EVENT_NAME = key('"eventName":"');
const TIMESTAMP = key('"timestamp":');
const TYPE = key('"type":"');
const VALUE = key(',"value":');
const TOP_KEYS = (TOP as readonly Field[]).map((f) => key(`"${f.name}":`));
/** TOP's index of eventName: the keys after it are looked for from its place in the line. */
const NAME_INDEX = (TOP as readonly Field[]).findIndex((f) => f.name === "eventName");
/** Each event's arg keys by position, and its args' positions by name. */
const ARG_KEYS = new Map<AnyDef, Buffer[]>(EVENTS.map((d) => [d, d.args.map((f) => key(`{"name":"${f.name}",`))]));
const ARG_INDEX = new Map<AnyDef, Map<string, number>>(
  EVENTS.map((d) => [d, new Map(d.args.map((f, i) => [f.name, i]))]),
);

const QUOTE = 34,
  BACKSLASH = 92,
  COMMA = 44,
  OPEN_BRACE = 123,
  CLOSE_BRACE = 125,
  OPEN_BRACKET = 91,
  CLOSE_BRACKET = 93;

/** Thrown inside the scanner when a line is not as expected; the line is then read by JsonEvent. */
const UNUSUAL = new Error("unusual line");

/** A line's bytes, and the first backslash at or after bsFrom (bs; the line's length if none). */
interface Line {
  readonly b: Buffer;
  bsFrom: number;
  bs: number;
}

/** Index just past the string whose opening quote is at `at` (a quote preceded by an odd number of
 * backslashes is escaped). */
function stringEnd(l: Line, at: number): number {
  const b = l.b;
  let q = at;
  for (;;) {
    q = b.indexOf(QUOTE, q + 1);
    if (q < 0) throw UNUSUAL;
    let n = 0;
    while (b[q - 1 - n] === BACKSLASH) n++;
    if ((n & 1) === 0) return q + 1;
  }
}

/** Index just past the object or array opening at `at`. */
function compositeEnd(l: Line, at: number): number {
  const b = l.b;
  let depth = 0;
  for (let i = at; i < b.length; i++) {
    const c = b[i]!;
    if (c === QUOTE) i = stringEnd(l, i) - 1;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (--depth === 0) return i + 1;
    }
  }
  throw UNUSUAL;
}

/** The string whose opening quote is at `at`, and the index past it. */
function readString(l: Line, at: number): [string, number] {
  const after = stringEnd(l, at);
  if (at < l.bsFrom || at > l.bs) {
    const bs = l.b.indexOf(BACKSLASH, at);
    l.bsFrom = at;
    l.bs = bs < 0 ? l.b.length : bs;
  }
  // escapes (\", \n, \udcXX for bytes that are not UTF-8): JSON.parse of this one string
  if (l.bs < after) return [JSON.parse(l.b.toString("utf8", at, after)) as string, after];
  return [l.b.toString("utf8", at + 1, after - 1), after];
}

/** A list of strings (argv, env) at `at`; null when it holds anything else. */
function readStrings(l: Line, at: number): [string[], number] | null {
  const b = l.b;
  const out: string[] = [];
  let i = at + 1;
  if (b[i] === CLOSE_BRACKET) return [out, i + 1];
  for (;;) {
    if (b[i] !== QUOTE) return null;
    const [s, after] = readString(l, i);
    out.push(s);
    const c = b[after];
    if (c === CLOSE_BRACKET) return [out, after + 1];
    if (c !== COMMA) return null;
    i = after + 1;
  }
}

/** The JSON value at `at` as JSON.parse of the line (with long integers quoted, as parseExact
 * does) gives it, and the index past it. */
function readValue(l: Line, at: number, f: Field): [unknown, number] {
  const b = l.b;
  const c = b[at]!;
  if (c === QUOTE) return readString(l, at);
  if (c === OPEN_BRACKET && (f.src === S_NULS || f.src === S_LIST || f.type === "[]string")) {
    const list = readStrings(l, at);
    if (list !== null) return list;
  }
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    const after = compositeEnd(l, at);
    return [parseExact(b.toString("utf8", at, after)), after];
  }
  if (c === 116 && b[at + 1] === 114 && b[at + 2] === 117 && b[at + 3] === 101) return [true, at + 4];
  if (c === 102 && b[at + 1] === 97 && b[at + 2] === 108 && b[at + 3] === 115 && b[at + 4] === 101)
    return [false, at + 5];
  // an integer: up to 15 digits exactly as a double; 16 or more as their text (parseExact quotes
  // those and convert() makes them bigint); a fraction or an exponent: not ours
  let i = at;
  if (c === 45) i++;
  const first = i;
  let n = 0;
  for (let d = b[i]! - 48; d >= 0 && d <= 9; d = b[++i]! - 48) n = n * 10 + d;
  const digits = i - first;
  if (digits === 0 || digits > 20 || (digits > 1 && b[first] === 48)) throw UNUSUAL;
  if (digits >= 16 && c !== 45 && (f.src === S_EPOCH || f.src === S_U64 || f.src === S_BIG))
    return [bigAt(b, first, i), i];
  if (digits >= 16) return [b.toString("latin1", at, i), i];
  return [c === 45 ? -n : n, i];
}

/** The last 10^9 multiple made by bigAt, and its digits above the last nine. */
let highDigits = -1;
let high = 0n;

/** The 16 to 20 digits at [from, to) as a bigint: the digits above the last nine (a timestamp's
 * seconds, the same for many lines in a row) made once, plus the last nine; BigInt of the
 * digits' text was two allocations and a parse per timestamp. */
function bigAt(b: Buffer, from: number, to: number): bigint {
  let hi = 0;
  for (let i = from; i < to - 9; i++) hi = hi * 10 + b[i]! - 48;
  let lo = 0;
  for (let i = to - 9; i < to; i++) lo = lo * 10 + b[i]! - 48;
  if (hi !== highDigits) {
    highDigits = hi;
    high = BigInt(hi) * 1_000_000_000n;
  }
  return high + BigInt(lo);
}

/** Whether b holds k at i (a loop: Buffer.compare's call cost more than these few bytes). */
function bytesAt(b: Buffer, i: number, k: Buffer): boolean {
  if (i + k.length > b.length) return false;
  for (let j = 0; j < k.length; j++) if (b[i + j] !== k[j]) return false;
  return true;
}

/** The event whose name, then `",`, is at `at` (a few byte compares: a string of the name and a
 * map look-up per line cost more). */
function eventAt(b: Buffer, at: number): AnyDef | undefined {
  for (const [name, def] of NAMES)
    if (b[at + name.length] === QUOTE && b[at + name.length + 1] === COMMA && bytesAt(b, at, name)) return def;
  return undefined;
}

/** What may follow a value in an object: `,` or `}`. */
function endsValue(b: Buffer, i: number): boolean {
  const c = b[i];
  return c === COMMA || c === CLOSE_BRACE;
}

export class ScannedEvent<D extends AnyDef = AnyDef> implements EventView<D>, Line {
  /** The line read whole, once the scanner met something it does not expect. */
  private whole: JsonEvent<D> | null = null;
  /** Values tracer show's redaction set (name, value). */
  private set: [string, unknown][] | null = null;
  bsFrom = 0;
  bs = -1;
  /** Top-level values read so far, by TOP's index (the table and the summary read some twice). */
  private tops: unknown[] | null = null;
  private readonly keys: Buffer[];

  private constructor(
    readonly def: D,
    /** The line's bytes (a view into the reader's buffer, valid until the next line is read). */
    readonly b: Buffer,
    private readonly line: number,
    /** Where "eventName": is: the keys after it in our lines (TOP's, the args) are looked for
     * from here, not from the line's start. */
    private readonly nameAt: number,
  ) {
    this.keys = ARG_KEYS.get(def)!;
  }

  /** The arg found last (by index) and where, to look for a later arg from there. */
  private argSeen = -1;
  private argSeenAt = 0;

  /** A line (a JSON object, `{` first), or the JsonEvent of its text when it is not as we write it. */
  static scan(b: Buffer, line: number): ScannedEvent | JsonEvent {
    const fallback = () => JsonEvent.parse(b.toString("utf8"), line);
    if (b[b.length - 1] !== CLOSE_BRACE) return fallback();
    // one event per line: a second "timestamp": (two lines run together) is not ours to guess at
    const t = b.indexOf(TIMESTAMP);
    if (t < 0 || b.indexOf(TIMESTAMP, t + 1) >= 0) return fallback();
    const at = b.indexOf(EVENT_NAME);
    if (at < 0) return fallback();
    const def = eventAt(b, at + EVENT_NAME.length);
    if (def === undefined) return fallback();
    return new ScannedEvent(def, b, line, at);
  }

  private read(): JsonEvent<D> {
    if (this.whole === null) {
      this.whole = JsonEvent.parse(this.b.toString("utf8"), this.line) as JsonEvent<D>;
      for (const [name, value] of this.set ?? []) this.whole.setArg(name as ArgName<D>, value);
    }
    return this.whole;
  }

  /** Where the value of the def's arg i starts, -1 when the line has no such arg. */
  private argAt(i: number): number {
    const b = this.b;
    const k = this.keys[i]!;
    // from the arg before it that was found, else from eventName (our order); anywhere else: from
    // the start (another order). Each of a line's ~10 searches from its start read ~1 KB.
    let at = b.indexOf(k, i > this.argSeen ? this.argSeenAt : this.nameAt);
    if (at < 0) at = b.indexOf(k);
    if (at < 0) return -1;
    if (i > this.argSeen) {
      this.argSeen = i;
      this.argSeenAt = at;
    }
    // {"name":"N","type":"T","value":V
    if (!bytesAt(b, at + k.length, TYPE)) throw UNUSUAL;
    const q = b.indexOf(QUOTE, at + k.length + TYPE.length);
    if (q < 0 || !bytesAt(b, q + 1, VALUE)) throw UNUSUAL;
    return q + 1 + VALUE.length;
  }

  private overridden(name: string): [string, unknown] | undefined {
    if (this.set === null) return undefined;
    for (const s of this.set) if (s[0] === name) return s;
    return undefined;
  }

  arg(i: number): unknown {
    if (this.whole) return this.whole.arg(i);
    const f = this.def.args[i];
    if (f === undefined) throw new RangeError(`${this.def.name} has no arg ${i}`);
    const o = this.overridden(f.name);
    if (o) return o[1];
    try {
      const at = this.argAt(i);
      if (at < 0) {
        // an option's string (--hash's digests) in a trace recorded without it: empty, as JsonEvent gives it
        if (f.only !== null && f.src === S_STR) return "";
        return this.read().arg(i); // JsonEvent says what is wrong
      }
      const [v, after] = readValue(this, at, f);
      if (this.b[after] !== CLOSE_BRACE) throw UNUSUAL;
      return convert(f, v);
    } catch (e) {
      if (e !== UNUSUAL) throw e;
      return this.read().arg(i);
    }
  }

  top(f: Field): unknown {
    if (this.whole) return this.whole.top(f);
    const t = TOP_INDEX.get(f);
    if (t !== undefined && this.tops !== null && this.tops[t] !== undefined) return this.tops[t];
    const v = this.topRead(f);
    if (t !== undefined) (this.tops ??= [])[t] = v;
    return v;
  }

  private topRead(f: Field): unknown {
    try {
      const t = TOP_INDEX.get(f);
      const k = t === undefined ? key(`"${f.name}":`) : TOP_KEYS[t]!;
      let at = t !== undefined && t > NAME_INDEX ? this.b.indexOf(k, this.nameAt) : -1;
      if (at < 0) at = this.b.indexOf(k);
      if (at < 0) return this.read().top(f);
      const [v, after] = readValue(this, at + k.length, f);
      if (!endsValue(this.b, after)) throw UNUSUAL;
      return convert(f, v);
    } catch (e) {
      if (e !== UNUSUAL) throw e;
      return this.read().top(f);
    }
  }

  /** Whether the line has arg `name` (an option's arg, e.g. --hash's sha256, may be absent). */
  has(name: ArgName<D>): boolean {
    if (this.whole) return this.whole.has(name);
    if (this.overridden(name)) return true;
    const i = ARG_INDEX.get(this.def)!.get(name);
    if (i === undefined) return this.read().has(name);
    try {
      return this.argAt(i) >= 0;
    } catch (e) {
      if (e !== UNUSUAL) throw e;
      return this.read().has(name);
    }
  }

  /** Where arg `name`'s value, a list, lies in the line's bytes [start, end); null when it is not a
   * plain list of the line (set by redaction, read whole, absent, or anything unusual). */
  rawList(name: ArgName<D>): [number, number] | null {
    const i = ARG_INDEX.get(this.def)!.get(name);
    if (this.whole || i === undefined || this.overridden(name)) return null;
    try {
      const at = this.argAt(i);
      if (at < 0 || this.b[at] !== OPEN_BRACKET) return null;
      return [at, compositeEnd(this, at)];
    } catch (e) {
      if (e !== UNUSUAL) throw e;
      return null;
    }
  }

  /** Replace arg `name`'s value, or add it (tracer show's redaction, src/redact/json.ts). */
  setArg(name: ArgName<D>, value: unknown): void {
    const o = this.whole ? null : this.overridden(name);
    if (this.whole) this.whole.setArg(name, value);
    else if (o) o[1] = value;
    else (this.set ??= []).push([name, value]);
  }

  is<E extends AnyDef>(def: E): this is ScannedEvent<E> {
    return (this.def as AnyDef) === def;
  }
}

/** An event read back from a saved line, whichever reader read it. */
export type SavedEvent = ScannedEvent | JsonEvent;
