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

const TOP_INDEX = new Map<Field, number>((TOP as readonly Field[]).map((f, i) => [f, i]));
/** A key's bytes, and its first bytes as little-endian 32-bit words (bytesAt compares four at a
 * time: at JSC's DFG tier, where the scanner stays, a byte at a time was ~3x slower). */
interface Key {
  readonly bytes: Buffer;
  readonly words: Int32Array;
  readonly length: number;
}
function key(s: string): Key {
  const bytes = Buffer.from(s, "latin1");
  const words = new Int32Array(bytes.length >> 2);
  for (let j = 0; j < words.length; j++) words[j] = bytes.readInt32LE(j * 4);
  return { bytes, words, length: bytes.length };
}
const EVENT_NAME = Buffer.from('"eventName":"', "latin1");
const TIMESTAMP = key('"timestamp":');
const TYPE = key('"type":"');
const VALUE = key(',"value":');
const TOP_KEYS = (TOP as readonly Field[]).map((f) => key(`"${f.name}":`));
/** TOP's index of eventName. */
const NAME_INDEX = (TOP as readonly Field[]).findIndex((f) => f.name === "eventName");
/** Per event, where each key was in the last line that needed indexOf to find it (the next line of
 * the event is laid out alike but for a few digits and names; its key is looked for there first):
 * TOP's from the line's start (after eventName: from eventName's), the args' back from the end
 * (after lists of any length) and on from eventName (before them). */
const GUESS = new Map<AnyDef, { top: Int32Array; arg: Int32Array; argFront: Int32Array }>(
  EVENTS.map((d) => [
    d,
    {
      top: new Int32Array(TOP.length).fill(-1),
      arg: new Int32Array(d.args.length),
      argFront: new Int32Array(d.args.length),
    },
  ]),
);

/** The most keys a field is reached over from the one read before it (HOPS short values read
 * here cost about one indexOf of a key in a ~2 KB line). */
const HOPS = 3;
/** Each event's arg keys by position, and its args' positions by name. */
const ARG_KEYS = new Map<AnyDef, Key[]>(EVENTS.map((d) => [d, d.args.map((f) => key(`{"name":"${f.name}",`))]));
/** Each arg's key with its type, as the encoder writes them (format/json.ts), up to its value: one
 * compare finds where the value starts (a line with another type is read by the key alone). */
const ARG_FULL = new Map<AnyDef, Key[]>(
  EVENTS.map((d) => [
    d,
    d.args.map((f) => key(`{"name":${JSON.stringify(f.name)},"type":${JSON.stringify(f.type)},"value":`)),
  ]),
);
const ARG_INDEX = new Map<AnyDef, Map<string, number>>(
  EVENTS.map((d) => [d, new Map(d.args.map((f, i) => [f.name, i]))]),
);

/** Each event's name as bytes (to know a line's event without making a string of its name), with
 * what its lines are read by (one object found per line, not a map look-up per table). */
interface Kind {
  name: Key;
  /** The name's last byte. */
  last: number;
  def: AnyDef;
  keys: Key[];
  full: Key[];
  guess: { top: Int32Array; arg: Int32Array; argFront: Int32Array };
}
const NAMES: Kind[] = EVENTS.map((d) => ({
  name: key(d.name),
  last: d.name.charCodeAt(d.name.length - 1),
  def: d,
  keys: ARG_KEYS.get(d)!,
  full: ARG_FULL.get(d)!,
  guess: GUESS.get(d)!,
}));

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

/** The bytes a line is read from: the line, and a DataView of its buffer with the line's offset
 * in it (one DataView per buffer the lines are cut from, not one per line). */
interface Bytes {
  readonly b: Buffer;
  readonly dv: DataView;
  readonly off: number;
}
let viewed: ArrayBufferLike | null = null;
let view: DataView = new DataView(new ArrayBuffer(0));
function viewOf(b: Buffer): DataView {
  if (b.buffer !== viewed) {
    viewed = b.buffer;
    view = new DataView(b.buffer);
  }
  return view;
}

/** Where the last value read (readString, readStrings, readValue) ends: a variable, not a
 * [value, end] pair per value. */
let end = 0;
/** Whether the last string stringEnd found has no backslash (its bytes are its text). */
let plain = false;

/** Bytes of a string looked at one by one before asking indexOf: a native call costs about as
 * much as reading this many bytes here, and most strings (argv words, names, paths) are shorter. */
const SHORT = 96;

/** Index just past the string whose opening quote is at `at` (a quote preceded by an odd number of
 * backslashes is escaped). */
