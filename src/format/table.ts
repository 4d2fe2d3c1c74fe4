// The table for people: one line per event (a PATH search: one line), fitted to the terminal.
// Every byte a traced process controls is quoted or escaped (format/quote.ts).
import { accessor, type EventView } from "../decode/event";
import { EXEC, EXEC_FAILED, EXIT, FORK, LOST } from "../decode/index";
import { topAccessor } from "../decode/top";
import { userName } from "../enrich/users";
import { argvText, basename, escapeDisplay, shellQuote, signalName } from "./quote";
import { isSearch, PathSearches, type Search } from "./path-search";

/*
 * Columns: TIME (seconds since the start, or the local time of day), PID (host pid), USER, EVENT
 * (exec, execfail, fork, thread, exit N, or the signal that killed), then what happened:
 *   exec      argv as the process received it; the file run, in [..], where its name differs
 *   execfail  the errno's name and the command tried; a PATH search as one line:
 *             ENOENT ×7 as (PATH search) → /usr/bin/as
 *   fork      the child's pid;  thread: a thread started or ended
 *   exit      the command that ended and how long it ran
 */

export interface TableOptions {
  /** Terminal columns to fit lines into (cut with …), or null: full lines. */
  width: number | null;
  /** ANSI colour for failures and signals. */
  color: boolean;
  /** Local time of day instead of seconds since `start`. */
  timeOfDay: boolean;
  /** Epoch ns of time 0 for relative times; null: the first event's time. */
  start: bigint | null;
  /** Only what went wrong: failed execs, non-zero exits, deaths by signal, losses. */
  failures: boolean;
}

const T = {
  timestamp: topAccessor("timestamp"),
  hostProcessId: topAccessor("hostProcessId"),
  hostThreadId: topAccessor("hostThreadId"),
  userId: topAccessor("userId"),
  processName: topAccessor("processName"),
  processEntityId: topAccessor("processEntityId"),
};
const A = {
  pathname: accessor(EXEC, "pathname"),
  argv: accessor(EXEC, "argv"),
  argvDroppedArgs: accessor(EXEC, "argv_dropped_args"),
  argvDroppedBytes: accessor(EXEC, "argv_dropped_bytes"),
  error: accessor(EXEC_FAILED, "error"),
  path: accessor(EXEC_FAILED, "path"),
  arguments: accessor(EXEC_FAILED, "arguments"),
  argumentsDroppedArgs: accessor(EXEC_FAILED, "arguments_dropped_args"),
  argumentsDroppedBytes: accessor(EXEC_FAILED, "arguments_dropped_bytes"),
  isThread: accessor(FORK, "is_thread"),
  childPid: accessor(FORK, "child_pid"),
  childTid: accessor(FORK, "child_tid"),
  childProcess: accessor(FORK, "child_process_entity_id"),
  exitCode: accessor(EXIT, "exit_code"),
  signal: accessor(EXIT, "signal_code"),
  core: accessor(EXIT, "core_dumped"),
  groupExit: accessor(EXIT, "process_group_exit"),
  runTime: accessor(EXIT, "run_time"),
  lost: accessor(LOST, "lost"),
  skipped: accessor(LOST, "skipped"),
};

const W = { rel: 8, tod: 12, pid: 7, user: 8, event: 8 };
const SGR = { failure: "\x1b[31m", signal: "\x1b[1;31m", quiet: "\x1b[2m", reset: "\x1b[0m" };
type Tone = "plain" | "failure" | "signal" | "quiet";

