// The table's cells written as bytes into a line buffer: the time of day from a prefix kept per
// second, numbers padded from their digit count, an exec's argv copied from its saved JSON bytes
// when every word is shell-safe. tracer show writes a row per line of a trace (~250,000 for a
// whole-host one): a string per cell and a concatenation per row were ~40% of its CPU.
import { dfgOnly } from "../jit";
import { ByteBuf } from "./bytes";
import { SHELL_SAFE_BYTE, shellQuote } from "./quote";

function pad2(n: number): string {
  return n < 10 ? "0" + n : "" + n;
}

// Local time of day, cached per second (Date's local-time math is the slow part): "HH:MM:SS." as
// text and as bytes; the milliseconds are written after it.
let cachedSecond = -1;
let cachedHms = "";
const hmsBytes = new Uint8Array(9);

/** The epoch-ns timestamp's milliseconds since the epoch, with its second's prefix cached. As a
 * double a timestamp is off by less than 2 µs (its last bits rounded, then a division), so its
 * milliseconds are exact unless it is that close to one's edge; those few (and times before 1970,
 * where the BigInt division truncates up) by the division. At JSC's DFG tier, where the cells stay,
 * the BigInt compares of a range per millisecond were ~4% of show's table. */
function msOf(epochNs: bigint): number {
  const f = Number(epochNs) / 1e6;
  let ms = Math.floor(f);
  const part = f - ms;
  if (f < 0 || part < 0.01 || part > 0.99) ms = Number(epochNs / 1000000n);
  const sec = Math.floor(ms / 1000);
  if (sec !== cachedSecond) {
    const d = new Date(ms);
    cachedSecond = sec;
    cachedHms = pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds()) + ".";
    for (let i = 0; i < 9; i++) hmsBytes[i] = cachedHms.charCodeAt(i);
  }
  return ms - sec * 1000;
}

/** Local HH:MM:SS.mmm of an epoch-ns timestamp. */
export function timeOfDay(epochNs: bigint): string {
  const m = msOf(epochNs);
  return cachedHms + (m < 10 ? "00" : m < 100 ? "0" : "") + m;
}

/** timeOfDay's 12 bytes. */
export function timeOfDayTo(out: ByteBuf, epochNs: bigint): void {
  const m = msOf(epochNs);
  out.reserve(12);
  const buf = out.buf;
  let p = out.pos;
  for (let i = 0; i < 9; i++) buf[p++] = hmsBytes[i]!;
  const h = Math.floor(m * 0.01);
  const t = Math.floor((m - h * 100) * 0.1);
  buf[p++] = 0x30 + h;
  buf[p++] = 0x30 + t;
  buf[p++] = 0x30 + (m - h * 100 - t * 10);
  out.pos = p;
}

/** n spaces (a cell's padding: a few bytes, a loop costs less than a copy from a table). */
export function spaces(out: ByteBuf, n: number): void {
  if (n <= 0) return;
  out.reserve(n);
  const buf = out.buf;
  let p = out.pos;
  for (let i = 0; i < n; i++) buf[p++] = 0x20;
  out.pos = p;
}

/** All of b appended (one native copy: a whole array needs no subarray). */
export function put(out: ByteBuf, b: Uint8Array): void {
  out.reserve(b.length);
  out.buf.set(b, out.pos);
  out.pos += b.length;
}

/** A finished line (line.buf[0, line.pos)) appended to out, four bytes a step. */
export function copyLine(out: ByteBuf, line: ByteBuf): void {
  const n = line.pos;
  out.reserve(n);
  const to = out.dv;
  const from = line.dv;
  const p = out.pos;
  let i = 0;
  for (; i + 4 <= n; i += 4) to.setInt32(p + i, from.getInt32(i, true), true);
  const buf = out.buf;
  const src = line.buf;
  for (; i < n; i++) buf[p + i] = src[i]!;
  out.pos = p + n;
}

