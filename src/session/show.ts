// tracer show FILE: a trace saved with --json read back as events (decode/json-event.ts), redacted
// as a live run's (src/redact/), and shown as the live run would: the table (or only its failures) or the process tree, then the summary.
// With --profile or --baseline, the programs it ran, as a profile or against one (ci/profile.ts);
// the table is then left out unless --failures or --tree asks for a view.
import { readFileSync } from "node:fs";
import type { ShowConfig } from "./cli";
import { ciWanted } from "../ci/session";
import { EXEC } from "../decode/index";
import { JsonEvent } from "../decode/json-event";
import { TraceLog } from "../ci/collect";
import { buildProfile, compareProfiles, diffLines, profileText, readProfile } from "../ci/profile";
import { tableWriter } from "../format/output";
import { ProcessTree } from "../format/tree";
import { RunSummary } from "../format/summary";
import { terminal } from "../format/screen";
import { Writer } from "../sink/writer";
import { forOption, say, wrap } from "../errors";
import { Redactor } from "../redact/redactor";
import { redactJsonEvent } from "../redact/json";

function readTrace(file: string): string {
  try {
    return readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    throw wrap(`read ${file}`, e);
  }
}

export function show(c: ShowConfig): number {
  const ci = ciWanted(c.ci);
  // the files first: a baseline that is not one, or an output that may not be written, ends it here
  const baseline = c.ci.baseline !== null ? buildProfile(readProfile(c.ci.baseline), c.ci.baselineIgnore) : null;
  const profileOut = c.ci.profile !== null ? forOption("--profile", () => Writer.open(c.ci.profile)) : null;
  const text = readTrace(c.file);
  const out = new Writer(1, "stdout", false);
  const term = terminal(1);
  const table = c.tree || (ci && !c.failures)
    ? null
    : tableWriter(out, { width: c.wide || !term.tty ? null : term.columns, color: term.color, timeOfDay: c.timeOfDay || !term.tty, start: null, failures: c.failures });
  const tree = c.tree ? new ProcessTree() : null;
  const log = ci ? new TraceLog() : null;
  const summary = new RunSummary();
  const rules = new Redactor(c.redact);
  let n = 0;
  const other = { lines: 0, first: 0, text: "" };
  for (let line of text.split("\n")) {
    n++;
    if (line.trim() === "") continue;
    if (line[0] !== "{") {
      // `tracer --json -- CMD 2>t.jsonl`: the events share stderr with the tracer's status lines and
      // the command's own messages; those are left out and counted (an event glued to the end of a
      // message without a newline is still read)
      if (other.lines++ === 0) [other.first, other.text] = [n, line];
      const at = line.indexOf('{"timestamp":');
      if (at < 0) continue;
      line = line.slice(at);
    }
    const ev = JsonEvent.parse(line, n);
    if (!rules.empty) redactJsonEvent(ev, rules); // before anything reads it
    if (log && ev.is(EXEC) && !ev.has("sha256")) throw new Error(`${c.file}: line ${n}: an exec without sha256: --profile and --baseline need a trace recorded with --hash`);
    summary.add(ev);
    tree?.add(ev);
    log?.add(ev);
    table?.write(ev);
    if (out.closed && !log) return 0; // nobody reads the view; a profile or a verdict still wants every line
  }
  table?.finish();
  if (tree) out.write(tree.render({ width: c.wide || !term.tty ? null : term.columns, color: term.color }));
  out.close();
  if (out.failure) throw out.failure;
  let exit = 0;
  if (log) {
    const programs = buildProfile(log.programs(), c.ci.baselineIgnore);
    if (profileOut) {
      profileOut.write(profileText(programs));
      profileOut.close();
      if (profileOut.failure) throw profileOut.failure;
    }
    if (baseline) {
      const said = diffLines(c.ci.baseline!, compareProfiles(baseline, programs));
      if (said.added.length && c.ci.failOnNew !== null) exit = c.ci.failOnNew;
      for (const line of [...said.added, ...said.gone]) say(line + "\n");
    }
  }
  if (other.lines) {
    const first = other.text.length > 40 ? other.text.slice(0, 39) + "…" : other.text;
    say(`tracer: left out ${other.lines} ${other.lines === 1 ? "line that is not an event" : "lines that are not events"} (first: line ${other.first}, ${JSON.stringify(first)})\n`);
  }
  say(summary.line());
  return exit;
}
