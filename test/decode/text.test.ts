// decodeBytes/encodeBytes/splitNul: hand-built bytes and a round-trip property.

import { describe, expect, test } from "bun:test";
import { cString, decodeBytes, decodeView, encodeBytes, hasEscapedBytes, splitNul } from "../../src/decode/text.ts";

const b = (...xs: number[]) => new Uint8Array(xs);
const ascii = (s: string) => new TextEncoder().encode(s);
const esc = (byte: number) => String.fromCharCode(0xdc00 + byte);

describe("decodeBytes", () => {
  test("ASCII, short and long", () => {
    expect(decodeBytes(ascii("bash"))).toBe("bash");
    expect(decodeBytes(ascii(""))).toBe("");
    const long = "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1/" + "x".repeat(200);
    expect(decodeBytes(ascii(long))).toBe(long);
  });

  test("a range of a larger buffer, no copy needed", () => {
    const buf = ascii("xxhello worldxx");
    expect(decodeBytes(buf, 2, 13)).toBe("hello world");
    expect(decodeBytes(buf, 5, 5)).toBe("");
    const dv = new DataView(buf.buffer, 1, 10);
    expect(decodeView(dv, 1, 5)).toBe("hello");
    expect(decodeView(buf.buffer, 8, 5)).toBe("world");
  });

  test("multibyte UTF-8: 2, 3, 4 bytes", () => {
    expect(decodeBytes(b(0xc3, 0xa9))).toBe("é");
    expect(decodeBytes(b(0xe2, 0x82, 0xac))).toBe("€");
    expect(decodeBytes(b(0xf0, 0x9f, 0x98, 0x80))).toBe("😀");
    expect(decodeBytes(ascii("naïve café 日本語 😀"))).toBe("naïve café 日本語 😀");
  });

  test("a genuine U+FFFD and a BOM are kept", () => {
    expect(decodeBytes(b(0xef, 0xbf, 0xbd))).toBe("\ufffd");
    expect(decodeBytes(b(0xef, 0xbb, 0xbf, 0x41))).toBe("\ufeffA");
    expect(decodeBytes(b(0xef, 0xbf, 0xbd, 0xff))).toBe("\ufffd" + esc(0xff));
  });

  test("invalid bytes become U+DC00+byte", () => {
    expect(decodeBytes(b(0x61, 0xff, 0x62))).toBe("a" + esc(0xff) + "b");
    expect(decodeBytes(b(0x80))).toBe(esc(0x80)); // lone continuation
    expect(decodeBytes(b(0xfe, 0xfe))).toBe(esc(0xfe) + esc(0xfe));
    expect(decodeBytes(b(0xf5, 0x80, 0x80, 0x80))).toBe([0xf5, 0x80, 0x80, 0x80].map(esc).join(""));
  });

  test("overlong encodings and surrogates are invalid", () => {
    expect(decodeBytes(b(0xc0, 0xaf))).toBe(esc(0xc0) + esc(0xaf)); // overlong '/'
    expect(decodeBytes(b(0xc1, 0xbf))).toBe(esc(0xc1) + esc(0xbf));
    expect(decodeBytes(b(0xe0, 0x80, 0xaf))).toBe(esc(0xe0) + esc(0x80) + esc(0xaf));
    expect(decodeBytes(b(0xf0, 0x80, 0x80, 0xaf))).toBe([0xf0, 0x80, 0x80, 0xaf].map(esc).join(""));
    expect(decodeBytes(b(0xed, 0xa0, 0x80))).toBe(esc(0xed) + esc(0xa0) + esc(0x80)); // U+D800
    expect(decodeBytes(b(0xf4, 0x90, 0x80, 0x80))).toBe([0xf4, 0x90, 0x80, 0x80].map(esc).join("")); // > U+10FFFF
  });

  test("UTF-8 truncated at the end", () => {
    expect(decodeBytes(b(0x61, 0xe2, 0x82))).toBe("a" + esc(0xe2) + esc(0x82));
    expect(decodeBytes(b(0xf0, 0x9f, 0x98))).toBe(esc(0xf0) + esc(0x9f) + esc(0x98));
    expect(decodeBytes(b(0xc3))).toBe(esc(0xc3));
    // cut inside a range: the bytes after the cut are not looked at
    expect(decodeBytes(b(0xe2, 0x82, 0xac), 0, 2)).toBe(esc(0xe2) + esc(0x82));
  });

  test("invalid in the middle of a valid sequence resumes at the next byte", () => {
    expect(decodeBytes(b(0xe2, 0x41, 0xe2, 0x82, 0xac))).toBe(esc(0xe2) + "A€");
    expect(decodeBytes(b(0xe2, 0x82, 0x41))).toBe(esc(0xe2) + esc(0x82) + "A");
  });

  test("NULs inside the range are kept; cString stops at the first", () => {
    expect(decodeBytes(b(0x61, 0, 0x62))).toBe("a\0b");
    expect(cString(ascii("bash\0\0\0\0\0\0\0\0\0\0\0\0"))).toBe("bash");
    expect(cString(ascii("exactly16bytes!!"))).toBe("exactly16bytes!!");
    expect(cString(ascii("xxab\0cd"), 2, 7)).toBe("ab");
  });
});

