// Kernel bytes → JS strings, lossless: valid UTF-8 decodes normally, any other byte b becomes U+DC00+b.

/*
 * "surrogateescape" (Python PEP 383): a byte that is not part of a well-formed UTF-8 sequence
 * (Unicode 15, table 3-7) maps to the lone surrogate U+DC80..U+DCFF. Well-formed UTF-8 can never
 * produce a lone surrogate, so encodeBytes(decodeBytes(b)) === b for every byte string b.
 * Maximal-subpart rule: an invalid sequence is escaped byte by byte and decoding resumes at the
 * next byte, which gives the same result as Python's bytes.decode("utf-8", "surrogateescape").
 */

// Non-fatal: invalid input yields U+FFFD, which we detect. ignoreBOM: keep a leading EF BB BF.
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
const SHORT = 16; // at or below this many bytes a JS loop beats a native call (comm, short argv)

/**
 * Decode buf[start, end) to a string (no copy of the bytes). Stops at nothing: NULs inside the
 * range are kept as U+0000; use cString for NUL-terminated fixed-size fields.
 */
export function decodeBytes(buf: Uint8Array, start = 0, end = buf.length): string {
  const n = end - start;
  if (n <= 0) return "";
  if (n <= SHORT) {
    // ASCII fast path without TextDecoder.
    let s = "";
    let i = start;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c > 0x7f) break;
      s += String.fromCharCode(c);
    }
    if (i === end) return s;
  }
  // A Buffer (the ring's view is one) decodes a range without making a subarray: ~2x faster.
  const slice = (buf as { utf8Slice?: (start: number, end: number) => string }).utf8Slice;
  const s = slice
    ? slice.call(buf, start, end)
    : utf8.decode(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
  // U+FFFD in the output means invalid input (or a genuine U+FFFD: the slow path handles both).
  if (s.indexOf("\uFFFD") === -1) return s;
  return decodeEscaping(buf, start, end);
}

/** Same as decodeBytes for a DataView (or ArrayBuffer) range: wraps the memory, no copy. */
export function decodeView(src: DataView | ArrayBufferLike, offset: number, length: number): string {
  if (ArrayBuffer.isView(src)) {
    return decodeBytes(new Uint8Array(src.buffer, src.byteOffset + offset, length));
  }
  return decodeBytes(new Uint8Array(src, offset, length));
}

/** A NUL-terminated string inside a fixed-size field (e.g. comm[16]): bytes up to the first NUL. */
export function cString(buf: Uint8Array, start = 0, end = buf.length): string {
  let nul = start;
  while (nul < end && buf[nul] !== 0) nul++; // a short field: a loop beats a native indexOf
  return decodeBytes(buf, start, nul);
}

/** Length of the well-formed UTF-8 sequence starting at buf[i] (1..4), or 0 if it is not one. */
export function utf8SeqLen(buf: Uint8Array, i: number, end: number): number {
  const b0 = buf[i]!;
  if (b0 < 0x80) return 1;
  if (b0 < 0xc2) return 0; // continuation byte or overlong 2-byte lead (C0, C1)
  if (b0 < 0xe0) {
    return i + 1 < end && (buf[i + 1]! & 0xc0) === 0x80 ? 2 : 0;
  }
  if (b0 < 0xf0) {
    if (i + 2 >= end) return 0;
    const b1 = buf[i + 1]!;
    const lo = b0 === 0xe0 ? 0xa0 : 0x80; // E0: no overlongs
    const hi = b0 === 0xed ? 0x9f : 0xbf; // ED: no UTF-16 surrogates
    if (b1 < lo || b1 > hi) return 0;
    return (buf[i + 2]! & 0xc0) === 0x80 ? 3 : 0;
  }
  if (b0 < 0xf5) {
    if (i + 3 >= end) return 0;
    const b1 = buf[i + 1]!;
    const lo = b0 === 0xf0 ? 0x90 : 0x80; // F0: no overlongs
    const hi = b0 === 0xf4 ? 0x8f : 0xbf; // F4: nothing above U+10FFFF
    if (b1 < lo || b1 > hi) return 0;
    return (buf[i + 2]! & 0xc0) === 0x80 && (buf[i + 3]! & 0xc0) === 0x80 ? 4 : 0;
  }
  return 0; // F5..FF never appear in UTF-8
}

