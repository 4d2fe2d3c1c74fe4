// The table for people: one line per event (a PATH search: one line), fitted to the terminal.
// Every byte a traced process controls is quoted or escaped (format/quote.ts).
import { accessor, type EventView } from "../decode/event";
import { EXEC, EXEC_FAILED, EXIT, FORK, LOST } from "../decode/index";
import { topAccessor } from "../decode/top";
import { userName } from "../enrich/users";
import { ScannedEvent } from "../decode/json-scan";
import { dfgOnly } from "../jit";
import { duration, fit, fitKeeping, wrapWords } from "./human";
import { ByteBuf, type Lit, lit } from "./bytes";
import { argvJson, bytesOf, copyLine, first, numStart, put, sameBase, spaces, timeOfDayTo } from "./cells";
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

/** argv's place among an exec's args (ScannedEvent.listAt). */
const ARGV_INDEX = EXEC.args.findIndex((f) => f.name === "argv");

/** The longest a failed exec's line is held for its task's next event (a PATH search's next
 * miss or its end, or how its process ended) once the task goes quiet. */
export const HOLD_NS = 100_000_000n;

const W = { rel: 8, tod: 12, pid: 7, user: 8, event: 8 };
/** Columns of a cut row's command kept before its tail (else the tail is cut too, or a failure's
 * row continues on the next lines). */
const MIN_COMMAND = 10;
/** The most lines a failure's row takes on a terminal (Table.end). */
const MOST_LINES = 4;
const SGR = { failure: "\x1b[31m", signal: "\x1b[1;31m", quiet: "\x1b[2m", reset: "\x1b[0m" };
type Tone = "plain" | "failure" | "signal" | "quiet";

export { timeOfDay } from "./cells";

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
  /** Host pid and uid; null: a blank cell (a loss concerns no process). */
  pid: number | null;
  uid: number | null;
  event: string;
  what: string;
  /** Where in `what` its tail starts (kept whole when the line is cut: the failure's reason);
   * absent: no tail. */
  tail?: number;
  tone: Tone;
  failure: boolean;
}

/** A failed exec held until its task's next event (a PATH search, or how its process ended). */
interface Held {
  row: Row;
  /** The command as typed with the search's name first. */
  byName: string;
}

/** A live process's command line as its rows show it (bytes), and whether it ran it (false:
 * inherited from its parent). */
interface Command {
  text: Uint8Array;
  own: boolean;
}

const SGR_LIT = { failure: lit(SGR.failure), signal: lit(SGR.signal), quiet: lit(SGR.quiet), reset: lit(SGR.reset) };
const TWO_SPACES = lit("  ");
const MS = lit(" ms");
const CORE = lit("  core dumped");
const CUT = lit(" ...");
const FILE_OPEN = lit("  [");
const CHILD = lit("child ");
const STARTED = lit(" started");
const ENDED = lit(" ended");
const utf8 = new TextDecoder();

/** The EVENT cell of an event's name: padded to its width, then the space before COMMAND. */
const eventCells = new Map<string, Lit>();
function eventCell(name: string): Lit {
  let c = eventCells.get(name);
  if (c === undefined) eventCells.set(name, (c = lit(name.padEnd(W.event) + " ")));
  return c;
}
const EXEC_CELL = eventCell("exec");
const FORK_CELL = eventCell("fork");
const THREAD_CELL = eventCell("thread");
const EXIT_CELLS = Array.from({ length: 256 }, (_, code) => eventCell(`exit ${code}`));
const exitCell = (code: number) => (code >= 0 && code < 256 ? EXIT_CELLS[code]! : eventCell(`exit ${code}`));

/** The USER cell of a uid: its name cut or padded to the column, then a space (/etc/passwd is read
 * once, so a uid's cell is made once). */