describe("encodeBytes", () => {
  test("inverts decodeBytes on hand-built cases", () => {
    for (const bytes of [
      b(),
      ascii("hello"),
      b(0xc3, 0xa9, 0xff, 0x00, 0xf0, 0x9f, 0x98, 0x80, 0xe2, 0x82),
      b(0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80),
      b(0xef, 0xbb, 0xbf),
    ]) {
      expect(encodeBytes(decodeBytes(bytes))).toEqual(bytes);
    }
  });

  test("a lone surrogate that is not an escape becomes U+FFFD", () => {
    expect(encodeBytes("\ud800")).toEqual(b(0xef, 0xbf, 0xbd));
    expect(encodeBytes("\udc41")).toEqual(b(0xef, 0xbf, 0xbd)); // U+DC41 would be ASCII 'A': not an escape
  });

  test("round trip over random byte arrays", () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
    for (let i = 0; i < 5000; i++) {
      const len = rnd() % 40;
      const bytes = new Uint8Array(len);
      // bias towards UTF-8 lead and continuation bytes so that valid sequences appear too
      for (let j = 0; j < len; j++) {
        const r = rnd();
        bytes[j] =
          r < 64 ? 0x80 | (rnd() & 0x3f) : r < 96 ? 0xc0 | (rnd() & 0x3f) : r < 128 ? 0xe0 | (rnd() & 0x1f) : rnd();
      }
      const s = decodeBytes(bytes);
      expect(encodeBytes(s)).toEqual(bytes);
      // valid UTF-8 (per TextDecoder fatal) decodes to exactly what TextDecoder gives
      let valid = true;
      try {
        new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
      } catch {
        valid = false;
      }
      expect(hasEscapedBytes(s)).toBe(!valid);
    }
  });
});

describe("splitNul", () => {
  test("kernel argv layout", () => {
    expect(splitNul(ascii("ls\0-l\0/tmp\0"))).toEqual({ items: ["ls", "-l", "/tmp"], lastCut: false });
  });
  test("cut in the middle of the last string", () => {
    expect(splitNul(ascii("ls\0-l\0/tm"))).toEqual({ items: ["ls", "-l", "/tm"], lastCut: true });
    expect(splitNul(b(0x61, 0, 0xe2, 0x82))).toEqual({ items: ["a", esc(0xe2) + esc(0x82)], lastCut: true });
  });
  test("empty strings and empty blob", () => {
    expect(splitNul(b())).toEqual({ items: [], lastCut: false });
    expect(splitNul(b(0))).toEqual({ items: [""], lastCut: false });
    expect(splitNul(ascii("a\0\0b\0"))).toEqual({ items: ["a", "", "b"], lastCut: false });
  });
  test("a range of a larger buffer", () => {
    const buf = ascii("HDRa\0bc\0TAIL");
    expect(splitNul(buf, 3, 8)).toEqual({ items: ["a", "bc"], lastCut: false });
  });
});
