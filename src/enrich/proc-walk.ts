// The processes that began before the tracer: a walk of /proc at start seeds the process table
// with each one that runs a program (kernel threads are read when first met): its program, comm,
// argv (redacted), start and parent, so that their forks, execs and exits, and their children's
// lines, have the same context as those of later processes (also when a process is gone before
// its first event is read). Entity ids come from the start /proc gives (10 ms ticks): exact where
// the 100 ms the id rounds to is the same for the whole tick, else 0 until an event brings the
// exact start.
import { readdirSync } from "node:fs";
import type { Proc, ProcessTable } from "./process-table";

/** Seeds `table` from /proc; returns how many processes were read. */
export function walkProc(table: ProcessTable): number {
  const procs: Proc[] = [];
  for (const name of readdirSync("/proc")) {
    if (name.charCodeAt(0) > 0x39) continue; // not a pid
    const p = table.fromProcWithProgram(Number(name));
    if (p !== null) procs.push(p);
  }
  const ticks = new Map(procs.map((p) => [p.pid, p.startTick]));
  for (const p of procs) {
    p.parentTick = ticks.get(p.ppid) ?? -1;
    table.seed(p);
  }
  return procs.length;
}
