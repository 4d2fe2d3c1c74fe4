// The record side of redaction: a NUL-separated list of bytes (argv, env) → null when nothing in it
// is a secret, else the list's new bytes. A pre-filter looks for the few bytes every default rule
// needs before anything is decoded (most command lines have none of them); only a list that has
// them is decoded and given to the rules (redactor.ts), and re-encoded byte for byte.
import { dfgOnly } from "../jit";
import { decodeBytes, encodeBytes, nulListEnd } from "../decode/text";
import { CURL, MYSQL_LIKE, SSHPASS } from "./rules";
import type { Redactor } from "./redactor";

export interface RedactedBytes {
  bytes: Uint8Array;
  hits: string[];
}

/** The triggers: each needle (lowercase letters match either case) is what one or more rules
 * need somewhere in the list. */
const NEEDLES = [
  "pass",
  "pwd",
  "secret",
  "token",
  "key",
  "cred",
  "auth",
  "://",
  "akia",
  "asia",
  "ghp_",
  "gho_",
  "ghu_",
  "ghs_",
  "ghr_",
  "github_pat_",
  "xox",
  "eyj",
];

/** Needles by their first two bytes (every case of them): one table look-up per byte finds the
 * few places worth comparing (a byte-by-byte switch on the first letter cost ~2x: p, s, t, c, a
 * and e start a third of a compile line's bytes). */
const BY_PAIR = new Map<number, string[]>();
const PAIR = new Uint8Array(65536);
{
  const cases = (c: number) => (c >= 0x61 && c <= 0x7a ? [c, c - 0x20] : [c]);
  for (const n of NEEDLES) {
    for (const a of cases(n.charCodeAt(0))) {
      for (const b of cases(n.charCodeAt(1))) {
        const k = (a << 8) | b;
        PAIR[k] = 1;
        let l = BY_PAIR.get(k);
        if (!l) BY_PAIR.set(k, (l = []));
        l.push(n.slice(2));
      }
    }
  }
}

/** u8[i ..] starts with `rest` (lowercase letters match either case; other bytes exactly). */
function follows(u8: Uint8Array, i: number, end: number, rest: string): boolean {
  if (i + rest.length > end) return false;
  for (let k = 0; k < rest.length; k++) {
    const want = rest.charCodeAt(k);
    const b = u8[i + k]!;
    if (b !== want && !(want >= 0x61 && want <= 0x7a && b === want - 0x20)) return false;
  }
  return true;
}

/**
 * Whether u8[start, end) holds anything a default rule looks for: pass, pwd, secret, token, key,
 * cred, auth, ://, AKIA/ASIA, gh?_, github_pat_, xox, eyJ (any case). A list without any of these
 * cannot hold a secret the default rules would find, so it is left as it is, undecoded.
 */
export function mayHoldSecret(u8: Uint8Array, start: number, end: number): boolean {
  if (end - start < 2) return false;
  let pair = u8[start]!;
  for (let i = start + 1; i < end; i++) {
    pair = ((pair << 8) | u8[i]!) & 0xffff;
    if (PAIR[pair] === 0) continue;
    for (const rest of BY_PAIR.get(pair)!) if (follows(u8, i + 1, end, rest)) return true;
  }
  return false;
}

/** mayHoldSecret of a JSON list's bytes, in the same pass true at a backslash too (an escape
 * can spell a trigger's letter: \u0070 is p). For tracer show: one loop, no native search. */
export function jsonMayHoldSecret(u8: Uint8Array, start: number, end: number): boolean {
  if (end - start < 2) return u8[start] === 0x5c;
  let pair = u8[start]!;
  if (pair === 0x5c) return true;
  for (let i = start + 1; i < end; i++) {
    const b = u8[i]!;
    if (b === 0x5c) return true;
    pair = ((pair << 8) | b) & 0xffff;
    if (PAIR[pair] === 0) continue;
    for (const rest of BY_PAIR.get(pair)!) if (follows(u8, i + 1, end, rest)) return true;
  }
  return false;
}

/** The name u8[from, stop) is one of the programs with rules of their own (mysql -pX, sshpass,
 * curl -u); decoded only when its length and first letter say it may be. */
export function specialName(u8: Uint8Array, from: number, stop: number): boolean {
  const n = stop - from;
  if (n < 4 || n > 40) return false;
  const c = u8[from]!;
  if (c !== 0x6d && c !== 0x73 && c !== 0x63) return false; // m s c
  const name = decodeBytes(u8, from, stop);
  return name === CURL || name === SSHPASS || MYSQL_LIKE.test(name);
}

/** argv[0]'s last component is one of the programs with rules of their own. */
function specialProgram(u8: Uint8Array, start: number, end: number): boolean {
  let stop = start;
  while (stop < end && u8[stop] !== 0) stop++;
  let from = stop;
  while (from > start && u8[from - 1] !== 0x2f) from--;
  return specialName(u8, from, stop);
}

/** The strings of a NUL list; `cut`: the last one has no NUL (the capture limit cut it). */
function strings(u8: Uint8Array, start: number, end: number): { items: string[]; cut: boolean } {
  const stop = nulListEnd(u8, start, end);
  return { items: decodeBytes(u8, start, stop).split("\0"), cut: stop === end };
}

/** The list's bytes again, each string NUL-terminated as it was (the cut one without). */
function join(items: string[], cut: boolean): Uint8Array {
  return encodeBytes(items.join("\0") + (cut ? "" : "\0"));
}

export class ByteRedactor {
  constructor(readonly rules: Redactor) {}

  /** argv bytes [start, end): null when nothing is replaced. `field` names it in the hits. */
  argv(u8: Uint8Array, start: number, end: number, field: string): RedactedBytes | null {
    if (end <= start) return null;
    const r = this.rules;
    // with --redact-env, a NAME=value argument of such a name needs none of the triggers
    const trigger = r.defaults && (!r.defaultsOnly || mayHoldSecret(u8, start, end) || specialProgram(u8, start, end));
    if (r.patterns.length === 0 && !trigger) return null;
    const { items, cut } = strings(u8, start, end);
    const red = r.argv(items, field);
    return red && { bytes: join(red.items, cut), hits: red.hits };
  }

  /** Environment bytes [start, end) (with --env): every entry's name is looked at, so no pre-filter. */
  env(u8: Uint8Array, start: number, end: number, field: string): RedactedBytes | null {
    if (end <= start) return null;
    const { items, cut } = strings(u8, start, end);
    const red = this.rules.env(items, field);
    return red && { bytes: join(red.items, cut), hits: red.hits };
  }
}

dfgOnly(follows, specialName, specialProgram, strings, join, ByteRedactor, mayHoldSecret, jsonMayHoldSecret); // src/jit.ts
