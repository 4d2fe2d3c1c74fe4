// tracer show FILE: a trace saved with --json read back as events (decode/json-event.ts) and shown
// as the live run would: the table (or only its failures) or the process tree, then the summary.
import { readFileSync } from "node:fs";
import type { ShowConfig } from "./cli";
import { JsonEvent } from "./decode/json-event";
import { tableWriter } from "./format/output";
import { ProcessTree } from "./format/tree";
import { RunSummary } from "./format/summary";
import { terminal } from "./format/screen";
import { Writer } from "./sink/writer";
import { say, wrap } from "./errors";

function readTrace(file: string): string {
  try {
    return readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    throw wrap(`read ${file}`, e);
  }
}

export function show(c: ShowConfig): number {
  const text = readTrace(c.file);
  const out = new Writer(1, "stdout", false);
  const term = terminal(1);
  const table = c.tree
    ? null
    : tableWriter(out, { width: c.wide || !term.tty ? null : term.columns, color: term.color, timeOfDay: c.timeOfDay, start: null, failures: c.failures });
  const tree = c.tree ? new ProcessTree() : null;
  const summary = new RunSummary();
  let n = 0;
  for (const line of text.split("\n")) {
    n++;
    if (line.trim() === "") continue;
    const ev = JsonEvent.parse(line, n);
    summary.add(ev);
    tree?.add(ev);
    table?.write(ev);
    if (out.closed) return 0;
  }
  table?.finish();
  if (tree) out.write(tree.render());
  out.close();
  if (out.failure) throw out.failure;
  say(summary.line());
  return 0;
}
