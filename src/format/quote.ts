// Text from traced processes made safe for a terminal: shell quoting of argv, escaping of bare
// fields, signal names, and how a process ended in words (shared by the table, --tree and show).
import { constants } from "node:os";

const SIGNAL_NAME = new Map<number, string>();
for (const [name, n] of Object.entries(constants.signals)) {
  if (!SIGNAL_NAME.has(n)) SIGNAL_NAME.set(n, name);
}

export function signalName(sig: number): string {
  return SIGNAL_NAME.get(sig) ?? `signal ${sig}`;
}

// Characters that must not reach a terminal raw: C0/C1 controls and DEL (Cc), lone surrogates
// (escaped non-UTF-8 bytes), line/paragraph separators, and every format character (Cf): bidi
// embeddings, overrides, isolates and marks (U+202A-202E, U+2066-2069, U+200E/F, U+061C), the
// byte order mark, zero-width characters (U+200B-200D, U+2060), soft hyphen, tags. Invisible or
// reordering, they could make a row read as something else ("Trojan Source").
const UNSAFE = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u;
/** The characters a shell word may hold bare, unquoted. */
const SHELL_SAFE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-";
const SHELL_SAFE = new RegExp(`^[${SHELL_SAFE_CHARS.replace(/[-\]\\^]/g, "\\$&")}]+$`);
/** SHELL_SAFE_BYTE[c] = 1 for the bytes of SHELL_SAFE_CHARS (a saved line's bytes, cells.ts). */
export const SHELL_SAFE_BYTE = new Uint8Array(256);
for (const c of SHELL_SAFE_CHARS) SHELL_SAFE_BYTE[c.charCodeAt(0)] = 1;

function hex2(n: number): string {
  return (n < 16 ? "0" : "") + n.toString(16);
}

/** Escape for display inside $'...' (or bare): \n \t \\ \' \xNN for bytes, \uXXXX or \UXXXXXXXX otherwise. */
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
        const pair = s[i]! + s[i + 1]!; // a valid pair: an astral character
        out += UNSAFE.test(pair) ? "\\U" + s.codePointAt(i)!.toString(16).padStart(8, "0") : pair;
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

/** How a process or thread ended, as wait(2) told it. */
export function endText(code: number, sig: number, core: boolean): string {
  return sig !== 0 ? "killed by " + signalName(sig) + (core ? " (core dumped)" : "") : "exit " + code;
}

/** The last component of a path. */
export function basename(p: string): string {
  const i = p.lastIndexOf("/");
  return i === -1 ? p : p.slice(i + 1);
}

/** An argv as a shell line, each word quoted as needed. */
export function argvText(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}
