// Human-readable table, one line per event; every byte a process controls is escaped or quoted.

import { constants } from "node:os";
import { errnoName } from "../decode/errno.ts";
import type { Arg, TraceEvent } from "../event.ts";

/*
 * Columns: TIME (local HH:MM:SS.mmm) COMM PID PPID UID EVENT ARGS. PIDs are host pids (what
 * ps on the host shows). Strings from the traced process (comm, paths, argv) never reach the
 * terminal raw: argv is shell-quoted, with bash $'...' quoting when it holds control
 * characters or non-UTF-8 bytes (shown as \xNN), so the line can be pasted back into a shell;
 * comm and other bare fields are escaped the same way without quotes.
 *
 * Args read per event (names as src/decode/ produces them, Tracee's where Tracee has one):
 * exec: pathname, argv (argv[0] shown only when it differs from the path and its basename),
 * argv_dropped_args/argv_dropped_bytes (> 0: " ..." marks the cut); exec failed: error (or
 * errno from returnValue), path (or binary.path), arguments, arguments_dropped_*; fork:
 * child_pid, child_tid; exit: exit_code, signal_code, core_dumped (without signal_code,
 * exit_code is read as the raw wait status); lost_events: lost.
 */

const W = { time: 13, comm: 17, pid: 8, ppid: 8, uid: 7, event: 10 }; // column widths incl. gap

const LABEL: Record<string, string> = {
  sched_process_exec: "exec",
  process_execute_failed: "execfail",
  sched_process_fork: "fork",
  sched_process_exit: "exit",
  lost_events: "lost",
};

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

function argValue(args: readonly Arg[], name: string): unknown {
  for (let i = 0; i < args.length; i++) if (args[i]!.name === name) return args[i]!.value;
  return undefined;
}

function asString(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function asStrings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  return undefined;
}

function basename(p: string): string {
  const i = p.lastIndexOf("/");
  return i === -1 ? p : p.slice(i + 1);
}

/** pathname argv[1..]; argv[0] added as argv0=... when it is not the path or its basename. */
function commandLine(path: string | undefined, argv: string[], cut: boolean): string {
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

function killed(sig: number, core: boolean): string {
  return "killed by " + signalName(sig) + (core ? " (core dumped)" : "");
}

function exitText(args: readonly Arg[]): string {
  const code = asNumber(argValue(args, "exit_code"));
  const sig = asNumber(argValue(args, "signal_code"));
  if (sig !== undefined) {
    if (sig !== 0) return killed(sig, argValue(args, "core_dumped") === true);
    return code === undefined ? "" : "exit " + code;
  }
  if (code === undefined) return "";
  // Raw wait status (task->exit_code): status << 8 | core << 7 | signal.
  if ((code & 0x7f) !== 0) return killed(code & 0x7f, (code & 0x80) !== 0);
  return "exit " + ((code >> 8) & 0xff);
}

/** True if the decoder says part of this list was not captured. */
function listCut(args: readonly Arg[], prefix: string): boolean {
  const items = asNumber(argValue(args, prefix + "_dropped_args")) ?? 0;
  const bytes = asNumber(argValue(args, prefix + "_dropped_bytes")) ?? 0;
  return items > 0 || bytes > 0 || argValue(args, prefix + "_truncated") === true;
}

/** The ARGS column for one event. */
export function describe(e: TraceEvent): string {
  const args = e.args;
  switch (e.eventName) {
    case "sched_process_exec":
      return commandLine(
        asString(argValue(args, "pathname")) ?? e.executable.path,
        asStrings(argValue(args, "argv")),
        listCut(args, "argv"),
      );
    case "process_execute_failed": {
      const binary = argValue(args, "binary") as { path?: unknown } | undefined;
      const path =
        asString(argValue(args, "path")) ??
        (binary && typeof binary === "object" ? asString(binary.path) : undefined);
      const argv = asStrings(argValue(args, "arguments") ?? argValue(args, "argv"));
      const cut = listCut(args, "arguments") || listCut(args, "argv");
      const named = asString(argValue(args, "error"));
      const err = named ? escapeDisplay(named) : e.returnValue < 0 ? errnoName(-e.returnValue) : "ret " + e.returnValue;
      return err + " " + commandLine(path, argv, cut);
    }
    case "sched_process_fork": {
      const pid = asNumber(argValue(args, "child_pid"));
      const tid = asNumber(argValue(args, "child_tid"));
      let out = "child=" + (pid ?? "?");
      if (tid !== undefined && pid !== undefined && tid !== pid) out += " thread=" + tid;
      return out;
    }
    case "sched_process_exit":
      return exitText(args);
    case "lost_events": {
      const n = asNumber(argValue(args, "lost"));
      return n === undefined ? "" : n + " events lost";
    }
    default:
      return "";
  }
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

/** One table line for the event, newline included. */
export function formatTable(e: TraceEvent): string {
  const head =
    pad(timeOfDay(e.timestamp), W.time) +
    pad(escapeDisplay(e.processName), W.comm) +
    pad("" + e.hostProcessId, W.pid) +
    pad("" + e.hostParentProcessId, W.ppid) +
    pad("" + e.userId, W.uid) +
    pad(LABEL[e.eventName] ?? escapeDisplay(e.eventName), W.event);
  const d = describe(e);
  return (d === "" ? head.trimEnd() : head + d) + "\n";
}

/**
 * A table formatter for one output: the header goes to sink now if one is given, else in
 * front of the first line.
 */
export function createTableFormatter(sink?: { write(s: string): void }): (e: TraceEvent) => string {
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
