// Redaction of an event read back from a saved trace (tracer show): the same rules on its lists'
// strings, so a trace recorded with --no-redact (or by another tool) is shown redacted too.
import { dfgOnly } from "../jit";
import { ScannedEvent, type SavedEvent } from "../decode/json-scan";
import { EVENTS } from "../decode/index";
import type { AnyDef } from "../decode/schema";
import type { Redacted, Redactor } from "./redactor";
import { jsonMayHoldSecret, specialName } from "./bytes";

/**
 * Whether an argv list of a line read by the scanner, its JSON bytes b[s, e), is left as it is by
 * the default rules, seen with the pre-filter a live run uses on a record's (bytes.ts): none of
 * the bytes every default rule needs, and a program without rules of its own (mysql…, sshpass,
 * curl). A list with a backslash is decoded (an escape can spell a letter: \u0070 is p). Most
 * command lines pass without being decoded: reading every exec's lists cost ~20% of show's CPU.
 */
function leftAsIs(b: Buffer, s: number, e: number, rules: Redactor): boolean {
  if (!rules.defaultsOnly) return false;
  if (jsonMayHoldSecret(b, s, e)) return false;
  if (b[s + 1] !== 0x22) return true; // []
  let q = s + 2; // argv[0] ends at the next quote: it has no escapes
  while (b[q] !== 0x22) q++;
  let from = q;
  while (from > s + 2 && b[from - 1] !== 0x2f) from--;
  return !specialName(b, from, q);
}

/** What the rules made of a list that was decoded (null: nothing to replace), by its field and its
 * JSON bytes, per set of rules: a process's argv comes back in each child's events as parent_argv
 * and in its own exit's, so a list with an escape or a trigger's bytes is met again and again (a
 * whole-host trace: 37,159 such lists, 296 distinct; decoding them and running the rules was
 * ~20% of show's CPU). */
const memos = new WeakMap<Redactor, Map<string, Redacted | null>>();
const MEMO_MAX = 4096;

/** A list of an event's that is redacted, and the last one met there (its JSON bytes, by which
 * rules, and what they made of it: AS_IS, null for nothing replaced, or the replacement): a
 * thread's events carry its process's argv and parent_argv, the same bytes line after line (a
 * whole-host trace: 67,691 thread exits), and one compare of them costs less than finding where
 * they end, the pre-filter and the memo's look-up. */
interface List {
  name: string;
  i: number;
  /** An environment (no pre-filter). */
  env: boolean;
  last: Uint8Array | null;
  lastRules: Redactor | null;
  lastRed: Redacted | null | typeof AS_IS;
}
const AS_IS = Symbol("as is");

/** Each event's lists that are redacted: the record's (argv, env), and the process table's argv
 * lists (an exit's argv, parent_argv). */
const LISTS = new Map<AnyDef, List[]>(
  EVENTS.map((d) => [
    d,
    d.args.flatMap((f, i) => {
      const env = f.area !== null ? f.area.env : f.type === "[]string" && /argv$/.test(f.name) ? false : null;
      return env === null ? [] : [{ name: f.name, i, env, last: null, lastRules: null, lastRed: null }];
    }),
  ]),
);

/** What the rules make of list l's bytes b[s, e) of a line the scanner read: AS_IS (the
 * pre-filter passes it), null (nothing replaced) or the replacement; undefined when the line says
 * it is no list. */
function listRedacted(
  ev: ScannedEvent,
  l: List,
  s: number,
  e: number,
  rules: Redactor,
): Redacted | null | typeof AS_IS | undefined {
  const b = ev.b;
  const last = l.last;
  if (l.lastRules === rules && last !== null && last.length === e - s && b.compare(last, 0, last.length, s, e) === 0)
    return l.lastRed;
  let red: Redacted | null | typeof AS_IS | undefined;
  if (!l.env && leftAsIs(b, s, e, rules)) red = AS_IS;
  else {
    let memo = memos.get(rules);
    if (memo === undefined) memos.set(rules, (memo = new Map()));
    const key = l.name + ":" + b.toString("latin1", s, e);
    red = memo.get(key);
    if (red === undefined) {
      const v = ev.arg(l.i);
      if (!Array.isArray(v)) return undefined;
      red = l.env ? rules.env(v, l.name) : rules.argv(v, l.name);
      if (memo.size >= MEMO_MAX) memo.clear();
      memo.set(key, red);
    }
  }
  l.last = b.slice(s, e);
  l.lastRules = rules;
  l.lastRed = red;
  return red;
}

