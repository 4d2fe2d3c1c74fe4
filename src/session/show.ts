// tracer show FILE: a trace saved with --json read back as events (decode/json-event.ts), redacted
// as a live run's (src/redact/), and shown as the live run would: the table (or only its failures) or the process tree, then the summary.
// With --profile or --baseline, the programs it ran, as a profile or against one (ci/profile.ts);
// the table is then left out unless --failures or --tree asks for a view. nats://HOST/STREAM reads
// a JetStream stream the same way (show-nats.ts); events from several hosts get a HOST column.
import { isUtf8 } from "node:buffer";
import { closeSync, openSync, readSync } from "node:fs";
import type { ShowConfig } from "./cli";
import { ciWanted } from "../ci/session";
import { EXEC } from "../decode/index";
import { JsonEvent } from "../decode/json-event";
import { ScannedEvent, type SavedEvent } from "../decode/json-scan";
import { TraceLog } from "../ci/collect";
import { buildProfile, compareProfiles, diffLines, profileText, readProfile } from "../ci/profile";
import { buildTimeline, timelineText } from "../ci/timeline";
import { criticalPath, criticalPathText } from "../ci/critical-path";
import { htmlReport } from "../ci/report";
import { tableWriter } from "../format/output";
import { Table } from "../format/table";
import { topAccessor } from "../decode/top";
import { isStreamUrl, readStream } from "./show-nats";
import { ProcessTree } from "../format/tree";
import { RunSummary } from "../format/summary";
import { terminal } from "../format/screen";
import { Writer } from "../sink/writer";
import { forOption, say, wrap } from "../errors";
import { Redactor } from "../redact/redactor";
import { redactJsonEvent } from "../redact/json";
import { dfgOnly } from "../jit";

const CHUNK = 4 << 20;

/** The trace's lines as bytes, read 4 MiB at a time (a whole-file readFileSync of 167 MB took 6.1
 * of show's 18 s of CPU in a profile, and held the file twice). A line's bytes are valid until the
 * next line is read, as a ring record is until the next: views read what they keep at once. (A new
 * buffer per chunk instead: ~0.8 s more of system time for 230 MB, the first touches of its pages.) */
function eachLine(file: string, take: (line: Buffer) => boolean): boolean {
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
        if (!take(buf.subarray(start, nl))) return false;
        start = nl + 1;
      }
      buf.copy(buf, 0, start, have);
      have -= start;
    }
    return have === 0 || take(buf.subarray(0, have));
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

const timestamp = topAccessor("timestamp");
dfgOnly(eachLine); // src/jit.ts: tracer show

/** Table lines of several hosts: a table per host (its own PATH searches and pids), one start
 * time, and each line led by its host. */
function hostTables(out: Writer, hosts: string[], o: ConstructorParameters<typeof Table>[0]) {
  const w = Math.max(4, ...hosts.map((h) => h.length)) + 1;
  const tables = new Map(
    hosts.map((h) => [h, new Table({ ...o, width: o.width === null ? null : Math.max(20, o.width - w) })]),
  );
  const lead = (h: string, text: string) => text.replace(/^(?=.)/gm, h.padEnd(w));
  out.write(lead("HOST", tables.get(hosts[0]!)!.header()));
  return {
    write: (ev: SavedEvent, host: string) => out.write(lead(host, tables.get(host)!.add(ev))),
    finish: () => {
      for (const [h, t] of tables) out.write(lead(h, t.finish()));
    },
  };
}