/** A duration for people: 0.4 ms, 14 ms, 1.25 s, 3m05s. */
export function duration(ns: bigint): string {
  const ms = Number(ns) / 1e6;
  if (ms < 1) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(2)} s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s - m * 60)).padStart(2, "0")}s`;
}

function pad2(n: number): string {
  return n < 10 ? "0" + n : "" + n;
}

// Local time of day, cached per second: Date's local-time math is the slow part.
let cachedSecond = -1;
let cachedHms = "";

/** Local HH:MM:SS.mmm of an epoch-ns timestamp. */
export function timeOfDay(epochNs: bigint): string {
  const ms = Number(epochNs / 1000000n);
  const sec = Math.floor(ms / 1000);
  if (sec !== cachedSecond) {
    const d = new Date(ms);
    cachedSecond = sec;
    cachedHms = pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
  }
  const m = ms - sec * 1000;
  return cachedHms + (m < 10 ? ".00" : m < 100 ? ".0" : ".") + m;
}

/** Cut a line to `width` terminal columns, the last one an ellipsis. */
export function fit(line: string, width: number): string {
  if (Bun.stringWidth(line) <= width) return line;
  let out = "";
  let used = 0;
  for (const ch of line) {
    const w = Bun.stringWidth(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return out + "…";
}

/** argv as typed; " ..." when some of it was not captured. */
function typed(argv: readonly string[], cut: boolean): string {
  return argvText(argv) + (cut ? " ..." : "");
}

/** The exec's command line as typed (the file's path when argv is empty), and the file it ran
 * where its name differs from argv[0]'s. */
export function execText(ev: EventView<typeof EXEC>): { typed: string; file: string } {
  const argv = A.argv(ev);
  const path = A.pathname(ev);
  if (argv.length === 0) return { typed: shellQuote(path), file: "" };
  const text = typed(argv, A.argvDroppedArgs(ev) > 0 || A.argvDroppedBytes(ev) > 0);
  return { typed: text, file: basename(argv[0]!) === basename(path) ? "" : escapeDisplay(path) };
}

/** The failed exec's command: the path tried, then its arguments after argv[0]. */
function failedText(ev: EventView<typeof EXEC_FAILED>): string {
  const args = A.arguments(ev);
  const cut = A.argumentsDroppedArgs(ev) > 0 || A.argumentsDroppedBytes(ev) > 0;
  return typed([A.path(ev), ...args.slice(1)], cut);
}

interface Row {
  time: bigint | null;
  pid: string;
  user: string;
  event: string;
  what: string;
  tone: Tone;
  failure: boolean;
}

export class Table {
  private start: bigint | null;
  /** Each live process's command (its last exec, else its parent's), for its exit line. */
  private commands = new Map<number, string>();
  private searches = new PathSearches<Row>();

  constructor(private readonly o: TableOptions) {
    this.start = o.start;
  }

  /** The header line, newline included. */
  header(): string {
    const time = this.o.timeOfDay ? "TIME".padEnd(W.tod) : "TIME(s)".padStart(W.rel);
    return this.finishLine(`${time} ${"PID".padStart(W.pid)} ${"USER".padEnd(W.user)} ${"EVENT".padEnd(W.event)} COMMAND`, "plain");
  }

  /** The lines for one event (none, one, or a PATH search that it ended and its own). */
  add(ev: EventView): string {
    if (this.start === null) this.start = T.timestamp(ev); // time 0: the first event, shown or not
    this.remember(ev);
    const { ended, held } = this.searches.feed(ev, () => this.row(ev));
    let out = ended ? this.searchLine(ended) : "";
    if (!held) {
      const r = this.row(ev);
      if (!this.o.failures || r.failure) out += this.render(r);
    }
    return out;
  }

  /** What is still held at the end of the trace (PATH searches that found nothing). */
  finish(): string {
    return this.searches.finish().map((s) => this.searchLine(s)).join("");
  }

  /** The last exec's text (row() reads it back: argv is decoded once per exec). */
  private lastExec = { typed: "", file: "" };

  private remember(ev: EventView): void {
    if (ev.is(EXEC)) {
      this.lastExec = execText(ev);
      this.commands.set(T.processEntityId(ev), this.lastExec.typed);
    } else if (ev.is(FORK) && !A.isThread(ev)) {
      if (this.commands.size >= 65536) this.commands.clear();
      const parent = this.commands.get(T.processEntityId(ev));
      if (parent !== undefined) this.commands.set(A.childProcess(ev), parent);
    }
  }

  private searchLine(s: Search<Row>): string {
    if (!isSearch(s)) return this.o.failures && !s.first.failure ? "" : this.render(s.first);
    if (this.o.failures && s.found !== null) return "";
    const to = s.found === null ? "not found" : escapeDisplay(s.found);
    const what = `${s.errors.join("/")} ×${s.count} ${escapeDisplay(s.name)} (PATH search) → ${to}`;
    return this.render({ ...s.first, what, tone: s.found === null ? "failure" : "plain", failure: s.found === null });
  }

  private row(ev: EventView): Row {
    if (ev.is(LOST)) {
      return { time: T.timestamp(ev), pid: "", user: "", event: "lost", what: `${A.lost(ev)} events lost${A.skipped(ev) ? ` (${A.skipped(ev)} runs skipped by the kernel)` : ""}`, tone: "failure", failure: true };
    }
    const base = { time: T.timestamp(ev), pid: String(T.hostProcessId(ev)), user: userName(T.userId(ev)) };
    if (ev.is(EXEC)) {
      const { typed, file } = this.lastExec;
      return { ...base, event: "exec", what: file === "" ? typed : `${typed}  [${file}]`, tone: "plain", failure: false };
    }
    if (ev.is(EXEC_FAILED)) {
      return { ...base, event: "execfail", what: `${escapeDisplay(A.error(ev))} ${failedText(ev)}`, tone: "failure", failure: true };
    }
    if (ev.is(FORK)) {
      if (A.isThread(ev)) return { ...base, event: "thread", what: `${A.childTid(ev)} started`, tone: "quiet", failure: false };
      return { ...base, event: "fork", what: `child ${A.childPid(ev)}`, tone: "plain", failure: false };
    }
    if (ev.is(EXIT)) {
      if (!A.groupExit(ev)) return { ...base, event: "thread", what: `${T.hostThreadId(ev)} ended`, tone: "quiet", failure: false };
      const id = T.processEntityId(ev);
      const cmd = this.commands.get(id) ?? escapeDisplay(T.processName(ev));
      this.commands.delete(id);
      const sig = A.signal(ev);
      const code = A.exitCode(ev);
      const core = A.core(ev) ? "  core dumped" : "";
      const what = `${cmd}  ${duration(A.runTime(ev))}${core}`;
      if (sig !== 0) return { ...base, event: signalName(sig), what, tone: "signal", failure: true };
      return { ...base, event: `exit ${code}`, what, tone: code === 0 ? "plain" : "failure", failure: code !== 0 };
    }
    return { ...base, event: ev.def.short, what: "", tone: "plain", failure: false };
  }

  private timeText(t: bigint | null): string {
    if (t === null) return "";
    if (this.o.timeOfDay) return timeOfDay(t);
    return (Number(t - this.start!) / 1e9).toFixed(3);
  }

  private render(r: Row): string {
    const time = this.o.timeOfDay ? this.timeText(r.time).padEnd(W.tod) : this.timeText(r.time).padStart(W.rel);
    const user = r.user.length > W.user ? r.user.slice(0, W.user - 1) + "…" : r.user.padEnd(W.user);
    return this.finishLine(`${time} ${r.pid.padStart(W.pid)} ${user} ${r.event.padEnd(W.event)} ${r.what}`.trimEnd(), r.tone);
  }

  private finishLine(line: string, tone: Tone): string {
    const fitted = this.o.width === null ? line : fit(line, this.o.width);
    return (this.o.color && tone !== "plain" ? SGR[tone] + fitted + SGR.reset : fitted) + "\n";
  }
}
