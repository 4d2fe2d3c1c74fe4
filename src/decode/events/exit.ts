// sched_process_exit: the schema of KIND_EXIT records (Tracee's 3 args, then ours).
import { exit_record as R, rec_header as H, record_kind as K } from "../layout.gen";
import type { RecordEvent } from "../event";
import { big, bool, defineEvent, list, num, procArgv } from "../schema";
import { parentFields, withParentCut, withParentHits } from "./context";

const NONE: readonly string[] = Object.freeze([]);
const CUT: readonly string[] = Object.freeze(["argv"]);

/** wait(2) view of task->exit_code: the exit status, or the signal that ended the task. */
export function exitStatus(raw: number) {
  const signal = raw & 0x7f;
  return { exitCode: signal ? signal : (raw >> 8) & 0xff, signal, coreDumped: (raw & 0x80) !== 0 };
}

const raw = (ev: RecordEvent) => ev.r.dv.getInt32(ev.r.off + R.exit_code, true);

export const EXIT = defineEvent({
  name: "sched_process_exit",
  short: "exit",
  id: "716",
  kind: K.KIND_EXIT,
  layout: R,
  doc: "from `tp_btf/sched_process_exit`, one per exiting thread",
  args: [
    num(
      "exit_code",
      "int32",
      (ev) => exitStatus(raw(ev)).exitCode,
      "as `wait` reports it: the exit status, or the number of the signal that ended it",
    ),
    num("signal_code", "int32", (ev) => raw(ev) & 0x7f, "the terminating signal, 0 if none"),
    bool(
      "process_group_exit",
      (ev) => ev.u32(R.group_dead) !== 0,
      "this is the last thread of the process (exactly one per process)",
    ),
    bool("core_dumped", (ev) => (raw(ev) & 0x80) !== 0, "ours: a core was dumped"),
    big(
      "run_time",
      (ev) => ev.r.dv.getBigUint64(ev.r.off + H.ts, true) - ev.r.dv.getBigUint64(ev.r.off + H.thread_start, true),
      "ours: ns from the thread's start to its exit",
    ),
    procArgv(
      "argv",
      (ev) => ev.x.self,
      "ours: the process's argv (its last exec's, redacted, the whole strings of its first 4 KiB; a process that never exec'd has its parent's, as fork gave it), from the tracer's process table, with `executable.path`: what it was that exited",
    ),
    list(
      "truncated",
      (ev) => withParentCut(ev.x.self?.argvCut ? CUT : NONE, ev.x.parent),
      "ours: `argv`, `parent_argv` when cut",
    ),
    list(
      "redacted",
      (ev) => withParentHits(ev.x.self?.argvHits ?? NONE, ev.x.parent),
      "ours: what redaction replaced in `argv` and `parent_argv` (as for exec)",
    ),
    ...parentFields(),
  ],
});