function stringEnd(l: Line, at: number): number {
  const b = l.b;
  const stop = Math.min(b.length, at + SHORT);
  for (let i = at + 1; i < stop; i++) {
    const c = b[i];
    if (c === QUOTE) {
      plain = true;
      return i + 1;
    }
    if (c === BACKSLASH) break;
  }
  plain = false;
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

/** The string whose opening quote is at `at` (end: the index past it). */
function readString(l: Line, at: number): string {
  const after = stringEnd(l, at);
  end = after;
  if (plain) return l.b.toString("utf8", at + 1, after - 1);
  if (at < l.bsFrom || at > l.bs) {
    const bs = l.b.indexOf(BACKSLASH, at);
    l.bsFrom = at;
    l.bs = bs < 0 ? l.b.length : bs;
  }
  // escapes (\", \n, \udcXX for bytes that are not UTF-8): JSON.parse of this one string
  if (l.bs < after) return JSON.parse(l.b.toString("utf8", at, after)) as string;
  return l.b.toString("utf8", at + 1, after - 1);
}

/** A list of strings (argv, env) at `at` (end: the index past it); null when it holds anything else. */
function readStrings(l: Line, at: number): string[] | null {
  const b = l.b;
  const out: string[] = [];
  let i = at + 1;
  if (b[i] === CLOSE_BRACKET) {
    end = i + 1;
    return out;
  }
  for (;;) {
    if (b[i] !== QUOTE) return null;
    out.push(readString(l, i));
    const c = b[end];
    if (c === CLOSE_BRACKET) {
      end++;
      return out;
    }
    if (c !== COMMA) return null;
    i = end + 1;
  }
}

/** The JSON value at `at` as JSON.parse of the line (with long integers quoted, as parseExact
 * does) gives it (end: the index past it). */
function readValue(l: Line, at: number, f: Field): unknown {
  const b = l.b;
  const c = b[at]!;
  if (c === QUOTE) return readString(l, at);
  if (c === OPEN_BRACKET && (f.src === S_NULS || f.src === S_LIST || f.type === "[]string")) {
    const list = readStrings(l, at);
    if (list !== null) return list;
  }
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    end = compositeEnd(l, at);
    return parseExact(b.toString("utf8", at, end));
  }
  if (c === 116 && b[at + 1] === 114 && b[at + 2] === 117 && b[at + 3] === 101) {
    end = at + 4;
    return true;
  }
  if (c === 102 && b[at + 1] === 97 && b[at + 2] === 108 && b[at + 3] === 115 && b[at + 4] === 101) {
    end = at + 5;
    return false;
  }
  // an integer: up to 15 digits exactly as a double; 16 or more as their text (parseExact quotes
  // those and convert() makes them bigint); a fraction or an exponent: not ours
  let i = at;
  if (c === 45) i++;
  const first = i;
  let n = 0;
  for (let d = b[i]! - 48; d >= 0 && d <= 9; d = b[++i]! - 48) n = n * 10 + d;
  const digits = i - first;
  if (digits === 0 || digits > 20 || (digits > 1 && b[first] === 48)) throw UNUSUAL;
  end = i;
  if (digits >= 16 && c !== 45 && (f.src === S_EPOCH || f.src === S_U64 || f.src === S_BIG)) return bigAt(b, first, i);
  if (digits >= 16) return b.toString("latin1", at, i);
  return c === 45 ? -n : n;
}

/** The index past the value at `at` when it is a number, true, false or a short string without
 * escapes (what lies between the fields a view reads), else -1. */