/** Slow path: valid runs go through TextDecoder, each invalid byte becomes U+DC00+byte. */
function decodeEscaping(buf: Uint8Array, start: number, end: number): string {
  let out = "";
  let run = start; // start of the current valid run
  let i = start;
  while (i < end) {
    const len = utf8SeqLen(buf, i, end);
    if (len > 0) {
      i += len;
      continue;
    }
    if (run < i) out += utf8.decode(buf.subarray(run, i));
    out += String.fromCharCode(0xdc00 + buf[i]!);
    i++;
    run = i;
  }
  if (run < end) out += utf8.decode(buf.subarray(run, end));
  return out;
}

/** The UTF-8 of the code point a surrogate pair (hi, lo) stands for, at out[o]; the next o. */
export function putSurrogatePair(out: Uint8Array, o: number, hi: number, lo: number): number {
  const cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
  out[o] = 0xf0 | (cp >> 18);
  out[o + 1] = 0x80 | ((cp >> 12) & 0x3f);
  out[o + 2] = 0x80 | ((cp >> 6) & 0x3f);
  out[o + 3] = 0x80 | (cp & 0x3f);
  return o + 4;
}

/**
 * Inverse of decodeBytes: UTF-8, except U+DC80..U+DCFF become the single byte they escape.
 * Other lone surrogates (never produced by decodeBytes) are encoded as U+FFFD.
 */
export function encodeBytes(str: string): Uint8Array {
  const out = new Uint8Array(str.length * 3);
  let o = 0;
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
    } else if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < str.length ? str.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        o = putSurrogatePair(out, o, c, next);
        i++;
      } else if (c >= 0xdc80 && c <= 0xdcff) {
        out[o++] = c - 0xdc00; // an escaped byte
      } else {
        c = 0xfffd;
        out[o++] = 0xe0 | (c >> 12);
        out[o++] = 0x80 | ((c >> 6) & 0x3f);
        out[o++] = 0x80 | (c & 0x3f);
      }
    } else {
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
    }
  }
  return out.subarray(0, o);
}

/** True if str holds an escaped byte (U+DC80..U+DCFF), i.e. the original bytes were not UTF-8. */
export function hasEscapedBytes(str: string): boolean {
  return /[\udc80-\udcff]/.test(str);
}

/** Where the strings of a non-empty NUL list buf[start, end) end: a final NUL ends the last
 * string (and is not part of it); without one, the last string was cut and runs to `end`. */
export function nulListEnd(buf: Uint8Array, start: number, end: number): number {
  return end > start && buf[end - 1] === 0 ? end - 1 : end;
}

export interface StringList {
  items: string[];
  /** The last item was cut (the blob did not end with NUL): the kernel ran out of room. */
  lastCut: boolean;
}

/**
 * Split a NUL-separated list as the kernel lays out argv/env ("a\0b\0c\0"). If the blob does
 * not end with NUL, the last item was cut and is returned as far as it goes, with lastCut set.
 * Decodes the blob once and splits the string: NUL is ASCII, so it never sits inside a
 * multibyte sequence and the split is the same as splitting the bytes.
 */
export function splitNul(buf: Uint8Array, start = 0, end = buf.length): StringList {
  if (end <= start) return { items: [], lastCut: false };
  const stop = nulListEnd(buf, start, end);
  const lastCut = stop === end;
  const s = decodeBytes(buf, start, stop);
  return { items: s.split("\0"), lastCut };
}
