// The two readers of a saved trace compared on every line of it: ScannedEvent (the line's bytes,
// fields found by key; tracer show's reader) against JsonEvent (JSON.parse of the whole line, the
// independent baseline): every top-level field and every arg through the same accessors, and the
// views tracer show draws (the table at each setting, --failures, the tree, the summary line),
// after the same redaction, byte for byte.
import { expect } from "bun:test";
import { JsonEvent } from "../src/decode/json-event";
import { ScannedEvent, type SavedEvent } from "../src/decode/json-scan";
import { TOP } from "../src/decode/top";
import type { Field } from "../src/decode/schema";
import { Table } from "../src/format/table";
import { ProcessTree } from "../src/format/tree";
import { RunSummary } from "../src/format/summary";
import { Redactor } from "../src/redact/redactor";
import { redactJsonEvent } from "../src/redact/json";

const bigints = (_k: string, v: unknown) => (typeof v === "bigint" ? `${v}n` : v);
/** A value as text, bigints marked (so 5n and 5 differ), or the error it threw. */
function read(get: () => unknown): string {
  try {
    return JSON.stringify(get(), bigints) ?? "undefined";
  } catch (e) {
    return `throws ${(e as Error).message}`;
  }
}

interface Views {
  tables: Table[];
  out: string[];
  tree: ProcessTree;
  summary: RunSummary;
}
function views(): Views {
  const o = { width: null, color: false, start: null } as const;
  return {
    tables: [
      new Table({ ...o, timeOfDay: true, failures: false }),
      new Table({ ...o, timeOfDay: false, failures: false }),
      new Table({ ...o, width: 80, color: true, timeOfDay: false, failures: false }),
      new Table({ ...o, timeOfDay: true, failures: true }),
    ],
    out: ["", "", "", ""],
    tree: new ProcessTree(),
    summary: new RunSummary({ failures: true }),
  };
}
function feed(v: Views, ev: SavedEvent) {
  v.tables.forEach((t, i) => {
    v.out[i] += t.add(ev);
  });
  v.tree.add(ev);
  v.summary.add(ev);
}
function drawn(v: Views): string[] {
  return [...v.tables.map((t, i) => v.out[i] + t.finish()), v.tree.render(), v.summary.line()];
}

/** Compare the readers on each line of `text` (a trace as tracer --json -o wrote it); returns
 * the number of lines and events, and JSON.parse's table as a pipe shows it (its header, the time
 * of day). */
export function compareReaders(text: Buffer): { lines: number; events: number; table: string } {
  const rules = new Redactor({ defaults: true, patterns: [], envGlobs: [] });
  const [a, b] = [views(), views()];
  let lines = 0;
  let events = 0;
  let start = 0;
  for (let nl = text.indexOf(10); nl !== -1; nl = text.indexOf(10, start)) {
    const bytes = text.subarray(start, nl);
    start = nl + 1;
    lines++;
    if (bytes[0] !== 0x7b) continue;
    const js = JsonEvent.parse(bytes.toString("utf8"), lines);
    const sc = ScannedEvent.scan(bytes, lines);
    expect(sc).toBeInstanceOf(ScannedEvent); // a line we wrote is read by the scanner itself
    events++;
    expect(sc.def).toBe(js.def);
    for (const f of TOP as readonly Field[])
      if (f.name !== "args")
        expect(`${lines} ${f.name} ${read(() => sc.top(f))}`).toBe(`${lines} ${f.name} ${read(() => js.top(f))}`);
    js.def.args.forEach((f, i) => {
      expect(`${lines} ${f.name} ${sc.has(f.name as never)}`).toBe(`${lines} ${f.name} ${js.has(f.name as never)}`);
      expect(`${lines} ${f.name} ${read(() => sc.arg(i))}`).toBe(`${lines} ${f.name} ${read(() => js.arg(i))}`);
    });
    redactJsonEvent(js, rules);
    redactJsonEvent(sc, rules);
    feed(a, js);
    feed(b, sc);
  }
  const [da, db] = [drawn(a), drawn(b)];
  for (let i = 0; i < da.length; i++) expect(db[i]).toBe(da[i]!);
  return { lines, events, table: a.tables[0]!.header() + da[0]! };
}