const userCells = new Map<number, Lit>();
const BLANK_USER = lit(" ".repeat(W.user + 1));
function userCell(uid: number): Lit {
  let c = userCells.get(uid);
  if (c === undefined) {
    const u = userName(uid);
    userCells.set(uid, (c = lit((u.length > W.user ? u.slice(0, W.user - 1) + "…" : u.padEnd(W.user)) + " ")));
  }
  return c;
}

/** A number as `${n}` writes it. */
function numText(out: ByteBuf, n: number): void {
  if (Number.isSafeInteger(n)) out.num(n);
  else out.text(String(n));
}

/** duration(ns): the usual 1-999 ms as bytes, the rest as its text. */
function durationTo(out: ByteBuf, ns: bigint): void {
  const ms = Number(ns) / 1e6;
  if (ms >= 1 && ms < 1000) {
    out.uint(Math.round(ms));
    out.raw(MS);
  } else out.ascii(duration(ns));
}

export class Table {
  private start: bigint | null;
  /** Each live process's command (its last exec, else its parent's), for its exit line. */
  private commands = new Map<number, Command>();
  private searches = new PathSearches<Held>();
  /** The line being written, copied out whole when done: the output's reserve() may write out
   * what it holds, so a line is not finished (trimmed, fitted) where it could move. */
  private readonly line = new ByteBuf(1 << 12);
  /** Where the line's text starts (after its colour), and its COMMAND cell. */
  private lineStart = 0;
  private commandStart = 0;
  /** Where the line's tail starts (a digest, a run time, a failure's reason: kept whole when the
   * line is cut to the width, the command cut before it), or -1. */
  private tailStart = -1;
  /** The last exec's command line as typed, and the file it ran where its name differs (row()
   * reads them back: argv is read once per exec). */
  private readonly typed = new ByteBuf(1 << 12);
  private lastTyped = new Uint8Array(0);
  private lastFile = "";
  /** add()'s output. */
  private text: ByteBuf | null = null;
  private readonly keep = (ev: EventView) => this.held(ev);

  constructor(private readonly o: TableOptions) {
    this.start = o.start;
  }

  /** The header line, newline included. */
  header(): string {
    const time = this.o.timeOfDay ? "TIME".padEnd(W.tod) : "TIME(s)".padStart(W.rel);
    const line = `${time} ${"PID".padStart(W.pid)} ${"USER".padEnd(W.user)} ${"EVENT".padEnd(W.event)} COMMAND`;
    return (this.o.width === null ? line : fit(line, this.o.width)) + "\n";
  }

  /** The lines for one event (none, one, or a PATH search that it ended and its own). */
  add(ev: EventView): string {
    const out = (this.text ??= new ByteBuf(1 << 12));
    this.write(ev, out);
    return out.take();
  }

  /** add()'s lines written into out. */
  write(ev: EventView, out: ByteBuf): void {
    if (this.start === null) this.start = T.timestamp(ev); // time 0: the first event, shown or not
    this.remember(ev);
    const { ended, held } = this.searches.feed(ev, this.keep);
    if (ended) {
      // its process ended without running anything: one line says what it tried, why, and how it ended
      if (
        ev.is(EXIT) &&
        A.groupExit(ev) &&
        !this.commands.get(T.processEntityId(ev))?.own &&
        (!isSearch(ended) || ended.found === null)
      ) {
        this.commands.delete(T.processEntityId(ev));
        this.searchLine(out, ended, endText(A.exitCode(ev), A.signal(ev), A.core(ev)));
        return;
      }
      this.searchLine(out, ended);
    }
    if (!held && !this.neverShown(ev)) this.row(ev, out);
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
    return this.searchLines(this.searches.release((s) => s.first.row.time !== null && s.first.row.time < cutoff));
  }

  /** What is still held at the end of the trace (PATH searches that found nothing). */
  finish(): string {
    return this.searchLines(this.searches.finish());
  }

  private searchLines(searches: Search<Held>[]): string {
    const out = new ByteBuf(1 << 10);
    for (const s of searches) this.searchLine(out, s);
    return out.take();
  }