/** Each event's args redaction reads or sets (its lists and `redacted`), each marked by its own
 * number (ScannedEvent.beforeReading), and its lists by their place. */
const GUARDS = new Map<AnyDef, { guard: Uint8Array; lists: (List | undefined)[] } | null>(
  EVENTS.map((d) => {
    const lists = LISTS.get(d)!;
    if (lists.length === 0) return [d, null];
    const guard = new Uint8Array(d.args.length);
    const byPlace: (List | undefined)[] = [];
    let n = 0;
    d.args.forEach((f, i) => {
      const l = lists.find((x) => x.i === i);
      if (l !== undefined || f.name === "redacted") guard[i] = ++n;
      byPlace[i] = l;
    });
    if (n > 31) throw new Error(`${d.name}: more args redaction reads than ScannedEvent.beforeReading marks`);
    return [d, { guard, lists: byPlace }];
  }),
);

/** redactJsonEvent's work on a scanned line when its arg i is first read: list i alone when the
 * rules leave it as it is (the others when they are read), else the whole event; true: done. */
function redactFor(ev: ScannedEvent, i: number, rules: Redactor): boolean {
  const l = GUARDS.get(ev.def)!.lists[i];
  if (l !== undefined) {
    const at = ev.listAt(i);
    if (at >= 0) {
      const red = listRedacted(ev, l, at, ev.listEnd, rules);
      if (red === AS_IS || red === null) return false;
    }
  }
  redactNow(ev, rules);
  return true;
}

/** redactFor with the last rules redactJsonEvent was given (one function while they stay). */
let hookRules: Redactor | null = null;
let hook: (ev: ScannedEvent, i: number) => boolean = () => true;

/** Replace the secrets in the event's argv/env args; adds what was replaced to `redacted`. A line
 * the scanner reads is redacted list by list as they are first read (ScannedEvent.beforeReading),
 * whole once one needs a replacement or `redacted` is read: the same values for whoever reads
 * them, and no work for lists nobody reads (the table of a 266,127-line whole-host trace: ~8% less
 * CPU, min of 8 interleaved runs 1.03 → 0.95 s, load 3-5). */
export function redactJsonEvent(ev: SavedEvent, rules: Redactor): void {
  if (ev instanceof ScannedEvent) {
    const g = GUARDS.get(ev.def)!;
    if (g === null) return;
    if (hookRules !== rules) {
      hookRules = rules;
      hook = (e, i) => redactFor(e, i, rules);
    }
    ev.beforeReading(g.guard, hook);
  } else redactNow(ev, rules);
}

function redactNow(ev: SavedEvent, rules: Redactor): void {
  let hits: string[] | null = null;
  for (const l of LISTS.get(ev.def)!) {
    const at = ev instanceof ScannedEvent ? ev.listAt(l.i) : -1;
    let red: Redacted | null | typeof AS_IS | undefined;
    if (at >= 0) red = listRedacted(ev as ScannedEvent, l, at, (ev as ScannedEvent).listEnd, rules);
    else if (ev.has(l.name as never)) {
      const v = ev.arg(l.i);
      if (Array.isArray(v)) red = l.env ? rules.env(v, l.name) : rules.argv(v, l.name);
    }
    if (red === undefined || red === null || red === AS_IS) continue;
    ev.setArg(l.name as never, red.items.slice());
    (hits ??= []).push(...red.hits);
  }
  if (hits === null) return;
  const before = ev.has("redacted") ? (ev.arg(ev.def.args.findIndex((f) => f.name === "redacted")) as string[]) : [];
  ev.setArg("redacted", [...before, ...hits.filter((h) => !before.includes(h))]);
}
dfgOnly(leftAsIs, listRedacted, redactFor, redactJsonEvent, redactNow); // src/jit.ts: tracer show
