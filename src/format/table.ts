// Human-readable table, one line per event; every byte a process controls is escaped or quoted.

import { constants } from "node:os";
import { accessor, type RecordEvent } from "../decode/event.ts";
import { EXEC, EXEC_FAILED, EXIT, FORK, LOST } from "../decode/index.ts";
import { topAccessor } from "../decode/top.ts";

/*
 * Columns: TIME (local HH:MM:SS.mmm) COMM PID PPID UID EVENT ARGS. PIDs are host pids (what
 * ps on the host shows). Strings from the traced process (comm, paths, argv) never reach the
 * terminal raw: argv is shell-quoted, with bash $'...' quoting when it holds control
 * characters or non-UTF-8 bytes (shown as \xNN), so the line can be pasted back into a shell;
 * comm and other bare fields are escaped the same way without quotes.
 *
 * Args are read by name through the schema's accessors (see describe()).
 */

const W = { time: 13, comm: 17, pid: 8, ppid: 8, uid: 7, event: 10 }; // column widths incl. gap


const SIGNAL_NAME = new Map<number, string>();
for (const [name, n] of Object.entries(constants.signals)) {
  if (!SIGNAL_NAME.has(n)) SIGNAL_NAME.set(n, name);
}

export function signalName(sig: number): string {
  return SIGNAL_NAME.get(sig) ?? `signal ${sig}`;
}

// Characters that must not reach a terminal raw: C0/C1 controls, DEL, lone surrogates
// (escaped non-UTF-8 bytes), bidi overrides and isolates, line/paragraph separators.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]/;
const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

function hex2(n: number): string {
  return (n < 16 ? "0" : "") + n.toString(16);
}

/** Escape for display inside $'...' (or bare): \n \t \\ \' \xNN for bytes, \uXXXX otherwise. */
function escapeChars(s: string, quote: boolean): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) out += "\\\\";
    else if (c === 0x27 && quote) out += "\\'";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x0d) out += "\\r";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + hex2(c);
    else if (c >= 0xd800 && c <= 0xdfff) {
      const d = s.charCodeAt(i + 1);
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!; // a valid pair: an astral character, printable
        i++;
      } else if (c >= 0xdc80 && c <= 0xdcff) {
        out += "\\x" + hex2(c - 0xdc00); // a byte that was not UTF-8
      } else {
        out += "\\u" + c.toString(16).padStart(4, "0");
      }
    } else if (UNSAFE.test(s[i]!)) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += s[i];
  }
  return out;
}

/** Quote one word for a POSIX shell: bare if safe, '...' if printable, $'...' otherwise. */
export function shellQuote(s: string): string {
  if (s.length > 0 && SHELL_SAFE.test(s)) return s;
  if (!UNSAFE.test(s)) return "'" + s.replaceAll("'", "'\\''") + "'";
  return "$'" + escapeChars(s, true) + "'";
}

/** Escape a bare field (comm, paths in key=value): no quotes, nothing raw that a terminal acts on. */
export function escapeDisplay(s: string): string {
  if (!UNSAFE.test(s) && s.indexOf("\\") === -1) return s;
  return escapeChars(s, false);
}

function basename(p: string): string {
  const i = p.lastIndexOf("/");
  return i === -1 ? p : p.slice(i + 1);
}

/** pathname argv[1..]; argv[0] added as argv0=... when it is not the path or its basename. */
function commandLine(path: string | undefined, argv: readonly string[], cut: boolean): string {
  let out = "";
  if (path !== undefined) out = shellQuote(path);
  else if (argv.length > 0) out = shellQuote(argv[0]!);
  for (let i = 1; i < argv.length; i++) out += " " + shellQuote(argv[i]!);
  if (cut) out += " ...";
  if (path !== undefined && argv.length > 0) {
    const a0 = argv[0]!;
    if (a0 !== path && a0 !== basename(path)) out += "  [argv0=" + shellQuote(a0) + "]";
  }
  return out;
}

/** How a process or thread ended, as wait(2) told it. */
export function endText(code: number, sig: number, core: boolean): string {
  return sig !== 0 ? "killed by " + signalName(sig) + (core ? " (core dumped)" : "") : "exit " + code;
}

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
  childPid: accessor(FORK, "child_pid"),
  childTid: accessor(FORK, "child_tid"),
  exitCode: accessor(EXIT, "exit_code"),
  signal: accessor(EXIT, "signal_code"),
  core: accessor(EXIT, "core_dumped"),
  lost: accessor(LOST, "lost"),
};

/** The ARGS column for one event. */
export function describe(ev: RecordEvent): string {
  if (ev.is(EXEC)) {
    return commandLine(A.pathname(ev), A.argv(ev), A.argvDroppedArgs(ev) > 0 || A.argvDroppedBytes(ev) > 0);
  }
  if (ev.is(EXEC_FAILED)) {
    const cut = A.argumentsDroppedArgs(ev) > 0 || A.argumentsDroppedBytes(ev) > 0;
    return escapeDisplay(A.error(ev)) + " " + commandLine(A.path(ev), A.arguments(ev), cut);
  }
  if (ev.is(FORK)) {
    const pid = A.childPid(ev);
    const tid = A.childTid(ev);
    return "child=" + pid + (tid !== pid ? " thread=" + tid : "");
  }
  if (ev.is(EXIT)) return endText(A.exitCode(ev), A.signal(ev), A.core(ev));
  if (ev.is(LOST)) return A.lost(ev) + " events lost";
  return "";
}

function pad(s: string, width: number): string {
  return s.length >= width ? s + " " : s + " ".repeat(width - s.length);
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

/** The header line, newline included; print it once before the first event. */
export const HEADER =
  pad("TIME", W.time) +
  pad("COMM", W.comm) +
  pad("PID", W.pid) +
  pad("PPID", W.ppid) +
  pad("UID", W.uid) +
  pad("EVENT", W.event) +
  "ARGS\n";

const T = {
  timestamp: topAccessor("timestamp"),
  processName: topAccessor("processName"),
  hostProcessId: topAccessor("hostProcessId"),
  hostParentProcessId: topAccessor("hostParentProcessId"),
  userId: topAccessor("userId"),
};

/** One table line for the event, newline included. */
export function formatTable(ev: RecordEvent): string {
  const head =
    pad(timeOfDay(T.timestamp(ev)), W.time) +
    pad(escapeDisplay(T.processName(ev)), W.comm) +
    pad("" + T.hostProcessId(ev), W.pid) +
    pad("" + T.hostParentProcessId(ev), W.ppid) +
    pad("" + T.userId(ev), W.uid) +
    pad(ev.def.short, W.event);
  const d = describe(ev);
  return (d === "" ? head.trimEnd() : head + d) + "\n";
}

/**
 * A table formatter for one output: the header goes to sink now if one is given, else in
 * front of the first line.
 */
export function createTableFormatter(sink?: { write(s: string): void }): (e: RecordEvent) => string {
  let header = true;
  if (sink) {
    sink.write(HEADER);
    header = false;
  }
  return (e) => {
    if (!header) return formatTable(e);
    header = false;
    return HEADER + formatTable(e);
  };
}
