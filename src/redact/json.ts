// Redaction of an event read back from a saved trace (tracer show): the same rules on its lists'
// strings, so a trace recorded with --no-redact (or by another tool) is shown redacted too.
import type { SavedEvent } from "../decode/json-scan";
import type { Redactor } from "./redactor";

/** Replace the secrets in the event's argv/env args; adds what was replaced to `redacted`. */
export function redactJsonEvent(ev: SavedEvent, rules: Redactor): void {
  let hits: string[] | null = null;
  for (const f of ev.def.args) {
    // the record's lists, and the process table's argv lists (an exit's argv, parent_argv)
    const env = f.area !== null ? f.area.env : f.type === "[]string" && /argv$/.test(f.name) ? false : null;
    if (env === null || !ev.has(f.name)) continue;
    const v = ev.arg(ev.def.args.indexOf(f));
    if (!Array.isArray(v)) continue;
    const red = env ? rules.env(v, f.name) : rules.argv(v, f.name);
    if (red === null) continue;
    ev.setArg(f.name, red.items);
    (hits ??= []).push(...red.hits);
  }
  if (hits === null) return;
  const before = ev.has("redacted") ? (ev.arg(ev.def.args.findIndex((f) => f.name === "redacted")) as string[]) : [];
  ev.setArg("redacted", [...before, ...hits.filter((h) => !before.includes(h))]);
}
