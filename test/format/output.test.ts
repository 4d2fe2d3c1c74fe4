// eventWriter: the per-event callback main uses, for both formats, through a real Writer.

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventWriter } from "../../src/format/output.ts";
import { Table, type TableOptions } from "../../src/format/table.ts";
import { Writer } from "../../src/sink/writer.ts";
import { execView } from "../records.ts";

const TABLE: TableOptions = { width: null, color: false, timeOfDay: true, start: null, failures: false };
const dir = mkdtempSync(join(tmpdir(), "tracer-output-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("json: one parseable line per event", async () => {
  const path = join(dir, "e.json");
  const w = Writer.open(path);
  const out = await eventWriter("json", w, false, TABLE);
  for (let i = 0; i < 500; i++) out.write(execView(i));
  out.finish();
  w.close();
  const lines = readFileSync(path, "utf8").trimEnd().split("\n");
  expect(lines.length).toBe(500);
  expect(lines.map((l) => JSON.parse(l).seq)).toEqual([...Array(500).keys()]);
});

test("table: header once, then one line per event", async () => {
  const path = join(dir, "e.txt");
  const w = Writer.open(path);
  const out = await eventWriter("table", w, false, TABLE);
  for (let i = 0; i < 3; i++) out.write(execView(i));
  out.finish();
  w.close();
  const text = readFileSync(path, "utf8");
  expect(text.startsWith(new Table(TABLE).header())).toBe(true);
  expect(text.split("\n").length).toBe(5);
});
