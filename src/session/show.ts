// tracer show FILE: a trace saved with --json read back as events (decode/json-event.ts) and shown
// as the live run would: the table (or only its failures) or the process tree, then the summary.
// With --profile or --baseline, the programs it ran, as a profile or against one (ci/profile.ts);
// the table is then left out unless --failures or --tree asks for a view.
import { closeSync, openSync, readSync } from "node:fs";
import type { ShowConfig } from "./cli";
import { ciWanted } from "./config";
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

const CHUNK = 4 << 20;

/** The trace's lines, read 4 MiB at a time and decoded line by line (a whole-file readFileSync
 * of 167 MB took 6.1 of show's 18 s of CPU in a profile, and held the file twice). */
function* traceLines(file: string): Generator<string> {
  let fd: number;
  try {
    fd = file === "-" ? 0 : openSync(file, "r");
  } catch (e) {
    throw wrap(`read ${file}`, e);
  }
  try {
    let buf = Buffer.allocUnsafe(CHUNK);
    let have = 0;
    for (;;) {
      if (have === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]); // a line longer than the buffer
      let n: number;
      try {
        n = readSync(fd, buf, have, buf.length - have, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
        throw wrap(`read ${file}`, e);
      }
      if (n === 0) break;
      have += n;
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl !== -1 && nl < have; nl = buf.indexOf(10, start)) {
        yield buf.toString("utf8", start, nl);
        start = nl + 1;
      }
      buf.copy(buf, 0, start, have);
      have -= start;
    }
    if (have > 0) yield buf.toString("utf8", 0, have);
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

export function show(c: ShowConfig): number {
  const ci = ciWanted(c.ci);
  // the files first: a baseline that is not one, or an output that may not be written, ends it here
  const baseline = c.ci.baseline !== null ? buildProfile(readProfile(c.ci.baseline), c.ci.baselineIgnore) : null;
  const profileOut = c.ci.profile !== null ? forOption("--profile", () => Writer.open(c.ci.profile)) : null;
  const out = new Writer(1, "stdout", false);
  const term = terminal(1);
  const table = c.tree || (ci && !c.failures)
    ? null
    : tableWriter(out, { width: c.wide || !term.tty ? null : term.columns, color: term.color, timeOfDay: c.timeOfDay || !term.tty, start: null, failures: c.failures });
  const tree = c.tree ? new ProcessTree() : null;
  const log = ci ? new TraceLog() : null;
  const summary = new RunSummary();
  let n = 0;
  const other = { lines: 0, first: 0, text: "" };
  for (let line of traceLines(c.file)) {
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
      profileOut.flush();
      // a view whose reader went away is no error; a profile that did not reach its file is
      const gone = profileOut.closed && !profileOut.failure;
      profileOut.close();
      if (profileOut.failure) throw new Error(`--profile: ${profileOut.failure.message}`);
      if (gone) throw new Error(`--profile ${profileOut.name}: not written: its reader went away (EPIPE)`);
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