/** Decimal digits of a non-negative integer < 2^53. */
function digitCount(n: number): number {
  let d = 1;
  for (let p = 10; n >= p && d < 16; p *= 10) d++;
  return d;
}

/** String(n).padStart(width). */
export function numStart(out: ByteBuf, n: number, width: number): void {
  if (Number.isSafeInteger(n) && n >= 0) {
    const d = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : digitCount(n);
    spaces(out, width - d);
    out.uint(n);
    return;
  }
  const s = String(n);
  spaces(out, width - s.length);
  out.ascii(s);
}

/** A short text's bytes once (a user cell, an event's name with its padding). */
export function bytesOf(s: string): Uint8Array {
  const b = new ByteBuf(3 * s.length + 1);
  b.text(s);
  return b.buf.slice(0, b.pos);
}

/** Where argvJson's first word's bytes are: [start, end), or end -1 when it was decoded. */
export const first = { start: 0, end: -1, text: "" };

/**
 * The JSON list of strings b[s, e) (a saved exec's argv) as argvText(list) writes it: a word that
 * is shell-safe as it is (no escape, no byte outside SHELL_SAFE_BYTE) copied, any other decoded as
 * the scanner decodes it (JSON.parse when it has an escape) and quoted by shellQuote. Returns the
 * number of words; -1 (out as it was) when b[s, e) is not a plain list of strings. `first` says
 * where argv[0] is (its bytes, or its text when decoded).
 */
export function argvJson(out: ByteBuf, b: Uint8Array, s: number, e: number): number {
  const start = out.pos;
  if (b[s] !== 0x5b || b[e - 1] !== 0x5d) return -1;
  let i = s + 1;
  let n = 0;
  if (i === e - 1) return 0;
  for (;;) {
    if (b[i] !== 0x22) return fail(out, start);
    let j = i + 1;
    let safe = 1;
    let c = b[j]!;
    while (c !== 0x22 && c !== 0x5c && j < e) {
      safe &= SHELL_SAFE_BYTE[c]!;
      c = b[++j]!;
    }
    if (j >= e) return fail(out, start);
    if (n > 0) out.byte(0x20);
    if (c === 0x22 && safe === 1 && j > i + 1) {
      out.reserve(j - i);
      const buf = out.buf;
      let p = out.pos;
      for (let k = i + 1; k < j; k++) buf[p++] = b[k]!;
      out.pos = p;
      if (n === 0) {
        first.start = i + 1;
        first.end = j;
      }
    } else {
      let text: string;
      if (c === 0x22) text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8", i + 1, j);
      else {
        // an escape: the string ends at a quote after an even number of backslashes
        for (;;) {
          j = b.indexOf(0x22, j + 1);
          if (j < 0 || j >= e) return fail(out, start);
          let k = 0;
          while (b[j - 1 - k] === 0x5c) k++;
          if ((k & 1) === 0) break;
        }
        try {
          text = JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8", i, j + 1)) as string;
        } catch {
          return fail(out, start);
        }
      }
      out.text(shellQuote(text));
      if (n === 0) {
        first.end = -1;
        first.text = text;
      }
    }
    n++;
    i = j + 1;
    if (b[i] === 0x5d) return i === e - 1 ? n : fail(out, start);
    if (b[i] !== 0x2c) return fail(out, start);
    i++;
  }
}

function fail(out: ByteBuf, start: number): number {
  out.pos = start;
  return -1;
}

/** Whether the last component of b[s, e) is the last component of path. */
export function sameBase(b: Uint8Array, s: number, e: number, path: string): boolean {
  let i = e;
  while (i > s && b[i - 1] !== 0x2f) i--;
  const p = path.lastIndexOf("/") + 1;
  if (path.length - p !== e - i) return false;
  for (let k = 0; k < e - i; k++) if (path.charCodeAt(p + k) !== b[i + k]) return false;
  return true;
}
dfgOnly(msOf, timeOfDayTo, spaces, put, copyLine, digitCount, numStart, argvJson, sameBase); // src/jit.ts: tracer show
