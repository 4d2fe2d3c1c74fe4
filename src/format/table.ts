// The table for people: one line per event (a PATH search: one line), fitted to the terminal.
// Every byte a traced process controls is quoted or escaped (format/quote.ts).
import { accessor, type EventView } from "../decode/event";
import { EXEC, EXEC_FAILED, EXIT, FORK, LOST } from "../decode/index";
import { topAccessor } from "../decode/top";
import { userName } from "../enrich/users";
import { argvText, basename, endText, escapeDisplay, shellQuote, signalName } from "./quote";
import { failedExecReason, searchReason } from "./exec-failure";
import { isSearch, PathSearches, type Search } from "./path-search";

/*
 * Columns: TIME (seconds since the start, or the local time of day), PID (host pid), USER, EVENT
 * (exec, execfail, lookup, fork, thread, exit N, or the signal that killed), then what happened:
 *   exec      argv as the process received it; the file run, in [..], where its name differs
 *   execfail  the command tried and why it failed (format/exec-failure.ts); a PATH search that
 *             found nothing as one line: `nosuch --help: not found in PATH (ENOENT ×7)`; when
 *             the process then ends without running anything, how it ended, on the same line
 *   lookup    a PATH search that found the file (not a failure): as → /usr/bin/as (ENOENT ×7)
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
  /** What people look for first: execs and what went wrong (no forks, threads, exits 0, PATH
   * lookups that found the file); the whole-host default, --all shows everything. */
  brief?: boolean;
  /** --hash: exec rows end with the file's digest, its first DIGEST_SHOWN hex digits (JSON has
   * them whole), or why there is none; a script's own digest too. */
  hash?: boolean;
}

/** Hex digits of a SHA-256 an exec row shows (48 bits: enough to tell files apart by eye). */
export const DIGEST_SHOWN = 12;

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
  sha256: accessor(EXEC, "sha256"),
  hashError: accessor(EXEC, "hash_error"),
  scriptSha256: accessor(EXEC, "script_sha256"),
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

/** The longest a failed exec's line is held for its task's next event (a PATH search's next
 * miss or its end, or how its process ended) once the task goes quiet. */
export const HOLD_NS = 100_000_000n;

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

// Local time of day, cached per second (Date's local-time math is the slow part), and its text per
// millisecond (a busy host has many events in one).
let cachedSecond = -1;
let cachedHms = "";
let cachedMs = -1;
let cachedText = "";

/** Local HH:MM:SS.mmm of an epoch-ns timestamp. */
export function timeOfDay(epochNs: bigint): string {
  const ms = Number(epochNs / 1000000n);
  if (ms === cachedMs) return cachedText;
  const sec = Math.floor(ms / 1000);
  if (sec !== cachedSecond) {
    const d = new Date(ms);
    cachedSecond = sec;
    cachedHms = pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
  }
  const m = ms - sec * 1000;
  cachedMs = ms;
  cachedText = cachedHms + (m < 10 ? ".00" : m < 100 ? ".0" : ".") + m;
  return cachedText;
}

const SPACES = Array.from({ length: 33 }, (_, n) => " ".repeat(n));

