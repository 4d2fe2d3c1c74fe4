// JSON lines: valid JSON, Tracee field order, exact bigints, nasty strings, generic arg values.

import { describe, expect, test } from "bun:test";
import { decodeBytes } from "../../src/decode/text.ts";
import type { TraceEvent } from "../../src/event.ts";
import { ByteBuf } from "../../src/format/bytes.ts";
import { encodeJson, formatJson, jsonValue } from "../../src/format/json.ts";
import { execEvent } from "./bench.ts";

const TRACEE_ORDER = [
  "timestamp", "threadStartTime", "processorId", "processId", "cgroupId", "threadId",
  "parentProcessId", "hostProcessId", "hostThreadId", "hostParentProcessId", "userId",
  "mountNamespace", "pidNamespace", "processName", "executable", "hostName", "containerId",
  "eventName", "argsNum", "returnValue", "syscall", "threadEntityId", "processEntityId",
  "parentEntityId", "args", "seq",
];

/** Raw text of a top-level integer field, to check digits a double would lose. */
function rawField(line: string, key: string): string {
  const m = new RegExp(`"${key}":(-?\\d+)`).exec(line);
  if (!m) throw new Error(`no ${key} in ${line}`);
  return m[1]!;
}

function withArgs(args: TraceEvent["args"], extra: Partial<TraceEvent> = {}): TraceEvent {
  return { ...execEvent(0), args, ...extra };
}

