// The table's rows as bytes (src/format/cells.ts) against the same rows made from text: a saved
// exec's argv copied from its JSON bytes when a word is shell-safe, anything else decoded and
// quoted; nothing a process controls reaches the terminal raw (controls, bidi overrides, bytes
// that are not UTF-8), at every width and colour setting.
import { expect, test } from "bun:test";
import { JsonEvent } from "../../src/decode/json-event.ts";
import { ScannedEvent } from "../../src/decode/json-scan.ts";
import { JsonEncoder, formatJson } from "../../src/format/json.ts";
import { Table, timeOfDay } from "../../src/format/table.ts";
import { ByteBuf } from "../../src/format/bytes.ts";
import { timeOfDayTo } from "../../src/format/cells.ts";
import { execView } from "../records.ts";

const BASE = formatJson(new JsonEncoder(false), execView(1)).trimEnd();
const ARGV = /("name":"argv","type":"\[\]string","value":)\[[^\]]*\]/;
const PATHNAME = /("name":"pathname","type":"string","value":)"[^"]*"/;

/** The exec line with argv's JSON text and pathname replaced (as written, escapes and all). */
const line = (argvJson: string, pathname = "/usr/bin/gcc") =>
  BASE.replace(ARGV, (_, k) => k + argvJson).replace(PATHNAME, (_, k) => k + JSON.stringify(pathname));

const SETTINGS = [
  { width: null, color: false, timeOfDay: true },
  { width: null, color: false, timeOfDay: false },
  { width: 80, color: true, timeOfDay: false },
  { width: 30, color: false, timeOfDay: true },
];

const CASES: [string, string][] = [
  ["safe words", '["gcc","-O2","-c","a.c","-o","a.o"]'],
  ["argv[0] with a directory, same file", '["/usr/bin/gcc","-v"]'],
  ["argv[0] another name: the file shown", '["cc","-v"]'],
  ["an empty word", '["gcc","","x"]'],
  ["a space and a quote", `["sh","-c","echo 'a b'"]`],
  ["escapes: newline, tab, backslash, quote", '["printf","a\\nb\\tc\\\\d\\"e"]'],
  ["ESC and other controls", '["x","\\u001b[31mred\\u001b[0m","\\u0007\\u007f"]'],
  ["bidi overrides, raw and escaped", '["x","a\u202eb","c\\u202ed","\\u2066e\\u2069"]'],
  ["bytes that are not UTF-8", '["x","\\udcff\\udc80","a\\udcc3"]'],
  ["non-ASCII letters, a no-break space at the end", '["grep","é","naïve\u00a0"]'],
  ["an astral character and a zero-width one", '["x","😀","a\u200bb"]'],
  ["argv[0] with an escape", '["./a\\u001bb","-v"]'],
];

for (const [name, argv] of CASES)
  test(`exec row from bytes = from text: ${name}`, () => {
    for (const path of ["/usr/bin/gcc", "/usr/bin/x86_64-linux-gnu-gcc-12", "/tmp/\u202eevil"]) {
      const text = line(argv, path);
      for (const o of SETTINGS) {
        const opts = { ...o, start: null, failures: false };
        const scanned = ScannedEvent.scan(Buffer.from(text), 1);
        expect(scanned).toBeInstanceOf(ScannedEvent);
        const bytes = new Table(opts).add(scanned);
        expect(bytes).toBe(new Table(opts).add(JsonEvent.parse(text, 1)));
        // nothing raw that a terminal acts on or that reorders the line
        const shown = o.color ? bytes.replace(/\x1b\[[0-9;]*m/g, "") : bytes;
        expect(/[\x00-\x09\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069\u200b]/u.test(shown)).toBe(false);
      }
    }
  });

test("the time of day as bytes is timeOfDay's text, across seconds and in the same millisecond", () => {
  const b = new ByteBuf(64);
  for (const ns of [
    1_796_669_572_755_811_991n,
    1_796_669_572_755_999_999n,
    1_796_669_572_756_000_000n,
    1_796_669_573_000_000_001n,
    1_796_669_572_005_000_000n,
    1_796_669_572_755_811_991n,
  ]) {
    b.pos = 0;
    timeOfDayTo(b, ns);
    const d = new Date(Number(ns / 1000000n));
    const p = (n: number, w = 2) => String(n).padStart(w, "0");
    const want = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
    expect(b.take()).toBe(want);
    expect(timeOfDay(ns)).toBe(want);
  }
});

test("the milliseconds are the BigInt division's next to a millisecond's edge, far from 1970 and before it", () => {
  const b = new ByteBuf(64);
  for (const edge of [1_796_669_572_756_000_000n, 1_796_669_573_000_000_000n, 9_223_372_036_853_000_000n, -1_000_000n])
    for (const d of [0n, 1n, 127n, 128n, 129n, 255n, 256n, 999n, 1_000n, 2_047n, 2_048n, 9_999n, 10_000n, 10_001n]) {
      for (const ns of [edge - d, edge + d]) {
        const ms = Number(ns / 1000000n);
        const date = new Date(ms);
        const p = (n: number, w = 2) => String(n).padStart(w, "0");
        const sub = ms - Math.floor(ms / 1000) * 1000; // what msOf returns: within the second it shows
        const want = `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.${p(sub, 3)}`;
        b.pos = 0;
        timeOfDayTo(b, ns);
        expect(b.take()).toBe(want);
        expect(timeOfDay(ns)).toBe(want);
      }
    }
});