  private remember(ev: EventView): void {
    if (ev.is(EXEC)) {
      this.execTyped(ev);
      this.lastTyped = this.typed.buf.slice(0, this.typed.pos);
      this.commands.set(T.processEntityId(ev), { text: this.lastTyped, own: true });
    } else if (ev.is(EXEC_FAILED)) {
      // a process that has run nothing of its own ends as what it tried, not as its parent
      const id = T.processEntityId(ev);
      if (!this.commands.get(id)?.own)
        this.commands.set(id, { text: bytesOf(`${failedText(ev)} (exec failed)`), own: false });
    } else if (ev.is(FORK) && !A.isThread(ev)) {
      if (this.commands.size >= 65536) this.commands.clear();
      const parent = this.commands.get(T.processEntityId(ev));
      if (parent !== undefined) this.commands.set(A.childProcess(ev), { text: parent.text, own: false });
    }
  }

  /** execText(ev) into `typed` and `lastFile`; a saved line's argv from its JSON bytes when it
   * has any and is a plain list (cells.ts argvJson: no string per word). */
  private execTyped(ev: EventView<typeof EXEC>): void {
    const t = this.typed;
    t.pos = 0;
    const saved = ev instanceof ScannedEvent ? (ev as ScannedEvent<typeof EXEC>) : null;
    const at = saved !== null ? saved.listAt(ARGV_INDEX) : -1;
    if (saved !== null && at >= 0 && argvJson(t, saved.b, at, saved.listEnd) > 0) {
      if (A.argvDroppedArgs(ev) > 0 || A.argvDroppedBytes(ev) > 0) t.raw(CUT);
      const path = A.pathname(ev);
      const same =
        first.end >= 0 ? sameBase(saved.b, first.start, first.end, path) : basename(first.text) === basename(path);
      this.lastFile = same ? "" : escapeDisplay(path);
      return;
    }
    t.pos = 0;
    const { typed, file } = execText(ev);
    t.text(typed);
    this.lastFile = file;
  }

  /** A fork or thread start outside the full view, an exec in --failures: its row, never shown,
   * is not made (row() has no side effect for them; forks are ~40% of a whole-host trace). */
  private neverShown(ev: EventView): boolean {
    return ((this.o.failures || this.o.brief === true) && ev.is(FORK)) || (this.o.failures && ev.is(EXEC));
  }

  /** Whether a row is in the view asked for. */
  private shown(r: Row): boolean {
    return this.visible(r.failure, r.event === "exec");
  }

  private visible(failure: boolean, exec: boolean): boolean {
    if (this.o.failures) return failure;
    return !this.o.brief || failure || exec;
  }

  private held(ev: EventView): Held {
    const e = ev as EventView<typeof EXEC_FAILED>;
    return { row: this.slowRow(ev), byName: failedText(e, basename(A.path(e))) };
  }

  /** A held failed exec's line; `end`: its process ended with it (nothing else ran). */
  private searchLine(out: ByteBuf, s: Search<Held>, end = ""): void {
    const first = s.first.row;
    const ending = end ? `; ${end}` : "";
    if (!isSearch(s)) {
      if (this.shown(first)) this.render(out, { ...first, what: first.what + ending });
      return;
    }
    if (s.found !== null) {
      if (this.o.failures || this.o.brief) return;
      this.render(out, {
        ...first,
        event: "lookup",
        what: `${escapeDisplay(s.name)} → ${escapeDisplay(s.found)} (${s.errors.join("/")} ×${s.count})`,
        tail: undefined,
        tone: "plain",
        failure: false,
      });
      return;
    }
    this.render(out, {
      ...first,
      what: `${s.first.byName}: ${searchReason(s.errors, s.count)}${ending}`,
      tail: s.first.byName.length,
      tone: "failure",
      failure: true,
    });
  }