describe("formatJson", () => {
  test("one line, valid JSON, fields in Tracee order", () => {
    const line = formatJson(execEvent(3));
    expect(line.endsWith("\n")).toBe(true);
    expect(line.indexOf("\n")).toBe(line.length - 1);
    const o = JSON.parse(line);
    expect(Object.keys(o)).toEqual(TRACEE_ORDER);
    expect(o.executable).toEqual({ path: "/usr/bin/gcc" });
    expect(o.argsNum).toBe(10);
    expect(o.args[6]).toEqual({
      name: "argv",
      type: "const char**",
      value: ["gcc", "-O2", "-Wall", "-c", "-o", "build/obj/main.o", "src/main.c", "-Iinclude", "-DNDEBUG", "-fPIC"],
    });
    for (const a of o.args) expect(Object.keys(a)).toEqual(["name", "type", "value"]);
  });

  test("types: numbers are numbers, bigints are JSON integers with every digit", () => {
    const e = { ...execEvent(0), timestamp: 1700000000123456789n, threadStartTime: 18446744073709551615n };
    const line = formatJson(e);
    const o = JSON.parse(line);
    expect(typeof o.timestamp).toBe("number");
    expect(typeof o.processId).toBe("number");
    expect(typeof o.processName).toBe("string");
    expect(rawField(line, "timestamp")).toBe("1700000000123456789");
    expect(BigInt(rawField(line, "timestamp"))).toBe(1700000000123456789n);
    expect(rawField(line, "threadStartTime")).toBe("18446744073709551615");
  });

  test("bigints of every size", () => {
    const values = [
      0n, 1n, 9n, 10n, 999999999n, 1000000000n, 9007199254740991n, 9007199254740992n,
      1700000000000000000n, 1700000000999999999n, 1700000001000000000n, 1699999999999999999n,
      18446744073709551615n, 9007199254740991000000000n, 123456789012345678901234567890n, -1n, -1700000000000000000n,
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
      [0, "0"], [7, "7"], [42, "42"], [-1, "-1"], [-2147483648, "-2147483648"], [4294967295, "4294967295"],
      [4026531841, "4026531841"], [9007199254740991, "9007199254740991"], [1e15, "1000000000000000"],
      [999999999999999, "999999999999999"], [1.5, "1.5"], [-0, "0"], [NaN, "null"], [Infinity, "null"],
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

  test("nasty strings survive as valid JSON, byte-identical to JSON.stringify", () => {
    const nasty = [
      "", 'quote " backslash \\ slash /', "new\nline\r\ttab", "\u0000\u0001\u001b[31mred\u007f",
      "é日本😀", "\u2028\u2029", "lone \ud800 high", "lone \udfff low", "\udcff\udc80 escaped bytes",
      decodeBytes(new Uint8Array([0x2f, 0x74, 0x6d, 0x70, 0x2f, 0xff, 0xfe, 0x0a, 0xc3])),
      "x".repeat(100000) + "\n",
    ];
    for (const s of nasty) {
      const line = formatJson(withArgs([{ name: "pathname", type: "const char*", value: s }], { processName: s }));
      const o = JSON.parse(line);
      expect(o.processName).toBe(s);
      expect(o.args[0].value).toBe(s);
      expect(line).toContain('"processName":' + JSON.stringify(s) + ",");
      expect(line.slice(0, -1)).not.toMatch(/[\u0000-\u001f]/); // nothing raw that breaks a line
    }
    const withLone = formatJson(withArgs([], { processName: "a\udcffb" }));
    expect(withLone).toContain('"processName":"a\\udcffb"');
  });

  test("arg values: string[], number, bigint, boolean, null, nested object", () => {
    const binary = { path: "/bin/x", device_id: 2049, inode_number: 1234567890123456789n, ctime: 1700000000000000001n, inode_mode: 33261 };
    const line = formatJson(
      withArgs([
        { name: "argv", type: "const char**", value: ["a b", "\n", ""] },
        { name: "empty", type: "const char**", value: [] },
        { name: "n", type: "int", value: -13 },
        { name: "ok", type: "bool", value: true },
        { name: "binary", type: "object", value: binary },
        { name: "nothing", type: "void*", value: null },
        { name: "undef", type: "void*", value: undefined },
        { name: "mixed", type: "[]any", value: [1, "x", 2n, false, null, { k: ["v"] }] },
        { name: "skip", type: "object", value: { a: 1, b: undefined, c: () => 1 } },
      ]),
    );
    const o = JSON.parse(line);
    expect(o.argsNum).toBe(9);
    expect(o.args.map((a: { value: unknown }) => a.value)).toEqual([
      ["a b", "\n", ""], [], -13, true,
      { path: "/bin/x", device_id: 2049, inode_number: 1234567890123456800, ctime: 1700000000000000000, inode_mode: 33261 },
      null, null, [1, "x", 2, false, null, { k: ["v"] }], { a: 1 },
    ]);
    expect(line).toContain('"inode_number":1234567890123456789,"ctime":1700000000000000001,');
    expect(jsonValue({ a: [1, { b: "c" }] })).toBe('{"a":[1,{"b":"c"}]}');
  });

  test("arg name/type prefixes: same name with another type is not mixed up", () => {
    const a = formatJson(withArgs([{ name: "x", type: "int", value: 1 }]));
    const b = formatJson(withArgs([{ name: "x", type: "u64", value: 1n }]));
    expect(JSON.parse(a).args[0].type).toBe("int");
    expect(JSON.parse(b).args[0].type).toBe("u64");
    const odd = formatJson(withArgs([{ name: 'we"ird\n', type: "t\\", value: 0 }]));
    expect(JSON.parse(odd).args[0]).toEqual({ name: 'we"ird\n', type: "t\\", value: 0 });
    // non-ASCII constants are copied bytewise (8-byte word copies are for ASCII only)
    const name = "\u00ff".repeat(9) + "\u{1F600}";
    const wide = formatJson(withArgs([{ name, type: "ÿÿÿÿÿÿÿÿ", value: 1 }]));
    expect(JSON.parse(wide).args[0]).toEqual({ name, type: "ÿÿÿÿÿÿÿÿ", value: 1 });
  });

  test("encodeJson appends lines to a buffer that grows", () => {
    const out = new ByteBuf(64);
    for (let i = 0; i < 100; i++) encodeJson(out, execEvent(i));
    const lines = out.take().split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.length).toBe(100);
    lines.forEach((l, i) => expect(JSON.parse(l).seq).toBe(i));
  });
});