function scalarEnd(l: Line, at: number): number {
  const b = l.b;
  const c = b[at];
  if (c === QUOTE) {
    const stop = Math.min(b.length, at + SHORT);
    for (let i = at + 1; i < stop; i++) {
      const d = b[i];
      if (d === QUOTE) return i + 1;
      if (d === BACKSLASH) return -1;
    }
    return -1;
  }
  let i = at;
  if (c === 45) i++;
  while (i < b.length) {
    const d = b[i]!;
    if ((d >= 48 && d <= 57) || (d >= 97 && d <= 122)) i++;
    else break;
  }
  return i > at ? i : -1;
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

/** Whether the line holds k at i (a loop: Buffer.compare's call cost more than these few bytes). */
function bytesAt(l: Bytes, i: number, k: Key): boolean {
  const b = l.b;
  const n = k.length;
  if (i < 0 || i + n > b.length) return false;
  const w = k.words;
  const dv = l.dv;
  const at = l.off + i;
  let j = 0;
  for (; j < w.length; j++) if (dv.getInt32(at + 4 * j, true) !== w[j]) return false;
  const kb = k.bytes;
  for (j *= 4; j < n; j++) if (b[i + j] !== kb[j]) return false;
  return true;
}

/** The event whose name, then `",`, is at `at` (a few byte compares: a string of the name and a
 * map look-up per line cost more). */
function eventAt(l: Bytes, at: number): Kind | undefined {
  const b = l.b;
  for (const k of NAMES) {
    const n = k.name.length;
    // the name's last byte first: sched_process_exec, _exit and _fork differ only there
    if (b[at + n - 1] === k.last && b[at + n] === QUOTE && b[at + n + 1] === COMMA && bytesAt(l, at, k.name)) return k;
  }
  return undefined;
}

/** Where k is in b at g or up to SHIFT bytes either side of it (fields of a different number of
 * digits before it), else -1. */
function near(l: Bytes, g: number, k: Key): number {
  // each place tried by the key's first four bytes before the rest: a line has 5.6 guesses, 6 in
  // 10 off by a few bytes (a whole compare per place tried was 28 compares a line)
  const from = Math.max(0, g - SHIFT);
  const to = Math.min(l.b.length - k.length, g + SHIFT);
  if (k.length < 4) throw new RangeError("near: a key of fewer than 4 bytes");
  const w = k.words[0]!;
  const dv = l.dv;
  for (let d = 0; d <= SHIFT; d++) {
    const p = g - d;
    if (p >= from && p <= to && dv.getInt32(l.off + p, true) === w && bytesAt(l, p, k)) return p;
    const q = g + d;
    if (d > 0 && q >= from && q <= to && dv.getInt32(l.off + q, true) === w && bytesAt(l, q, k)) return q;
  }
  return -1;
}
const SHIFT = 3;

/** What may follow a value in an object: `,` or `}`. */
function endsValue(b: Buffer, i: number): boolean {
  const c = b[i];
  return c === COMMA || c === CLOSE_BRACE;
}

/** Values read so far, by TOP's index and by the arg's, and the event each is of (the table, the
 * summary and redaction read some twice): one set for all lines, as a line's bytes are valid only
 * until the next is read. An array per line cost ~1 µs a line of the table's reads (in memory,
 * warm: 2.0 → 0.9 µs); tracer show of a 266,127-line trace, 7 paired runs: 11-14% less CPU. */
const topOwner: (ScannedEvent | null)[] = TOP.map(() => null);
const topVal: unknown[] = TOP.map(() => undefined);
const ARGS_MAX = Math.max(...EVENTS.map((d) => d.args.length));
const argOwner: (ScannedEvent | null)[] = Array.from({ length: ARGS_MAX }, () => null);
const argVal: unknown[] = Array.from({ length: ARGS_MAX }, () => undefined);

/** scan()'s line, before its event is made. */
const probe: { b: Buffer; dv: DataView; off: number } = { b: Buffer.alloc(0), dv: view, off: 0 };

export class ScannedEvent<D extends AnyDef = AnyDef> implements EventView<D>, Line, Bytes {
  /** The line read whole, once the scanner met something it does not expect. */
  private whole: JsonEvent<D> | null = null;
  /** Values tracer show's redaction set (name, value). */
  private set: [string, unknown][] | null = null;
  /** Work left for the first read of an arg `guard` marks (tracer show's redaction, beforeReading);
   * `done`: the marks (bit guard[i] - 1) whose arg was read. */
  private pending: ((ev: ScannedEvent, i: number) => boolean) | null = null;
  private guard: Uint8Array | null = null;
  private done = 0;
  bsFrom = 0;
  bs = -1;
  /** Where the key of the field after the one read last should be (TOP's index and place, the
   * arg's): a field a few keys on is reached from there by reading the keys between (a view reads
   * neighbours: exit code, signal, core dump), not by indexOf from the line's start. */
  private nextTop = 0;
  private nextTopAt: number;
  private nextArg = -1;
  private nextArgAt = 0;
  private readonly keys: Key[];
  private readonly full: Key[];

  readonly def: D;

  private constructor(
    kind: Kind,
    /** The line's bytes (a view into the reader's buffer, valid until the next line is read). */
    readonly b: Buffer,
    private readonly line: number,
    /** Where "timestamp": is (the first field). */
    timestampAt: number,
    /** Where "eventName": is. */
    private readonly nameAt: number,
    readonly dv: DataView,
    readonly off: number,
  ) {
    this.def = kind.def as D;
    this.keys = kind.keys;
    this.full = kind.full;
    this.guess = kind.guess;
    this.nextTopAt = timestampAt;
  }
  private readonly guess: { top: Int32Array; arg: Int32Array; argFront: Int32Array };

  /** A line (a JSON object, `{` first), or the JsonEvent of its text when it is not as we write it. */
  static scan(b: Buffer, line: number): ScannedEvent | JsonEvent {
    if (b[b.length - 1] !== CLOSE_BRACE) return JsonEvent.parse(b.toString("utf8"), line);
    // one event per line: a second "timestamp": (two lines run together) is not ours to guess at
    const l = probe;
    l.b = b;
    l.dv = viewOf(b);
    l.off = b.byteOffset;
    const t = bytesAt(l, 1, TIMESTAMP) ? 1 : b.indexOf(TIMESTAMP.bytes); // where we write it: no native call
    if (t < 0 || b.indexOf(TIMESTAMP.bytes, t + 1) >= 0) return JsonEvent.parse(b.toString("utf8"), line);
    const at = b.indexOf(EVENT_NAME);
    const kind = at < 0 ? undefined : eventAt(l, at + EVENT_NAME.length);
    if (kind === undefined) return JsonEvent.parse(b.toString("utf8"), line);
    return new ScannedEvent(kind, b, line, t, at, l.dv, l.off);
  }

  private read(): JsonEvent<D> {
    if (this.whole === null) {
      this.whole = JsonEvent.parse(this.b.toString("utf8"), this.line) as JsonEvent<D>;
      for (const [name, value] of this.set ?? []) this.whole.setArg(name as ArgName<D>, value);
    }
    return this.whole;
  }

  /** Where the value of arg i starts when its key is at `at`; -1 when it is not. */
  private argValueAt(i: number, at: number): number {
    const b = this.b;
    const full = this.full[i]!;
    if (bytesAt(this, at, full)) return at + full.length;
    // {"name":"N","type":"T","value":V with another T
    const k = this.keys[i]!;
    if (!bytesAt(this, at, k) || !bytesAt(this, at + k.length, TYPE)) return -1;
    let q = at + k.length + TYPE.length;
    while (q < b.length && b[q] !== QUOTE && b[q] !== BACKSLASH) q++;
    return b[q] === QUOTE && bytesAt(this, q + 1, VALUE) ? q + 1 + VALUE.length : -1;
  }

  /** Where the value of the def's arg i starts, -1 when the line has no such arg. */
  private argAt(i: number): number {
    const b = this.b;
    const k = this.keys[i]!;
    let n = this.nextArg;
    if (n >= 0 && n <= i && i - n <= HOPS) {
      // from the arg after the one read last, over the scalars between
      for (let at = this.nextArgAt; ; n++) {
        const v = this.argValueAt(n, at);
        if (v < 0) break;
        if (n === i) return v;
        const e = scalarEnd(this, v);
        if (e < 0 || b[e] !== CLOSE_BRACE || b[e + 1] !== COMMA) break;
        at = e + 2;
      }
    }
    // where the key was in the last line of this event, counted from the end (the args are last)
    const full = this.full[i]!;
    let g = near(this, b.length - this.guess.arg[i]!, full);
    if (g < 0) g = near(this, this.nameAt + this.guess.argFront[i]!, full);
    if (g >= 0) return g + full.length;
    const at = b.indexOf(k.bytes);
    if (at < 0) return -1;
    this.guess.arg[i] = b.length - at;
    this.guess.argFront[i] = at - this.nameAt;
    const v = this.argValueAt(i, at);
    if (v < 0) throw UNUSUAL;
    return v;
  }

  private overridden(name: string): [string, unknown] | undefined {
    if (this.set === null) return undefined;
    for (const s of this.set) if (s[0] === name) return s;
    return undefined;
  }

  /** Call `fn(this, i)` before the first read (arg, has, listAt) of each arg i whose mark in `guard`
   * (1 to 31) is not 0, until it says it is done with the event: tracer show's redaction of the
   * lists, which the table reads on an exec only (argv; an exit, half of them a thread's, carries
   * its argv and its parent's). */
  beforeReading(guard: Uint8Array, fn: (ev: ScannedEvent, i: number) => boolean): void {
    this.guard = guard;
    this.pending = fn;
  }

  /** The pending work, when arg i is one it waits for. */
  private due(i: number): void {
    const g = this.guard![i]!;
    if (g === 0 || (this.done & (1 << (g - 1))) !== 0) return;
    this.done |= 1 << (g - 1);
    const fn = this.pending!;
    this.pending = null; // what fn reads is not waited for
    if (!fn(this, i)) this.pending = fn;
  }

  arg(i: number): unknown {
    if (this.pending !== null) this.due(i);
    if (this.whole) return this.whole.arg(i);
    const f = this.def.args[i];
    if (f === undefined) throw new RangeError(`${this.def.name} has no arg ${i}`);
    const o = this.overridden(f.name);
    if (o) return o[1];
    if (argOwner[i] === this) return argVal[i];
    try {
      const at = this.argAt(i);
      if (at < 0) {
        // an option's string (--hash's digests) in a trace recorded without it: empty, as JsonEvent gives it
        if (f.only !== null && f.src === S_STR) return "";
        return this.read().arg(i); // JsonEvent says what is wrong
      }
      const raw = readValue(this, at, f);
      const after = end;
      if (this.b[after] !== CLOSE_BRACE) throw UNUSUAL;
      const v = convert(f, raw);
      if (this.b[after + 1] === COMMA) {
        this.nextArg = i + 1 < this.keys.length ? i + 1 : -1;
        this.nextArgAt = after + 2;
      }
      argOwner[i] = this;
      argVal[i] = v;
      return v;
    } catch (e) {
      if (e !== UNUSUAL) throw e;
      return this.read().arg(i);
    }
  }

  top(f: Field): unknown {
    if (this.whole) return this.whole.top(f);
    const t = TOP_INDEX.get(f);
    if (t === undefined) return this.topRead(f, key(`"${f.name}":`), -1);
    if (topOwner[t] === this) return topVal[t];
    const v = this.topRead(f, TOP_KEYS[t]!, t);
    topOwner[t] = this;
    topVal[t] = v;
    return v;
  }

  /** Where TOP's field t's value starts, from the field after the one read last over the
   * fields between (at most HOPS); -1 when it is farther or the line is not laid out so. */
  private topNear(t: number): number {
    const b = this.b;
    let n = this.nextTop;
    if (n < 0 || n > t || t - n > HOPS) return -1;
    for (let at = this.nextTopAt; ; n++) {
      const k = TOP_KEYS[n]!;
      if (!bytesAt(this, at, k)) return -1;
      if (n === t) return at + k.length;
      const e = scalarEnd(this, at + k.length);
      if (e < 0 || b[e] !== COMMA) return -1;
      at = e + 1;
    }
  }

  private topRead(f: Field, k: Key, t: number): unknown {
    try {
      let v = t < 0 ? -1 : this.topNear(t);
      if (v < 0 && t >= 0) {
        // where the key was in the last line, from eventName's place for the fields after it
        const g = near(this, this.guess.top[t]! + (t > NAME_INDEX ? this.nameAt : 0), k);
        if (g >= 0) v = g + k.length;
      }
      if (v < 0) {
        const at = this.b.indexOf(k.bytes);
        if (at < 0) return this.read().top(f);
        if (t >= 0) this.guess.top[t] = at - (t > NAME_INDEX ? this.nameAt : 0);
        v = at + k.length;
      }
      const raw = readValue(this, v, f);
      if (!endsValue(this.b, end)) throw UNUSUAL;
      const x = convert(f, raw);
      if (t >= 0 && this.b[end] === COMMA && t + 1 < TOP_KEYS.length) {
        this.nextTop = t + 1;
        this.nextTopAt = end + 1;
      }
      return x;
    } catch (e) {
      if (e !== UNUSUAL) throw e;
      return this.read().top(f);
    }
  }

  /** Whether the line has arg `name` (an option's arg, e.g. --hash's sha256, may be absent). */
  has(name: ArgName<D>): boolean {
    const i = ARG_INDEX.get(this.def)!.get(name);
    if (this.pending !== null && i !== undefined) this.due(i);
    if (this.whole) return this.whole.has(name);
    if (this.overridden(name)) return true;
    if (i === undefined) return this.read().has(name);
    try {
      return this.argAt(i) >= 0;
    } catch (e) {
      if (e !== UNUSUAL) throw e;
      return this.read().has(name);
    }
  }

  /** Where arg i's value, a list, starts in the line's bytes, and where it ends in listEnd (by
   * index: tracer show's redaction asks for 2-3 lists a line); -1 when it is not a plain list of
   * the line (set by redaction, read whole, absent, or anything unusual). */
  listAt(i: number): number {
    if (this.pending !== null) this.due(i);
    const f = this.def.args[i];
    if (this.whole || f === undefined || this.overridden(f.name)) return -1;
    try {
      const at = this.argAt(i);
      if (at < 0 || this.b[at] !== OPEN_BRACKET) return -1;
      this.listEnd = compositeEnd(this, at);
      return at;
    } catch (e) {
      if (e !== UNUSUAL) throw e;
      return -1;
    }
  }
  /** Where the list listAt found ends. */
  listEnd = 0;

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