  /** The event's row into out when its view shows it: an exec's, a fork's, a thread's and an
   * exit's (most of a trace) cell by cell, the others through a Row. */
  private row(ev: EventView, out: ByteBuf): void {
    if (ev.is(EXEC)) {
      const l = this.begin("plain");
      this.lead(l, T.timestamp(ev), T.hostProcessId(ev), T.userId(ev), EXEC_CELL);
      put(l, this.lastTyped);
      if (this.lastFile !== "") {
        l.raw(FILE_OPEN);
        l.text(this.lastFile);
        l.byte(0x5d); // ]
      }
      if (this.o.hash) {
        this.tailStart = l.pos;
        l.text(digestText(ev));
      }
      this.end(out, "plain");
      return;
    }
    if (ev.is(FORK)) {
      // in the full view only (neverShown)
      const thread = A.isThread(ev);
      const tone = thread ? "quiet" : "plain";
      const l = this.begin(tone);
      this.lead(l, T.timestamp(ev), T.hostProcessId(ev), T.userId(ev), thread ? THREAD_CELL : FORK_CELL);
      if (thread) {
        numText(l, A.childTid(ev));
        l.raw(STARTED);
      } else {
        l.raw(CHILD);
        numText(l, A.childPid(ev));
      }
      this.end(out, tone);
      return;
    }
    if (ev.is(EXIT)) {
      if (!A.groupExit(ev)) {
        if (!this.visible(false, false)) return;
        const l = this.begin("quiet");
        this.lead(l, T.timestamp(ev), T.hostProcessId(ev), T.userId(ev), THREAD_CELL);
        numText(l, T.hostThreadId(ev));
        l.raw(ENDED);
        this.end(out, "quiet");
        return;
      }
      const id = T.processEntityId(ev);
      const cmd = this.commands.get(id);
      this.commands.delete(id);
      const sig = A.signal(ev);
      const code = A.exitCode(ev);
      if (!this.visible(sig !== 0 || code !== 0, false)) return;
      const tone = sig !== 0 ? "signal" : code === 0 ? "plain" : "failure";
      const l = this.begin(tone);
      this.lead(
        l,
        T.timestamp(ev),
        T.hostProcessId(ev),
        T.userId(ev),
        sig !== 0 ? eventCell(signalName(sig)) : exitCell(code),
      );
      if (cmd !== undefined) put(l, cmd.text);
      else l.text(escapeDisplay(T.processName(ev)));
      this.tailStart = l.pos;
      l.raw(TWO_SPACES);
      durationTo(l, A.runTime(ev));
      if (A.core(ev)) l.raw(CORE);
      this.end(out, tone);
      return;
    }
    const r = this.slowRow(ev);
    if (this.shown(r)) this.render(out, r);
  }

  /** The row of a loss, a failed exec or another event, as a Row (a held one is written later). */
  private slowRow(ev: EventView): Row {
    if (ev.is(LOST)) {
      return {
        time: T.timestamp(ev),
        pid: null,
        uid: null,
        event: "lost",
        what: `${A.lost(ev)} events lost${A.skipped(ev) ? ` (${A.skipped(ev)} runs skipped by the kernel)` : ""}`,
        tone: "failure",
        failure: true,
      };
    }
    const failed = ev.is(EXEC_FAILED);
    const command = failed ? failedText(ev) : "";
    return {
      time: T.timestamp(ev),
      pid: T.hostProcessId(ev),
      uid: T.userId(ev),
      event: failed ? "execfail" : ev.def.short,
      what: failed ? `${command}: ${failedExecReason(ev)}` : "",
      tail: failed ? command.length : undefined,
      tone: failed ? "failure" : "plain",
      failure: failed,
    };
  }

  private render(out: ByteBuf, r: Row): void {
    const l = this.begin(r.tone);
    this.lead(l, r.time, r.pid, r.uid, eventCell(r.event));
    if (r.tail === undefined) l.text(r.what);
    else {
      l.text(r.what.slice(0, r.tail));
      this.tailStart = l.pos;
      l.text(r.what.slice(r.tail));
    }
    this.end(out, r.tone);
  }

