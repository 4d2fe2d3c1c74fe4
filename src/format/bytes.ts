// A growable byte buffer that formatters encode into directly: no intermediate strings.

/*
 * Why bytes and not strings: every string concatenation allocates a rope node, and the writer
 * then has to flatten and UTF-8 encode the result again. Encoding straight into one buffer
 * that the sink writes out costs no allocation per event (measured: ~3x faster on Bun/JSC).
 */

import { dfgOnly } from "../jit";
import { nulListEnd, putSurrogatePair, utf8SeqLen } from "../decode/text.ts";

const enc = new TextEncoder();

/**
 * A pre-encoded constant (a JSON key, a prefix), also as 8-byte words for a faster copy.
 * Copying through DataView.setFloat64 is exact here: a float64 is only rewritten if it is a NaN,
 * and 8 ASCII bytes never form one (the top byte would need to be 0x7f or 0xff with the next
 * >= 0xf0); constants with non-ASCII bytes are copied bytewise.
 */
export interface Lit {
  bytes: Uint8Array;
  words: Float64Array; // bytes[0 .. 8*words.length) as little-endian float64s (empty if not ASCII)
}

export function lit(s: string | Uint8Array): Lit {
  const bytes = typeof s === "string" ? enc.encode(s) : s.slice();
  const ascii = bytes.every((b) => b < 0x80);
  const n = ascii ? bytes.length >> 3 : 0;
  const words = new Float64Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) words[i] = dv.getFloat64(8 * i, true);
  return { bytes, words };
}

/** Lowercase hex digits as bytes (JSON.stringify writes \u001b, \udcff in lowercase). */
const HEX = new Uint8Array([..."0123456789abcdef"].map((c) => c.charCodeAt(0)));

/** PLAIN[c] = 1 for ASCII that goes into a JSON string as is (not C0, ", \\). */
const PLAIN = new Uint8Array(128);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = c === 0x22 || c === 0x5c ? 0 : 1;

/** "00".."99" as bytes: DIGITS2[2i], DIGITS2[2i+1] are the digits of i. */
const DIGITS2 = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGITS2[2 * i] = 0x30 + Math.floor(i / 10);
  DIGITS2[2 * i + 1] = 0x30 + (i % 10);
}
const SCRATCH = new DataView(new ArrayBuffer(8));
const POW10: number[] = [];
for (let i = 0, p = 1; i <= 16; i++, p *= 10) POW10.push(p);