/** s.padStart(n) and s.padEnd(n) for the columns (n ≤ 32): String's own took ~95 ns a call, these ~45. */
function padStart(s: string, n: number): string {
  return s.length >= n ? s : SPACES[n - s.length] + s;
}
function padEnd(s: string, n: number): string {
  return s.length >= n ? s : s + SPACES[n - s.length];
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

/** The failed exec's command: `first` (the path tried, or a PATH search's name), then its
 * arguments after argv[0]. */
function failedText(ev: EventView<typeof EXEC_FAILED>, first = A.path(ev)): string {
  const args = A.arguments(ev);
  const cut = A.argumentsDroppedArgs(ev) > 0 || A.argumentsDroppedBytes(ev) > 0;
  return typed([first, ...args.slice(1)], cut);
}

/** "  sha256 1a2b3c4d5e6f", a script's as "  script 0a1b…", or "  no sha256: gone". */
function digestText(ev: EventView<typeof EXEC>): string {
  const d = A.sha256(ev);
  const script = A.scriptSha256(ev);
  const err = A.hashError(ev);
  return (
    (d ? `  sha256 ${d.slice(0, DIGEST_SHOWN)}` : "") +
    (script ? `  script ${script.slice(0, DIGEST_SHOWN)}` : "") +
    (err ? `  no sha256: ${escapeDisplay(err)}` : "")
  );
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

/** A failed exec held until its task's next event (a PATH search, or how its process ended). */
interface Held {
  row: Row;
  /** The command as typed with the search's name first. */
  byName: string;
}

/** A live process's command line, and whether it ran it (false: inherited from its parent). */
interface Command {
  text: string;
  own: boolean;
}

export class Table {
  private start: bigint | null;
  /** Each live process's command (its last exec, else its parent's), for its exit line. */
  private commands = new Map<number, Command>();
  private searches = new PathSearches<Held>();

  constructor(private readonly o: TableOptions) {
    this.start = o.start;
  }

  /** The header line, newline included. */
  header(): string {
    const time = this.o.timeOfDay ? "TIME".padEnd(W.tod) : "TIME(s)".padStart(W.rel);
    return this.finishLine(
      `${time} ${"PID".padStart(W.pid)} ${"USER".padEnd(W.user)} ${"EVENT".padEnd(W.event)} COMMAND`,
      "plain",
    );
  }

  /** The lines for one event (none, one, or a PATH search that it ended and its own). */
  add(ev: EventView): string {
    if (this.start === null) this.start = T.timestamp(ev); // time 0: the first event, shown or not
    this.remember(ev);
    const { ended, held } = this.searches.feed(ev, () => this.held(ev));
    let out = "";
    if (ended) {
      // its process ended without running anything: one line says what it tried, why, and how it ended
      if (
        ev.is(EXIT) &&
        A.groupExit(ev) &&
        !this.commands.get(T.processEntityId(ev))?.own &&
        (!isSearch(ended) || ended.found === null)
      ) {
        this.commands.delete(T.processEntityId(ev));
        return this.searchLine(ended, endText(A.exitCode(ev), A.signal(ev), A.core(ev)));
      }
      out = this.searchLine(ended);
    }
    if (!held && !this.neverShown(ev)) {
      const r = this.row(ev);
      if (this.shown(r)) out += this.render(r);
    }
    return out;
  }

  /** Lines are held for their task's next event. */
  holding(): boolean {
    return this.searches.size > 0;
  }

  /** Lines held longer than HOLD_NS (a failed exec whose task has done nothing since: a shell
   * waiting at its prompt), written as they are: no row waits on its task's next event for long. */
  expire(nowNs: bigint): string {
    if (this.searches.size === 0) return "";
    const cutoff = nowNs - HOLD_NS;
    return this.searches
      .release((s) => s.first.row.time !== null && s.first.row.time < cutoff)
      .map((s) => this.searchLine(s))
      .join("");
  }

  /** What is still held at the end of the trace (PATH searches that found nothing). */
  finish(): string {
    return this.searches
      .finish()
      .map((s) => this.searchLine(s))
      .join("");
  }

  /** The last exec's text (row() reads it back: argv is decoded once per exec). */
  private lastExec = { typed: "", file: "" };

  private remember(ev: EventView): void {
    if (ev.is(EXEC)) {
      this.lastExec = execText(ev);
      this.commands.set(T.processEntityId(ev), { text: this.lastExec.typed, own: true });
    } else if (ev.is(EXEC_FAILED)) {
      // a process that has run nothing of its own ends as what it tried, not as its parent
      const id = T.processEntityId(ev);
      if (!this.commands.get(id)?.own) this.commands.set(id, { text: `${failedText(ev)} (exec failed)`, own: false });
    } else if (ev.is(FORK) && !A.isThread(ev)) {
      if (this.commands.size >= 65536) this.commands.clear();
      const parent = this.commands.get(T.processEntityId(ev));
      if (parent !== undefined) this.commands.set(A.childProcess(ev), { text: parent.text, own: false });
    }
  }

  /** A fork or thread start outside the full view, an exec in --failures: its row, never shown,
   * is not made (row() has no side effect for them; forks are ~40% of a whole-host trace). */
  private neverShown(ev: EventView): boolean {
    return ((this.o.failures || this.o.brief === true) && ev.is(FORK)) || (this.o.failures && ev.is(EXEC));
  }

  /** Whether a row is in the view asked for. */
  private shown(r: Row): boolean {
    if (this.o.failures) return r.failure;
    return !this.o.brief || r.failure || r.event === "exec";
  }

  private held(ev: EventView): Held {
    const e = ev as EventView<typeof EXEC_FAILED>;
    return { row: this.row(ev), byName: failedText(e, basename(A.path(e))) };
  }

  /** A held failed exec's line; `end`: its process ended with it (nothing else ran). */
  private searchLine(s: Search<Held>, end = ""): string {
    const first = s.first.row;
    const ending = end ? `; ${end}` : "";
    if (!isSearch(s)) return this.shown(first) ? this.render({ ...first, what: first.what + ending }) : "";
    if (s.found !== null) {
      if (this.o.failures || this.o.brief) return "";
      return this.render({
        ...first,
        event: "lookup",
        what: `${escapeDisplay(s.name)} → ${escapeDisplay(s.found)} (${s.errors.join("/")} ×${s.count})`,
        tone: "plain",
        failure: false,
      });
    }
    return this.render({
      ...first,
      what: `${s.first.byName}: ${searchReason(s.errors, s.count)}${ending}`,
      tone: "failure",
      failure: true,
    });
  }

  private row(ev: EventView): Row {
    if (ev.is(LOST)) {
      return {
        time: T.timestamp(ev),
        pid: "",
        user: "",
        event: "lost",
        what: `${A.lost(ev)} events lost${A.skipped(ev) ? ` (${A.skipped(ev)} runs skipped by the kernel)` : ""}`,
        tone: "failure",
        failure: true,
      };
    }
    const time = T.timestamp(ev);
    const pid = String(T.hostProcessId(ev));
    const user = userName(T.userId(ev));
    const r = (event: string, what: string, tone: Tone, failure: boolean): Row => ({
      time,
      pid,
      user,
      event,
      what,
      tone,
      failure,
    });
    if (ev.is(EXEC)) {
      const { typed, file } = this.lastExec;
      const what = file === "" ? typed : `${typed}  [${file}]`;
      return r("exec", this.o.hash ? what + digestText(ev) : what, "plain", false);
    }
    if (ev.is(EXEC_FAILED)) {
      return r("execfail", `${failedText(ev)}: ${failedExecReason(ev)}`, "failure", true);
    }
    if (ev.is(FORK)) {
      if (A.isThread(ev)) return r("thread", `${A.childTid(ev)} started`, "quiet", false);
      return r("fork", `child ${A.childPid(ev)}`, "plain", false);
    }
    if (ev.is(EXIT)) {
      if (!A.groupExit(ev)) return r("thread", `${T.hostThreadId(ev)} ended`, "quiet", false);
      const id = T.processEntityId(ev);
      const cmd = this.commands.get(id)?.text ?? escapeDisplay(T.processName(ev));
      this.commands.delete(id);
      const sig = A.signal(ev);
      const code = A.exitCode(ev);
      const core = A.core(ev) ? "  core dumped" : "";
      const what = `${cmd}  ${duration(A.runTime(ev))}${core}`;
      if (sig !== 0) return r(signalName(sig), what, "signal", true);
      return r(`exit ${code}`, what, code === 0 ? "plain" : "failure", code !== 0);
    }
    return r(ev.def.short, "", "plain", false);
  }

  private timeText(t: bigint | null): string {
    if (t === null) return "";
    if (this.o.timeOfDay) return timeOfDay(t);
    return (Number(t - this.start!) / 1e9).toFixed(3);
  }

  private render(r: Row): string {
    const t = this.timeText(r.time);
    const user = r.user.length > W.user ? r.user.slice(0, W.user - 1) + "…" : padEnd(r.user, W.user);
    const line =
      (this.o.timeOfDay ? padEnd(t, W.tod) : padStart(t, W.rel)) +
      " " +
      padStart(r.pid, W.pid) +
      " " +
      user +
      " " +
      padEnd(r.event, W.event) +
      " " +
      r.what;
    // trimEnd only when the line may end in white space (it rarely does; the call cost per row)
    const last = line.charCodeAt(line.length - 1);
    return this.finishLine(last > 0x20 && last < 0x7f ? line : line.trimEnd(), r.tone);
  }

  private finishLine(line: string, tone: Tone): string {
    const fitted = this.o.width === null ? line : fit(line, this.o.width);
    return (this.o.color && tone !== "plain" ? SGR[tone] + fitted + SGR.reset : fitted) + "\n";
  }
}
