// lost_events: what the kernel could not deliver, built by user space from the kernel's counters
// as a record (struct lost_record), so it is decoded and written like every other event.
import { lost_record as L, record_kind as K } from "../layout.gen";
import { defineEvent, u64 } from "../schema";
import { EXEC } from "./exec";
import { EXEC_FAILED } from "./exec-failed";
import { FORK } from "./fork";
import { EXIT } from "./exit";

const kindAt = (k: number) => L.lost_kind + 8 * k;

export const LOST = defineEvent({
  name: "lost_events",
  short: "lost",
  id: null,
  kind: K.KIND_LOST,
  layout: L,
  doc: "ours, not Tracee's: emitted as soon as the kernel's loss counters grow (checked after a batch read from the ring, at most every 50 ms to a terminal, 200 ms elsewhere); the top level has only `timestamp` and `eventName`",
  args: [
    u64("lost", L.lost, "records lost since the last lost_events"),
    ...[EXEC, EXEC_FAILED, FORK, EXIT].map((d) => u64(d.name, kindAt(d.kind), `of which ${d.name}`)),
    u64(
      "scratch_clash",
      L.scratch_clash,
      "of the per-event counts: records not sent because another program on the CPU held its scratch buffer (a preempted one, where tracepoints are preemptible; legacy object: reused it)",
    ),
    u64(
      "skipped",
      L.skipped,
      "of the per-event counts: runs of a program the kernel skipped because it was already running on that CPU (`recursion_misses`; a preempted run on kernels whose tracepoints are preemptible); each may have lost one record, a skipped sys_enter_execve only if that exec failed",
    ),
  ],
});