export class ByteBuf {
  buf: Uint8Array;
  dv: DataView; // over buf, for word-sized copies
  pos = 0;

  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
    this.dv = new DataView(this.buf.buffer);
  }

  /**
   * Make room for n more bytes. The base class grows; a sink may instead write out what it
   * holds (see sink/writer.ts). After the call, pos + n <= buf.length.
   */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.grow(n);
  }

  protected grow(n: number): void {
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  /** Bytes written so far (a view, valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Everything written so far as a string, and reset. For tests and the string API. */
  take(): string {
    const s = utf8.decode(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return s;
  }

  /** Copy a constant: 8 bytes per step through the DataView (about 3x a byte loop on JSC). One
   * loop for every length: a branch for long constants (buf.set), met only after the DFG tier had
   * compiled this, exited its code ~95 times and had it compiled again (BUN_JSC_printEachOSRExit). */
  raw(c: Lit): void {
    const b = c.bytes;
    const n = b.length;
    if (this.pos + n > this.buf.length) this.reserve(n);
    let p = this.pos;
    const w = c.words;
    const dv = this.dv;
    const nw = w.length;
    for (let i = 0; i < nw; i++, p += 8) dv.setFloat64(p, w[i]!, true);
    const buf = this.buf;
    for (let i = nw << 3; i < n; i++) buf[p++] = b[i]!;
    this.pos = p;
  }

  byte(c: number): void {
    if (this.pos + 1 > this.buf.length) this.reserve(1);
    this.buf[this.pos++] = c;
  }

  /** A string known to be ASCII without anything JSON would escape (keys, type names). */
  ascii(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.reserve(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** A string as plain UTF-8 (no quoting; lone surrogates become U+FFFD, as TextEncoder). */
  text(s: string): void {
    const n = s.length;
    if (this.pos + 3 * n > this.buf.length) this.reserve(3 * n);
    const buf = this.buf;
    let p = this.pos;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[p++] = c;
    }
    if (i < n) p += enc.encodeInto(s.slice(i), buf.subarray(p)).written;
    this.pos = p;
  }

  /** A non-negative safe integer or any other number ("null" for NaN/Infinity, as JSON). */
  num(n: number): void {
    if (n >= 0 && n <= 0xffffffff && n === Math.floor(n)) {
      this.uint(n);
    } else if (Number.isSafeInteger(n)) {
      if (n < 0) {
        this.byte(0x2d);
        n = -n;
      }
      this.uint(n);
    } else if (Number.isFinite(n)) {
      this.ascii("" + n);
    } else {
      this.ascii("null");
    }
  }

  /** Decimal digits of a non-negative integer < 2^53. */
  uint(n: number): void {
    let digits: number;
    if (n < 1e5) digits = n < 100 ? (n < 10 ? 1 : 2) : n < 1e3 ? 3 : n < 1e4 ? 4 : 5;
    else if (n < 1e10) digits = n < 1e7 ? (n < 1e6 ? 6 : 7) : n < 1e8 ? 8 : n < 1e9 ? 9 : 10;
    else {
      digits = 11;
      while (n >= POW10[digits]!) digits++;
    }
    if (this.pos + digits > this.buf.length) this.reserve(digits);
    const buf = this.buf;
    let p = this.pos + digits;
    this.pos = p;
    // Two digits per step; multiplying by 0.01 (not dividing by 100: division is ~5x slower)
    // then flooring is exact for every n < 2^53, see the test that checks it.
    while (n >= 100) {
      const q = Math.floor(n * 0.01);
      const r = (n - q * 100) << 1;
      buf[--p] = DIGITS2[r + 1]!;
      buf[--p] = DIGITS2[r]!;
      n = q;
    }
    if (n >= 10) {
      buf[--p] = DIGITS2[(n << 1) + 1]!;
      buf[--p] = DIGITS2[n << 1]!;
    } else {
      buf[--p] = 0x30 + n;
    }
  }

  /** A fraction of a second from its nanoseconds (< 1e9) as Go writes it: "." and the digits
   * without trailing zeros; nothing at all for 0. */
  nsFraction(ns: number): void {
    if (ns === 0) return;
    this.byte(0x2e);
    this.nine(ns);
    while (this.buf[this.pos - 1] === 0x30) this.pos--;
  }

  /** Exactly 9 digits, zero-padded (the low part of a split bigint). */
  private nine(n: number): void {
    if (this.pos + 9 > this.buf.length) this.reserve(9);
    const buf = this.buf;
    let p = this.pos + 9;
    this.pos = p;
    for (let i = 0; i < 4; i++) {
      const q = Math.floor(n * 0.01);
      const r = (n - q * 100) << 1;
      buf[--p] = DIGITS2[r + 1]!;
      buf[--p] = DIGITS2[r]!;
      n = q;
    }
    buf[--p] = 0x30 + n;
  }

  /**
   * A bigint as a JSON integer. Values in [0, 2^64) take an allocation-free path: the bigint
   * is stored into a scratch DataView and read back as two uint32 halves, and the decimal
   * digits come from exact double arithmetic on those (BigInt toString and BigInt division
   * both allocate and cost 3-5x more on JSC). Anything else falls back to toString.
   */
  big(b: bigint): void {
    if (b < 0n || b > 0xffffffffffffffffn) {
      this.ascii(b.toString());
      return;
    }
    SCRATCH.setBigUint64(0, b, true);
    this.u64(SCRATCH.getUint32(4, true), SCRATCH.getUint32(0, true));
  }

  /** The decimal digits of the u64 hi * 2^32 + lo (both uint32), without a bigint. */
  u64(hi: number, lo: number): void {
    if (hi < 0x200000) {
      this.uint(hi * 4294967296 + lo); // < 2^53: exact as a double
      return;
    }
    // v = hi*2^32 + lo with hi = hh*2^16 + hl; 2^32 = 4e9 + 294967296 and
    // 2^16*294967296 = 19330e9 + 976710656, so v = 1e9*A + B with A, B exact doubles:
    const hh = Math.floor(hi / 65536);
    const hl = hi - hh * 65536;
    const a = hi * 4 + hh * 19330;
    const bb = hh * 976710656 + hl * 294967296 + lo; // < 2^47
    const carry = Math.floor(bb / 1e9);
    this.uint(a + carry);
    this.nine(bb - carry * 1e9);
  }

  /**
   * A JSON string literal, UTF-8 encoded; byte-identical to Buffer.from(JSON.stringify(s)):
   * escapes " \ and C0 controls, lone surrogates as \udXXX, everything else raw UTF-8.
   * Fast loop for printable ASCII (one table load per char); the rest continues in strRest.
   */
  str(s: string): void {
    const n = s.length;
    // Worst case 6 bytes per UTF-16 unit (\u00XX or a lone surrogate) plus quotes.
    if (this.pos + 6 * n + 2 > this.buf.length) this.reserve(6 * n + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80 || PLAIN[c] === 0) {
        this.strRest(s, i, p);
        return;
      }
      buf[p++] = c;
    }
    buf[p++] = 0x22;
    this.pos = p;
  }

  /**
   * The JSON string literal of the bytes u8[start, end), byte-identical to
   * str(decodeBytes(u8, start, end)) without making the string: well-formed UTF-8 is copied as
   * it is, " \\ and C0 controls are escaped, and every byte outside well-formed UTF-8 becomes
   * \udcXX, the JSON of its surrogate escape (see decode/text.ts).
   */
  utf8Json(u8: Uint8Array, start: number, end: number): void {
    this.utf8JsonRun(u8, start, end, false);
  }

  /**
   * The JSON array of the NUL-separated strings u8[start, end), as encodeValue(splitNul(...).items)
   * writes it: each string as utf8Json does, a final NUL ends the last one (without it the last
   * one was cut), an empty range is [].
   */
  utf8JsonNulList(u8: Uint8Array, start: number, end: number): void {
    if (end <= start) {
      this.ascii("[]");
      return;
    }
    this.byte(0x5b); // [
    this.utf8JsonRun(u8, start, nulListEnd(u8, start, end), true);
    this.byte(0x5d); // ]
  }

  /** utf8Json of u8[start, end); with `split`, each NUL closes a string and opens the next. */
  private utf8JsonRun(u8: Uint8Array, start: number, end: number, split: boolean): void {
    const n = end - start;
    if (this.pos + 6 * n + 2 > this.buf.length) this.reserve(6 * n + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 0x22;
    let i = start;
    while (i < end) {
      const c = u8[i]!;
      if (c < 0x80) {
        if (PLAIN[c] === 1) buf[p++] = c;
        else if (c === 0 && split) {
          buf[p++] = 0x22; // "," : the next string
          buf[p++] = 0x2c;
          buf[p++] = 0x22;
        } else p = escapeAscii(buf, p, c);
        i++;
        continue;
      }
      const len = utf8SeqLen(u8, i, end);
      if (len === 0) {
        buf[p++] = 0x5c; // \udcXX
        buf[p++] = 0x75;
        buf[p++] = 0x64;
        buf[p++] = 0x63;
        buf[p++] = HEX[c >> 4]!;
        buf[p++] = HEX[c & 15]!;
        i++;
      } else {
        for (const stop = i + len; i < stop; i++) buf[p++] = u8[i]!;
      }
    }
    buf[p++] = 0x22;
    this.pos = p;
  }

  private strRest(s: string, i: number, p: number): void {
    const buf = this.buf;
    const n = s.length;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        if (PLAIN[c] === 1) {
          buf[p++] = c;
          continue;
        }
        p = escapeAscii(buf, p, c);
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      } else {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          p = putSurrogatePair(buf, p, c, d);
          i++;
        } else {
          // Lone surrogate (an escaped non-UTF-8 byte): \udcXX, as JSON.stringify writes it.
          buf[p++] = 0x5c;
          buf[p++] = 0x75;
          buf[p++] = HEX[c >> 12]!;
          buf[p++] = HEX[(c >> 8) & 15]!;
          buf[p++] = HEX[(c >> 4) & 15]!;
          buf[p++] = HEX[c & 15]!;
        }
      }
    }
    buf[p++] = 0x22;
    this.pos = p;
  }
}

/** " \\ or a C0 control c as its JSON escape at buf[p]; returns the new position. */
function escapeAscii(buf: Uint8Array, p: number, c: number): number {
  buf[p++] = 0x5c;
  switch (c) {
    case 0x22:
      buf[p++] = 0x22;
      break;
    case 0x5c:
      buf[p++] = 0x5c;
      break;
    case 0x08:
      buf[p++] = 0x62;
      break; // \b
    case 0x09:
      buf[p++] = 0x74;
      break; // \t
    case 0x0a:
      buf[p++] = 0x6e;
      break; // \n
    case 0x0c:
      buf[p++] = 0x66;
      break; // \f
    case 0x0d:
      buf[p++] = 0x72;
      break; // \r
    default:
      buf[p++] = 0x75; // \u00XX
      buf[p++] = 0x30;
      buf[p++] = 0x30;
      buf[p++] = HEX[c >> 4]!;
      buf[p++] = HEX[c & 15]!;
  }
  return p;
}

const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

dfgOnly(escapeAscii); // src/jit.ts
