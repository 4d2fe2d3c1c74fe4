// --exec GLOB: keep events by the program they concern. Applied in user space, after the
// kernel's scope filters (a path is known only once enrichment has run), so unlike those it
// saves no ring space: the records still cross the ring and are decoded, then dropped.
import { accessor, type RecordEvent } from "../decode/event";
import { EXEC_FAILED, LOST } from "../decode/index";
import { globFilter } from "./glob";
import type { ValueFilter } from "./scope";

const binary = accessor(EXEC_FAILED, "binary");
const path = accessor(EXEC_FAILED, "path");

/**
 * The path an event is matched on: the new program for sched_process_exec, the program it tried
 * to run for process_execute_failed (binary.path: resolved where it exists), the process's
 * program for fork and exit (executable.path).
 */
export function programPathOf(ev: RecordEvent): string {
  if (ev.is(EXEC_FAILED)) return binary(ev).path || path(ev);
  return ev.x.exePath;
}

/**
 * A predicate for the --exec patterns (globFilter's syntax and rules), or null when there are
 * none. lost_events always passes.
 */
export function execPathFilter(f: ValueFilter<string>): ((e: RecordEvent) => boolean) | null {
  const match = globFilter(f);
  if (!match) return null;
  return (e) => e.is(LOST) || match(programPathOf(e));
}