  /** A new line in `line`, its colour first. */
  private begin(tone: Tone): ByteBuf {
    const l = this.line;
    l.pos = 0;
    if (this.o.color && tone !== "plain") l.raw(SGR_LIT[tone]);
    this.lineStart = l.pos;
    this.tailStart = -1;
    return l;
  }

  /** Columns of TIME, PID, USER and EVENT with their spaces. */
  private leadWidth(): number {
    return (this.o.timeOfDay ? W.tod : W.rel) + W.pid + W.user + W.event + 4;
  }

  /** TIME, PID, USER and EVENT, each with the space after it. */
  private lead(l: ByteBuf, time: bigint | null, pid: number | null, uid: number | null, event: Lit): void {
    if (this.o.timeOfDay) {
      if (time === null) spaces(l, W.tod);
      else timeOfDayTo(l, time);
    } else {
      const t = time === null ? "" : (Number(time - this.start!) / 1e9).toFixed(3);
      spaces(l, W.rel - t.length);
      l.ascii(t);
    }
    l.byte(0x20);
    if (pid === null) spaces(l, W.pid);
    else numStart(l, pid, W.pid);
    l.byte(0x20);
    l.raw(uid === null ? BLANK_USER : userCell(uid));
    l.raw(event);
    this.commandStart = l.pos;
  }

  /** The line ends: without white space at its end, cut to the width, its colour reset, a newline;
   * then copied to out. A line of printable ASCII that fits is as it was written; any other is
   * made text again for trimEnd and fit. */
  private end(out: ByteBuf, tone: Tone): void {
    const l = this.line;
    const s = this.lineStart;
    const buf = l.buf;
    const last = buf[l.pos - 1]!;
    let asIs = last > 0x20 && last < 0x7f;
    const width = this.o.width;
    if (asIs && width !== null) {
      if (l.pos - s > width) asIs = false;
      else
        for (let i = s; i < l.pos; i++)
          if (buf[i]! >= 0x80) {
            asIs = false;
            break;
          }
    }
    if (!asIs) {
      let text = utf8.decode(buf.subarray(s, l.pos));
      const c = text.charCodeAt(text.length - 1);
      if (!(c > 0x20 && c < 0x7f)) text = text.trimEnd();
      if (width !== null) {
        if (this.tailStart < 0) text = fit(text, width);
        else {
          const head = utf8.decode(buf.subarray(s, this.tailStart));
          const tail = text.slice(head.length);
          const minHead = this.leadWidth() + MIN_COMMAND;
          if ((tone === "failure" || tone === "signal") && Bun.stringWidth(tail) > width - minHead) {
            // a failure's end (its reason) that a cut would hide: the row goes on under COMMAND
            const lead = utf8.decode(buf.subarray(s, this.commandStart));
            const indent = Bun.stringWidth(lead);
            const next = this.o.color ? `${SGR.reset}\n${SGR[tone]}` : "\n";
            text = wrapWords(text.slice(lead.length), width - indent, MOST_LINES)
              .map((t, i) => (i === 0 ? lead : " ".repeat(indent)) + t)
              .join(next);
          } else text = fitKeeping(head, tail, width, minHead);
        }
      }
      l.pos = s;
      l.text(text);
    }
    if (this.o.color && tone !== "plain") l.raw(SGR_LIT.reset);
    l.byte(10);
    copyLine(out, l);
  }
}

// Table at JSC's DFG tier (src/jit.ts): its FTL compiles (row() with what it inlines, twice after
// an OSR exit) took ~320 ms of JIT threads' time in tracer show of a 266,127-line trace, more than
// FTL's code saved; main thread + JIT threads' CPU, 4 interleaved runs: 1.53 → 1.33 s.
dfgOnly(Table);
