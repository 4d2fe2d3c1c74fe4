// Redaction of an event read back from a saved trace (tracer show): the same rules on its lists'
// strings, so a trace recorded with --no-redact (or by another tool) is shown redacted too.
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

/** Each event's lists that are redacted: the record's (argv, env), and the process table's argv
 * lists (an exit's argv, parent_argv); `env`: an environment. */
const LISTS = new Map<AnyDef, { name: string; i: number; env: boolean }[]>(
  EVENTS.map((d) => [
    d,
    d.args.flatMap((f, i) => {
      const env = f.area !== null ? f.area.env : f.type === "[]string" && /argv$/.test(f.name) ? false : null;
      return env === null ? [] : [{ name: f.name, i, env }];
    }),
  ]),
);

/** Replace the secrets in the event's argv/env args; adds what was replaced to `redacted`. */
export function redactJsonEvent(ev: SavedEvent, rules: Redactor): void {
  let hits: string[] | null = null;
  let memo = memos.get(rules);
  if (memo === undefined) memos.set(rules, (memo = new Map()));
  for (const { name, i, env } of LISTS.get(ev.def)!) {
    const raw = ev instanceof ScannedEvent ? ev.rawList(name as never) : null;
    if (raw !== null && !env && leftAsIs((ev as ScannedEvent).b, raw[0], raw[1], rules)) continue;
    const key = raw !== null ? name + ":" + (ev as ScannedEvent).b.toString("latin1", raw[0], raw[1]) : null;
    let red = key !== null ? memo.get(key) : undefined;
    if (red === undefined) {
      if (!ev.has(name as never)) continue;
      const v = ev.arg(i);
      if (!Array.isArray(v)) continue;
      red = env ? rules.env(v, name) : rules.argv(v, name);
      if (key !== null) {
        if (memo.size >= MEMO_MAX) memo.clear();
        memo.set(key, red);
      }
    }
    if (red === null) continue;
    ev.setArg(name as never, red.items.slice());
    (hits ??= []).push(...red.hits);
  }
  if (hits === null) return;
  const before = ev.has("redacted") ? (ev.arg(ev.def.args.findIndex((f) => f.name === "redacted")) as string[]) : [];
  ev.setArg("redacted", [...before, ...hits.filter((h) => !before.includes(h))]);
}
