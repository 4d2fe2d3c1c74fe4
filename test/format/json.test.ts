// The JSON encoder (bytes straight from the record) against a reference built another way: every
// value read through the schema's accessors, RFC 3339 from Date, text through JSON.stringify.
// Random records of every kind, with and without --env; bad records never reach the encoder.
import { describe, expect, test } from "bun:test";
import { rec_header as H, span as S } from "../../src/decode/layout.gen";
import { DecodeError } from "../../src/decode/index";
import { fieldValue, type RecordEvent } from "../../src/decode/event";
import { TOP } from "../../src/decode/top";
import { argsOf, type Field } from "../../src/decode/schema";
import { decodeBytes, splitNul } from "../../src/decode/text";
import { ByteBuf } from "../../src/format/bytes";
import { encodeValue, formatJson, JsonEncoder } from "../../src/format/json";
import { bytes, nulList, prng, RANDOM, viewOf } from "../records";

/** RFC 3339 with ns as Go writes it, from epoch ns, through Date. */
function goTime(ns: bigint): string {
  if (ns === 0n) return "0001-01-01T00:00:00Z";
  const sec = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return new Date(Number(sec) * 1000).toISOString().slice(0, 19) + (frac ? "." + frac : "") + "Z";
}

const BIG = "\u0000BIG:";
/** JSON.stringify, with bigints as integers of every digit. */
function stringify(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? BIG + x : x)).replace(/"\\u0000BIG:(-?\d+)"/g, "$1");
}

function refValue(f: Field, ev: RecordEvent): unknown {
  const v = fieldValue(f, ev);
  return f.type === "time.Time" ? goTime(v as bigint) : v;
}

/** The line the encoder should write, built from the accessors. */
function reference(ev: RecordEvent, captureEnv: boolean): string {
  const o: Record<string, unknown> = {};
  for (const f of TOP as readonly Field[]) {
    if (f.omit?.(ev)) continue;
    o[f.name] =
      f.name === "args"
        ? argsOf(ev.def, captureEnv).map((a) => ({ name: a.name, type: a.type, value: refValue(a, ev) }))
        : fieldValue(f, ev);
  }
  return stringify(o) + "\n";
}

describe("JSON strings straight from bytes", () => {
  test("utf8Json = str(decodeBytes), utf8JsonNulList = the JSON of splitNul's items", () => {
    const g = prng(7);
    const a = new ByteBuf(64);
    const b = new ByteBuf(64);
    for (let i = 0; i < 5000; i++) {
      const raw = i & 1 ? bytes(g, 6, true) : nulList(g);
      const u8 = new Uint8Array(raw.length + 4).fill(0x41); // a range inside a larger buffer
      u8.set(raw, 2);
      a.utf8Json(u8, 2, 2 + raw.length);
      b.str(decodeBytes(u8, 2, 2 + raw.length));
      a.utf8JsonNulList(u8, 2, 2 + raw.length);
      encodeValue(b, splitNul(u8, 2, 2 + raw.length).items);
      expect(a.take()).toBe(b.take());
    }
  });
});

describe("JSON lines = the reference built from the accessors", () => {
  for (const [kind, make] of Object.entries(RANDOM)) {
    test(`${kind}: 1500 random records, with and without --env`, () => {
      const g = prng(kind.length * 7919 + kind.charCodeAt(0));
      const enc = [new JsonEncoder(false), new JsonEncoder(true)];
      for (let i = 0; i < 1500; i++) {
        const captureEnv = (i & 1) === 1;
        const ev = viewOf(make(g), captureEnv);
        ev.x.exePath = i % 3 === 0 ? "" : '/usr/bin/prog "x"\n';
        const line = formatJson(enc[captureEnv ? 1 : 0]!, ev);
        expect(line).toBe(reference(ev, captureEnv));
        const o = JSON.parse(line);
        expect(o.argsNum).toBe(o.args.length);
        expect(line.indexOf("\n")).toBe(line.length - 1);
      }
    });
  }

  test("top-level keys in Tracee's order; lost_events has no eventId and no seq", () => {
    const g = prng(5);
    for (let i = 0; i < 20; i++) {
      const exec = JSON.parse(formatJson(new JsonEncoder(false), viewOf(RANDOM.exec(g))));
      // containerMetadata is ours, and only on a container's events
      expect(Object.keys(exec)).toEqual(
        TOP.map((f) => f.name).filter((n) => n !== "containerMetadata" || exec.containerId !== ""),
      );
    }
    const lost = JSON.parse(formatJson(new JsonEncoder(false), viewOf(RANDOM.lost(g))));
    expect(Object.keys(lost)).toEqual(
      TOP.map((f) => f.name).filter((n) => n !== "eventId" && n !== "seq" && n !== "containerMetadata"),
    );
  });

  test("a record that does not hold together is refused before anything is written", () => {
    const g = prng(99);
    for (const make of Object.values(RANDOM)) {
      const buf = make(g);
      const cases: Uint8Array[] = [buf.slice(0, H.$size), buf.slice(0, buf.length - 1)];
      const badSpan = buf.slice();
      new DataView(badSpan.buffer).setUint32(H.hostname + S.len, 1 << 20, true);
      cases.push(badSpan);
      const small = buf.slice();
      new DataView(small.buffer).setUint32(H.size, 8, true);
      cases.push(small);
      for (const c of cases) expect(() => viewOf(c)).toThrow(DecodeError);
    }
  });
});
