// Redaction of an event read back from a saved trace (tracer show): the same rules on its lists'
// strings, so a trace recorded with --no-redact (or by another tool) is shown redacted too.
import { ScannedEvent, type SavedEvent } from "../decode/json-scan";
import { EVENTS } from "../decode/index";
import type { AnyDef } from "../decode/schema";
import type { Redactor } from "./redactor";
import { jsonMayHoldSecret, specialName } from "./bytes";

/**
 * Whether an argv list of a line read by the scanner is left as it is by the default rules, seen
 * from its JSON bytes with the pre-filter a live run uses on a record's (bytes.ts): none of the
 * bytes every default rule needs, and a program without rules of its own (mysql…, sshpass, curl).
 * A list with a backslash is decoded (an escape can spell a letter: \u0070 is p). Most command
 * lines pass without being decoded: reading every exec's lists cost ~20% of show's CPU.
 */
function leftAsIs(ev: SavedEvent, name: string, rules: Redactor): boolean {
  if (!(ev instanceof ScannedEvent) || !rules.defaultsOnly) return false;
  const r = ev.rawList(name as never);
  if (r === null) return false;
  const [s, e] = r;
  const b = ev.b;
  if (jsonMayHoldSecret(b, s, e)) return false;
  if (b[s + 1] !== 0x22) return true; // []
  let q = s + 2; // argv[0] ends at the next quote: it has no escapes
  while (b[q] !== 0x22) q++;
  let from = q;
  while (from > s + 2 && b[from - 1] !== 0x2f) from--;
  return !specialName(b, from, q);
}

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
  for (const { name, i, env } of LISTS.get(ev.def)!) {
    if ((!env && leftAsIs(ev, name, rules)) || !ev.has(name as never)) continue;
    const v = ev.arg(i);
    if (!Array.isArray(v)) continue;
    const red = env ? rules.env(v, name) : rules.argv(v, name);
    if (red === null) continue;
    ev.setArg(name as never, red.items);
    (hits ??= []).push(...red.hits);
  }
  if (hits === null) return;
  const before = ev.has("redacted") ? (ev.arg(ev.def.args.findIndex((f) => f.name === "redacted")) as string[]) : [];
  ev.setArg("redacted", [...before, ...hits.filter((h) => !before.includes(h))]);
}
