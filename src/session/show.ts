// tracer show FILE: a trace saved with --json read back as events (decode/json-event.ts) and shown
// as the live run would: the table (or only its failures) or the process tree, then the summary.
// With --profile or --baseline, the programs it ran, as a profile or against one (ci/profile.ts);
// the table is then left out unless --failures or --tree asks for a view.
import { readFileSync } from "node:fs";
import type { ShowConfig } from "./cli";
import { ciWanted } from "./config";
import { EXEC } from "../decode/index";
import { JsonEvent } from "../decode/json-event";
import { TraceLog } from "../ci/collect";
import { buildProfile, compareProfiles, diffLines, profileText, readProfile } from "../ci/profile";
import { buildTimeline, timelineText } from "../ci/timeline";
import { criticalPath, criticalPathText } from "../ci/critical-path";
import { htmlReport } from "../ci/report";
import { tableWriter } from "../format/output";
import { ProcessTree } from "../format/tree";
import { RunSummary } from "../format/summary";
import { terminal } from "../format/screen";
import { Writer } from "../sink/writer";
import { say, wrap } from "../errors";

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
  const profileOut = c.ci.profile !== null ? Writer.open(c.ci.profile) : null;
  const timelineOut = c.timeline !== null ? Writer.open(c.timeline) : null;
  const htmlOut = c.html !== null ? Writer.open(c.html) : null;
  const text = readTrace(c.file);
  const out = new Writer(1, "stdout", false);
  const term = terminal(1);
  // a picture or a path asked for: the table only if --failures asks for it
  const pictures = c.timeline !== null || c.html !== null || c.criticalPath;
  const table = c.tree || ((ci || pictures) && !c.failures)
    ? null
    : tableWriter(out, { width: c.wide || !term.tty ? null : term.columns, color: term.color, timeOfDay: c.timeOfDay, start: null, failures: c.failures });
  const tree = c.tree || htmlOut ? new ProcessTree() : null;
  const log = ci || pictures ? new TraceLog() : null;
  const summary = new RunSummary();
  let n = 0;
  for (const line of text.split("\n")) {
    n++;
    if (line.trim() === "") continue;
    const ev = JsonEvent.parse(line, n);
    if (ci && ev.is(EXEC) && !ev.has("sha256")) throw new Error(`${c.file}: line ${n}: an exec without sha256: --profile and --baseline need a trace recorded with --hash`);
    summary.add(ev);
    tree?.add(ev);
    log?.add(ev);
    table?.write(ev);
    if (out.closed && !log) return 0; // nobody reads the view; a profile or a verdict still wants every line
  }
  table?.finish();
  const summaryLine = summary.line();
  if (tree && c.tree) out.write(tree.render());
  if (log && c.criticalPath) out.write(criticalPathText(criticalPath(log)));
  out.close();
  if (out.failure) throw out.failure;
  let exit = 0;
  if (log && timelineOut) {
    timelineOut.write(timelineText(buildTimeline(log)));
    timelineOut.close();
    if (timelineOut.failure) throw timelineOut.failure;
  }
  if (log && htmlOut) {
    htmlOut.write(htmlReport(log, { source: c.file, summary: summaryLine, tree: tree!.render() }));
    htmlOut.close();
    if (htmlOut.failure) throw htmlOut.failure;
  }
  if (log && ci) {
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
  say(summaryLine);
  return exit;
}
