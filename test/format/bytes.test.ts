// ByteBuf's writers: integers and bigints with every digit, strings byte-identical to JSON.stringify.
import { describe, expect, test } from "bun:test";
import { decodeBytes } from "../../src/decode/text.ts";
import { ByteBuf } from "../../src/format/bytes.ts";

describe("ByteBuf", () => {
  test("bigints of every size", () => {
    const values = [
      0n,
      1n,
      9n,
      10n,
      999999999n,
      1000000000n,
      9007199254740991n,
      9007199254740992n,
      1700000000000000000n,
      1700000000999999999n,
      1700000001000000000n,
      1699999999999999999n,
      18446744073709551615n,
      9007199254740991000000000n,
      123456789012345678901234567890n,
      -1n,
      -1700000000000000000n,
    ];
    const out = new ByteBuf(16);
    for (const v of values) {
      out.pos = 0;
      out.big(v);
      expect(out.take()).toBe(v.toString());
    }
    // random 64-bit values, and values around 2^53, 2^63, 2^64 and every power of ten
    let x = 0x9e3779b97f4a7c15n;
    const more: bigint[] = [];
    for (let i = 0; i < 20000; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
      more.push(x, x >> BigInt(i % 64));
    }
    for (let k = 0n; k <= 20n; k++) more.push(10n ** k - 1n, 10n ** k, 10n ** k + 1n);
    for (const p of [53n, 63n, 64n]) more.push((1n << p) - 1n, 1n << p, (1n << p) + 1n);
    for (const v of more) {
      out.pos = 0;
      out.big(v);
      expect(out.take()).toBe(v.toString());
    }
  });

  test("numbers: integers, negatives, large, non-integers, NaN", () => {
    const out = new ByteBuf(16);
    const cases: [number, string][] = [
      [0, "0"],
      [7, "7"],
      [42, "42"],
      [-1, "-1"],
      [-2147483648, "-2147483648"],
      [4294967295, "4294967295"],
      [4026531841, "4026531841"],
      [9007199254740991, "9007199254740991"],
      [1e15, "1000000000000000"],
      [999999999999999, "999999999999999"],
      [1.5, "1.5"],
      [-0, "0"],
      [NaN, "null"],
      [Infinity, "null"],
    ];
    for (const [n, s] of cases) {
      out.pos = 0;
      out.num(n);
      expect(out.take()).toBe(s);
    }
    // multiply-by-0.01 digit extraction is exact: spot-check across the whole safe range
    let seed = 99;
    for (let i = 0; i < 20000; i++) {
      seed = (seed * 69069 + 1) >>> 0;
      const n = Math.floor((seed / 2 ** 32) * 10 ** (1 + (i % 16)));
      for (const m of [n, n - (n % 100) + 99, n - (n % 100)]) {
        if (m < 0 || m > Number.MAX_SAFE_INTEGER) continue;
        out.pos = 0;
        out.num(m);
        expect(out.take()).toBe(String(m));
      }
    }
  });

  test("strings: valid JSON, byte-identical to JSON.stringify", () => {
    const nasty = [
      "",
      'quote " backslash \\ slash /',
      "new\nline\r\ttab",
      "\u0000\u0001\u001b[31mred\u007f",
      "é日本😀",
      "\u2028\u2029",
      "lone \ud800 high",
      "lone \udfff low",
      "\udcff\udc80 escaped bytes",
      decodeBytes(new Uint8Array([0x2f, 0x74, 0x6d, 0x70, 0x2f, 0xff, 0xfe, 0x0a, 0xc3])),
      "x".repeat(100000) + "\n",
    ];
    const out = new ByteBuf(16);
    for (const s of nasty) {
      out.pos = 0;
      out.str(s);
      const text = out.take();
      expect(text).toBe(JSON.stringify(s));
      expect(text).not.toMatch(/[\u0000-\u001f]/); // nothing raw that breaks a line
    }
  });
});
