// JsonEvent (a saved line read back) against RecordEvent (the ring record it was written from):
// every arg and every top-level field, through the same accessors, for random records of every
// kind; and the table and the tree render both the same.
import { describe, expect, test } from "bun:test";
import { JsonEvent, rfc3339ToNs } from "../../src/decode/json-event.ts";
import { TOP } from "../../src/decode/top.ts";
import { argsOf, S_OBJ, type Field } from "../../src/decode/schema.ts";
import { JsonEncoder, formatJson } from "../../src/format/json.ts";
import { Table } from "../../src/format/table.ts";
import { ProcessTree } from "../../src/format/tree.ts";
import { RunSummary } from "../../src/format/summary.ts";
import { LossReporter } from "../../src/load/counters.ts";
import { gccExec, prng, RANDOM, simpleExit, simpleFork, viewOf } from "../records.ts";

const OPTS = { width: null, color: false, timeOfDay: false, start: null, failures: false } as const;

/** The same value as the accessor gives it; objects compared through JSON (their numbers as written). */
function same(f: Field, a: unknown, b: unknown) {
  if (f.src === S_OBJ)
    expect(JSON.parse(JSON.stringify(b, (_k, v) => (typeof v === "bigint" ? Number(v) : v)))).toEqual(
      JSON.parse(JSON.stringify(a, (_k, v) => (typeof v === "bigint" ? Number(v) : v))),
    );
  else expect(b).toEqual(a as never);
}

describe("JsonEvent reads back what the encoder wrote", () => {
  for (const [kind, make] of Object.entries(RANDOM)) {
    for (const env of [false, true]) {
      test(`${kind}${env ? " --env" : ""}: every arg and top-level field`, () => {
        const g = prng(kind.length * 7 + (env ? 1 : 0));
        for (let n = 0; n < 200; n++) {
          const rec = viewOf(make(g), env);
          const line = formatJson(new JsonEncoder(env), rec);
          const js = JsonEvent.parse(line, n + 1);
          expect(js.def).toBe(rec.def);
          for (const f of argsOf(rec.def, env))
            same(f, rec.arg(rec.def.args.indexOf(f)), js.arg(rec.def.args.indexOf(f)));
          const obj = JSON.parse(line);
          for (const f of TOP) if (f.name in obj && f.name !== "args") same(f, rec.top(f), js.top(f));
        }
      });
    }
  }

  test("times: RFC 3339 with nanoseconds → epoch ns; integers beyond 2^53 keep every digit", () => {
    expect(rfc3339ToNs("2026-12-02T00:49:12.525777717Z")).toBe(
      BigInt(Date.UTC(2026, 11, 2, 0, 49, 12)) * 1_000_000n + 525_777_717n,
    );
    expect(rfc3339ToNs("2026-12-02T00:49:12.5Z") % 1_000_000_000n).toBe(500_000_000n);
    expect(rfc3339ToNs("0001-01-01T00:00:00Z")).toBe(0n);
    const js = JsonEvent.parse('{"timestamp":1796188633336318157,"eventName":"lost_events","args":[]}', 1);
    expect(js.top(TOP.find((f) => f.name === "timestamp")!)).toBe(1796188633336318157n);
  });

  test("lost_events read back: the table's line, the summary's count", () => {
    const lost = new LossReporter(0n).check({
      emitted: [0, 0, 0, 0, 0, 0],
      lost: [0, 10, 0, 2, 0, 0],
      skipped: [0, 0, 0, 0, 0, 0],
      filtered: [0, 0, 0, 0, 0, 0],
      scratchClash: 0,
      skippedRuns: {},
    })!;
    const line = formatJson(new JsonEncoder(false), viewOf(lost));
    const js = JsonEvent.parse(line, 1);
    expect(new Table(OPTS).add(js)).toBe("   0.000                  lost     12 events lost\n");
    const sum = new RunSummary();
    sum.add(js);
    expect(sum.line(0n)).toContain(", 12 events lost, ");
  });

  test("bad lines name their line number", () => {
    expect(() => JsonEvent.parse("{", 3)).toThrow(/^line 3: not JSON/);
    expect(() => JsonEvent.parse('{"eventName":"nope"}', 4)).toThrow('line 4: unknown eventName "nope"');
    expect(() => JsonEvent.parse("[1]", 5)).toThrow(/line 5/);
  });

  test("the table and the tree are the same from records and from their JSON", () => {
    const recs = [gccExec(300), simpleFork(300), simpleExit(301, 1 << 8), simpleExit(300, 9)].map((b) => viewOf(b));
    const jsons = recs.map((r, i) => JsonEvent.parse(formatJson(new JsonEncoder(false), r), i + 1));
    const t1 = new Table(OPTS),
      t2 = new Table(OPTS);
    expect(jsons.map((e) => t2.add(e)).join("")).toBe(recs.map((e) => t1.add(e)).join(""));
    const a = new ProcessTree(),
      b = new ProcessTree();
    for (const e of recs) a.add(e);
    for (const e of jsons) b.add(e);
    expect(b.render()).toBe(a.render());
    expect(a.render()).toContain("killed by SIGKILL");
  });
});

describe("JsonEvent's fast path keeps every digit", () => {
  test("long integers quoted before JSON.parse come back exact, in args, objects and at the top; digits inside strings stay text", () => {
    const line =
      '{"timestamp":1796629700279115263,"eventName":"process_execute_failed","args":[{"name":"path","value":"/x:1234567890123456789,y"},{"name":"binary","value":{"path":"12345678901234567890","device_id":1,"inode_number":9007199254740993,"ctime":1796629700279115263,"inode_mode":33261}}]}';
    const ev = JsonEvent.parse(line, 1);
    expect(ev.top(TOP.find((f) => f.name === "timestamp")!)).toBe(1796629700279115263n);
    expect(ev.arg(0)).toBe("/x:1234567890123456789,y");
    expect(ev.arg(1)).toEqual({
      path: "12345678901234567890",
      device_id: 1,
      inode_number: 9007199254740993n,
      ctime: 1796629700279115263n,
      inode_mode: 33261,
    });
  });
});
