// Parent context: the args exec, failed exec and exit lines take from the process table
// (ev.x.parent, ev.x.ancestors: src/enrich/process-table.ts), so a line names who started the
// process without a look-up of another line (which is missing when the parent began before the
// tracer, and racy afterwards).
import type { ProcInfo, RecordEvent } from "../event";
import { num, obj, procArgv, str } from "../schema";

/** `hits` with the parent's argv redactions added as `parent_argv[INDEX]:RULE` (the same list
 * when there are none). */
export function withParentHits(hits: readonly string[], parent: ProcInfo | null): readonly string[] {
  if (parent === null || parent.argvHits.length === 0) return hits;
  return [...hits, ...parent.argvHits.map((h) => "parent_" + h)];
}

/** `cut` with parent_argv added when the table's copy of it was cut. */
export function withParentCut(cut: readonly string[], parent: ProcInfo | null): readonly string[] {
  return parent?.argvCut ? [...cut, "parent_argv"] : cut;
}

export function parentFields() {
  return [
    str(
      "parent_path",
      (ev: RecordEvent) => ev.x.parent?.path ?? "",
      "ours: the parent's program (its last exec's `pathname`, or `/proc/PID/exe` for a process that began before the tracer), from the tracer's process table; empty when the table does not know the parent",
    ),
    str("parent_comm", (ev: RecordEvent) => ev.x.parent?.comm ?? "", "ours: the parent's comm, likewise"),
    procArgv(
      "parent_argv",
      (ev: RecordEvent) => ev.x.parent,
      "ours: the parent's argv, redacted as `argv` is, the whole strings of its first 4 KiB (`parent_argv` in `truncated` when cut)",
    ),
    num(
      "parent_entity_id",
      "uint32",
      (ev: RecordEvent) => ev.x.parent?.entityId ?? 0,
      "ours: the processEntityId of the process these parent args describe: equal to `parentEntityId` (the table's entry is checked against the record's parent start); 0 when unknown",
    ),
    obj(
      "ancestors",
      (ev: RecordEvent) => ev.x.ancestors,
      "ours, with `--ancestors` (else `[]`): `[{pid, entityId, path}]` from the parent up, as far as the table knows (to PID 1 for what began before the tracer); `entityId` 0 where only `/proc`'s 10 ms start is known and it leaves the id open",
      "[]object",
    ),
  ] as const;
}
