// tracer show FILE: a trace saved with --json read back as events (decode/json-event.ts), redacted
// as a live run's (src/redact/), and shown as the live run would: the table (or only its failures) or the process tree, then the summary.
// With --profile or --baseline, the programs it ran, as a profile or against one (ci/profile.ts);
// the table is then left out unless --failures or --tree asks for a view. nats://HOST/STREAM reads
// a JetStream stream the same way (show-nats.ts); events from several hosts get a HOST column.
import { readFileSync } from "node:fs";
import type { ShowConfig } from "./cli";
import { ciWanted } from "../ci/session";
import { EXEC } from "../decode/index";
import { JsonEvent } from "../decode/json-event";
import { TraceLog } from "../ci/collect";
import { buildProfile, compareProfiles, diffLines, profileText, readProfile } from "../ci/profile";
import { tableWriter } from "../format/output";
import { Table } from "../format/table";
import { topAccessor } from "../decode/top";
import { isStreamUrl, readStream, type HostLine } from "./show-nats";
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

const timestamp = topAccessor("timestamp");

/** Table lines of several hosts: a table per host (its own PATH searches and pids), one start
 * time, and each line led by its host. */
function hostTables(out: Writer, hosts: string[], o: ConstructorParameters<typeof Table>[0]) {
  const w = Math.max(4, ...hosts.map((h) => h.length)) + 1;
  const tables = new Map(hosts.map((h) => [h, new Table({ ...o, width: o.width === null ? null : Math.max(20, o.width - w) })]));
  const lead = (h: string, text: string) => text.replace(/^(?=.)/gm, h.padEnd(w));
  out.write(lead("HOST", tables.get(hosts[0]!)!.header()));
  return {
    write: (ev: JsonEvent, host: string) => out.write(lead(host, tables.get(host)!.add(ev))),
    finish: () => {
      for (const [h, t] of tables) out.write(lead(h, t.finish()));
    },
  };
}

async function readLines(c: ShowConfig): Promise<HostLine[]> {
  if (isStreamUrl(c.file)) return readStream(c.file, c.since, c.nats);
  return readTrace(c.file).split("\n").map((line) => ({ line, host: "" }));
}

export async function show(c: ShowConfig): Promise<number> {
  const ci = ciWanted(c.ci);
  // the files first: a baseline that is not one, or an output that may not be written, ends it here
  const baseline = c.ci.baseline !== null ? buildProfile(readProfile(c.ci.baseline), c.ci.baselineIgnore) : null;
  const profileOut = c.ci.profile !== null ? forOption("--profile", () => Writer.open(c.ci.profile)) : null;
  const lines = await readLines(c);
  const out = new Writer(1, "stdout", false);
  const term = terminal(1);
  const hosts = [...new Set(lines.map((l) => l.host))].filter((h) => h !== "");
  const o = { width: c.wide || !term.tty ? null : term.columns, color: term.color, timeOfDay: c.timeOfDay || !term.tty, start: null, failures: c.failures };
  const view = c.json || c.tree || (ci && !c.failures) ? null : hosts.length > 1 ? hostTables(out, hosts, o) : tableWriter(out, o);
  const trees = c.tree ? new Map<string, ProcessTree>() : null;
  const log = ci ? new TraceLog() : null;
  const summary = new RunSummary();
  const rules = new Redactor(c.redact);
  let n = 0;
  const other = { lines: 0, first: 0, text: "" };
  for (let { line, host } of lines) {
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
    if (c.since !== null && timestamp(ev) < c.since) continue;
    if (!rules.empty) redactJsonEvent(ev, rules); // before anything reads it
    if (log && ev.is(EXEC) && !ev.has("sha256")) throw new Error(`${c.file}: line ${n}: an exec without sha256: --profile and --baseline need a trace recorded with --hash`);
    summary.add(ev);
    if (trees) {
      let t = trees.get(host);
      if (!t) trees.set(host, (t = new ProcessTree()));
      t.add(ev);
    }
    log?.add(ev);
    if (c.json) out.write(line + "\n");
    else view?.write(ev, host);
    if (out.closed && !log) return 0; // nobody reads the view; a profile or a verdict still wants every line
  }
  view?.finish();
  for (const [host, t] of trees ?? []) out.write((trees!.size > 1 ? `${host}:\n` : "") + t.render({ width: c.wide || !term.tty ? null : term.columns, color: term.color }));
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
