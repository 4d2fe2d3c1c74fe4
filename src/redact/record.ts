// The redaction stage of the data path: before anything reads an event, each NUL list the schema
// places in the record (argv, env: Field.area) is given to the rules; when one has a secret, the
// event is pointed at a copy of its record whose list span points at the redacted bytes (the
// secret's bytes zeroed in the copy), so every reader — the JSON encoder writing straight from
// the record, the table, the tree, the CI outputs, the stream — sees the redacted list only.
import { rec_header as H, span as S } from "../decode/layout.gen";
import type { RecordEvent } from "../decode/event";
import type { AnyDef, Field, NulArea, NulPlace } from "../decode/schema";
import { ByteRedactor, type RedactedBytes } from "./bytes";
import { Redactor, type RedactOptions } from "./redactor";
import { dfgOnly } from "../jit";

type Listed = Field & { area: NulPlace };

const listsOf = new Map<AnyDef, Listed[]>();
function lists(def: AnyDef): Listed[] {
  let l = listsOf.get(def);
  if (l === undefined) listsOf.set(def, (l = def.args.filter((f): f is Listed => f.area !== null)));
  return l;
}

dfgOnly(lists); // src/jit.ts (it reached FTL: 7-9 ms of compile in a run of 3,000 spawns)

/** The rules of these options on bytes, or null when none applies (--no-redact and nothing added). */
export function byteRedactor(o: RedactOptions): ByteRedactor | null {
  const rules = new Redactor(o);
  return rules.empty ? null : new ByteRedactor(rules);
}

/** The stage: redacts an event's lists in place (true when the event now views a redacted copy). */
export function redactStage(bytes: ByteRedactor): (ev: RecordEvent) => boolean {
  let scratch = Buffer.alloc(1 << 16);
  let scratchDv = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
  const found: [Listed, NulArea, RedactedBytes][] = [];

  return (ev) => {
    const l = lists(ev.def);
    if (l.length === 0) return false;
    const r = ev.r;
    found.length = 0;
    for (let i = 0; i < l.length; i++) {
      const f = l[i]!;
      const a = f.fn!(ev) as NulArea | null;
      if (a === null) continue;
      const red = f.area.env ? bytes.env(r.u8, a.start, a.end, f.name) : bytes.argv(r.u8, a.start, a.end, f.name);
      if (red !== null) found.push([f, a, red]);
    }
    if (found.length === 0) return false;
    const size = r.dv.getUint32(r.off + H.size, true);
    let total = size;
    for (const [, , red] of found) total += red.bytes.length;
    if (total > scratch.length) {
      scratch = Buffer.alloc(Math.max(total, 2 * scratch.length));
      scratchDv = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
    }
    scratch.set(r.u8.subarray(r.off, r.off + size), 0);
    const hits: string[] = [];
    let pos = size;
    for (const [f, a, red] of found) {
      scratch.fill(0, a.start - r.off, a.end - r.off); // the secret's bytes leave no copy behind
      scratch.set(red.bytes, pos);
      const was = a.end - a.start;
      const n = red.bytes.length;
      scratchDv.setUint32(f.area.span + S.off, pos, true);
      scratchDv.setUint32(f.area.span + S.len, n, true);
      // the process's own byte total moves by as much, so what was not captured stays the same
      const had = scratchDv.getUint32(f.area.size, true);
      scratchDv.setUint32(f.area.size, had > was ? had - was + n : n, true);
      pos += n;
      hits.push(...red.hits);
    }
    scratchDv.setUint32(H.size, total, true);
    ev.set(ev.def, scratchDv, scratch, 0, total);
    ev.x.redacted = hits;
    return true;
  };
}
