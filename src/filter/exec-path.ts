// --exec GLOB: keep events by the program they concern. Applied in user space, after the
// kernel's scope filters (a path is known only once enrichment has run), so unlike those it
// saves no ring space: the records still cross the ring and are decoded, then dropped.
import type { Arg, TraceEvent } from "../event";
import { globFilter } from "./glob";
import type { ValueFilter } from "./scope";

/**
 * The path an event is matched on: the new program for sched_process_exec, the program it tried
 * to run for process_execute_failed (binary.path: resolved where it exists), the process's
 * program for fork and exit (executable.path).
 */
export function programPathOf(e: TraceEvent): string {
  if (e.eventName === "process_execute_failed") {
    const binary = findArg(e.args, "binary")?.value as { path?: unknown } | undefined;
    if (typeof binary?.path === "string" && binary.path !== "") return binary.path;
    const path = findArg(e.args, "path")?.value;
    if (typeof path === "string") return path;
  }
  return e.executable.path;
}

function findArg(args: readonly Arg[], name: string): Arg | undefined {
  for (const a of args) if (a.name === name) return a;
  return undefined;
}

/**
 * A predicate for the --exec patterns (globFilter's syntax and rules), or null when there are
 * none. lost_events always passes.
 */
export function execPathFilter(f: ValueFilter<string>): ((e: TraceEvent) => boolean) | null {
  const match = globFilter(f);
  if (!match) return null;
  return (e) => e.eventName === "lost_events" || match(programPathOf(e));
}
