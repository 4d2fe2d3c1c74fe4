// --exec GLOB: keep events by the program they concern. Applied in user space, after the
// kernel's scope filters (a path is known only once enrichment has run), so unlike those it
// saves no ring space: the records still cross the ring and are decoded, then dropped.
import { accessor, type RecordEvent } from "../decode/event";
import { EXEC_FAILED, LOST } from "../decode/index";
import { globsFilter } from "./glob";
import type { ValueFilter } from "../load/scope";

const binary = accessor(EXEC_FAILED, "binary");
const path = accessor(EXEC_FAILED, "path");

/**
 * The paths an event is matched on: the program it tried to run for process_execute_failed
 * (binary.path, resolved where it exists, and the path as passed); for the others the process's
 * program (executable.path: for sched_process_exec the new one) and the path its exec was called
 * with (cmdpath), so that /usr/bin/gcc matches gcc although the file is x86_64-linux-gnu-gcc-12.
 */
export function programPathsOf(ev: RecordEvent): string[] {
  if (ev.is(EXEC_FAILED)) return [binary(ev).path || path(ev), path(ev)];
  return ev.x.exeTyped === "" ? [ev.x.exePath] : [ev.x.exePath, ev.x.exeTyped];
}

/**
 * A predicate for the --exec patterns (globFilter's syntax and rules), or null when there are
 * none. An event is kept when one of its paths matches an include pattern (if any are given)
 * and none matches an exclude pattern. lost_events always passes.
 */
export function execPathFilter(f: ValueFilter<string>): ((e: RecordEvent) => boolean) | null {
  const match = globsFilter(f);
  if (!match) return null;
  return (e) => e.is(LOST) || match(programPathsOf(e));
}