export async function show(c: ShowConfig): Promise<number> {
  const ci = ciWanted(c.ci);
  // the files first: a baseline that is not one, or an output that may not be written, ends it here
  const baseline = c.ci.baseline !== null ? buildProfile(readProfile(c.ci.baseline), c.ci.baselineIgnore) : null;
  const profileOut = c.ci.profile !== null ? forOption("--profile", () => Writer.open(c.ci.profile)) : null;
  const timelineOut = c.timeline !== null ? forOption("--timeline", () => Writer.open(c.timeline)) : null;
  const htmlOut = c.html !== null ? forOption("--html", () => Writer.open(c.html)) : null;
  const stream = isStreamUrl(c.file) ? await readStream(c.file, c.since, c.nats) : null;
  const out = new Writer(1, "stdout", false);
  const term = terminal(1);
  const hosts = stream ? [...new Set(stream.map((l) => l.host))].filter((h) => h !== "") : [];
  const o = {
    width: c.wide || !term.tty ? null : term.columns,
    color: term.color,
    timeOfDay: c.timeOfDay || !term.tty,
    start: null,
    failures: c.failures,
  };
  // a profile, a verdict, a picture or a path asked for: the table only if --failures asks for it
  const pictures = c.timeline !== null || c.html !== null || c.criticalPath;
  const view =
    c.json || c.tree || ((ci || pictures) && !c.failures)
      ? null
      : hosts.length > 1
        ? hostTables(out, hosts, o)
        : tableWriter(out, new Table(o));
  const trees = c.tree || htmlOut ? new Map<string, ProcessTree>() : null;
  const log = ci || pictures ? new TraceLog() : null;
  const summary = new RunSummary({ failures: htmlOut !== null });
  const rules = new Redactor(c.redact);
  // --json alone prints each line as it is: nothing would read what redaction changes
  const redact = !rules.empty && !(c.json && trees === null && log === null);
  let n = 0;
  const other = { lines: 0, first: 0, text: "" };
  /** One line of the file (its bytes) or of the stream (its text); false: stop reading. */
  const take = (text: string | null, bytes: Buffer | null, host: string): boolean => {
    n++;
    let ev: SavedEvent;
    let line = text;
    if (bytes !== null && bytes[0] === 0x7b) ev = ScannedEvent.scan(bytes, n);
    else {
      line ??= bytes!.toString("utf8");
      if (line.trim() === "") return true;
      if (line[0] !== "{") {
        // `tracer --json -- CMD 2>t.jsonl`: the events share stderr with the tracer's status lines and
        // the command's own messages; those are left out and counted (an event glued to the end of a
        // message without a newline is still read)
        if (other.lines++ === 0) [other.first, other.text] = [n, line];
        const at = line.indexOf('{"timestamp":');
        if (at < 0) return true;
        line = line.slice(at);
      }
      ev = JsonEvent.parse(line, n);
    }
    if (c.since !== null && timestamp(ev) < c.since) return true;
    if (redact) redactJsonEvent(ev, rules); // before anything reads it
    if (ci && ev.is(EXEC) && !ev.has("sha256"))
      throw new Error(
        `${c.file}: line ${n}: an exec without sha256: --profile and --baseline need a trace recorded with --hash`,
      );
    summary.add(ev);
    if (trees) {
      let t = trees.get(host);
      if (!t) trees.set(host, (t = new ProcessTree()));
      t.add(ev);
    }
    log?.add(ev);
    if (c.json) {
      if (line === null && isUtf8(bytes!)) {
        // the line's bytes as they are, the same as its text encoded again (which cost ~40% of
        // --json's CPU); not UTF-8: its text has U+FFFD for what is not, as before
        out.reserve(bytes!.length + 1);
        out.buf.set(bytes!, out.pos);
        out.pos += bytes!.length;
        out.buf[out.pos++] = 10;
        out.commit();
      } else out.write((line ?? bytes!.toString("utf8")) + "\n");
    } else view?.write(ev, host);
    return !out.closed || log !== null; // nobody reads the view; a profile, a verdict or a picture still wants every line
  };
  dfgOnly(take); // src/jit.ts: tracer show
  const read = stream
    ? stream.every((l) => take(l.line, null, l.host))
    : eachLine(c.file, (bytes) => take(null, bytes, ""));
  if (!read) return 0;
  view?.finish();
  if (c.tree)
    for (const [host, t] of trees ?? [])
      out.write(
        (trees!.size > 1 ? `${host}:\n` : "") +
          t.render({ width: c.wide || !term.tty ? null : term.columns, color: term.color }),
      );
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
    const tree = [...trees!.entries()].map(([host, t]) => (trees!.size > 1 ? `${host}:\n` : "") + t.render()).join("");
    htmlOut.write(htmlReport(log, summary, { source: c.file, summary: summary.line(), tree }));
    htmlOut.close();
    if (htmlOut.failure) throw htmlOut.failure;
  }
  if (log && ci) {
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
    say(
      `tracer: left out ${other.lines} ${other.lines === 1 ? "line that is not an event" : "lines that are not events"} (first: line ${other.first}, ${JSON.stringify(first)})\n`,
    );
  }
  say(summary.line(undefined, terminal(2).columns));
  return exit;
}
