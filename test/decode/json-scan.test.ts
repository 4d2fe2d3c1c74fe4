// ScannedEvent (tracer show's reader: a line's bytes, fields found by key) against JsonEvent
// (JSON.parse of the whole line): the same values and the same views for lines the encoder wrote
// from random records of every kind (JSON escapes, control characters, bytes that are not UTF-8),
// and the same values or errors for lines it did not write (other key orders, two events run
// together, CRLF, truncated lines), which it hands to JsonEvent.
import { describe, expect, test } from "bun:test";
import { JsonEvent } from "../../src/decode/json-event.ts";
import { ScannedEvent } from "../../src/decode/json-scan.ts";
import { TOP } from "../../src/decode/top.ts";
import type { Field } from "../../src/decode/schema.ts";
import { JsonEncoder, formatJson } from "../../src/format/json.ts";
import { prng, RANDOM, viewOf } from "../records.ts";
import { compareReaders } from "../show-readers.ts";

function lines(env: boolean, seed: number, n: number): string[] {
  const g = prng(seed);
  const kinds = Object.values(RANDOM);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(formatJson(new JsonEncoder(env), viewOf(g.pick(kinds)(g), env)));
  return out;
}

const outcome = (get: () => unknown) => {
  try {
    return JSON.stringify(get(), (_k, v) => (typeof v === "bigint" ? `${v}n` : v));
  } catch (e) {
    return `throws ${(e as Error).message}`;
  }
};

/** Every field of `line` read by both readers: the same value, or the same error. */
function sameReading(line: string) {
  const b = Buffer.from(line);
  const js = outcome(() => JsonEvent.parse(line, 7));
  const sc = outcome(() => ScannedEvent.scan(b, 7));
  if (js.startsWith("throws")) return expect(sc).toBe(js);
  const [j, s] = [JsonEvent.parse(line, 7), ScannedEvent.scan(b, 7)];
  expect(s.def).toBe(j.def);
  for (const f of TOP as readonly Field[])
    if (f.name !== "args") expect(outcome(() => s.top(f))).toBe(outcome(() => j.top(f)));
  for (let i = 0; i < j.def.args.length; i++) expect(outcome(() => s.arg(i))).toBe(outcome(() => j.arg(i)));
}

describe("ScannedEvent reads what JsonEvent reads", () => {
  for (const env of [false, true])
    test(`random records of every kind${env ? ", --env" : ""}: every field, the table, the tree, the summary`, () => {
      const text = lines(env, env ? 11 : 5, 1500);
      const r = compareReaders(Buffer.from(text.join("\n") + "\n"));
      expect(r.events).toBe(1500);
    });

  test("lines it did not write go to JsonEvent: the same values or the same error", () => {
    const some = lines(false, 3, 60);
    const odd: string[] = [];
    for (const l of some) {
      const o = JSON.parse(l);
      odd.push(
        l + "\r", // CRLF
        l.slice(0, l.length - 40), // truncated
        l.slice(0, 300) + l, // a cut line run into the next
        JSON.stringify(Object.fromEntries(Object.entries(o).reverse())), // keys in another order
        JSON.stringify(o, null, 1).replace(/\n/g, ""), // spaces between tokens
        l.replace('"type":', '"kind":'), // an arg without "type"
        l.replace(/"processName":"[^"]*"/, '"processName":"a\\u0062\\"c"'), // escapes in a top-level string
        l.replace(/"hostProcessId":(\d+)/, '"hostProcessId":$1.5'), // not an integer
        l.replace(/"hostProcessId":\d+,/, ""), // a missing field
        l.replace(/"eventName":"[a-z_]+"/, '"eventName":"nothing"'), // an unknown event
      );
    }
    for (const l of odd) sameReading(l);
  });
});
