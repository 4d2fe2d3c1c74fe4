// KIND_EXIT records → sched_process_exit events.
import { exit_record as R, rec_header as H } from "./layout.gen";
import { checkRecord, headerEvent, type DecodeContext, type Rec } from "./record";
import { ArgList, type ArgVisitor } from "./args";
import type { TraceEvent } from "../event";

/** wait(2) view of task->exit_code: the exit status, or the signal that ended the task. */
export function exitStatus(raw: number) {
  const signal = raw & 0x7f;
  return {
    exitCode: signal ? signal : (raw >> 8) & 0xff,
    signal,
    coreDumped: (raw & 0x80) !== 0,
  };
}

/** This exit is the process's last thread's (process_group_exit). */
export function exitIsGroup(r: Rec): boolean {
  return r.dv.getUint32(r.off + R.group_dead, true) !== 0;
}

/** The args of a KIND_EXIT record, in order (the record's fixed part has been checked). */
export function exitArgs(r: Rec, v: ArgVisitor): void {
  const st = exitStatus(r.dv.getInt32(r.off + R.exit_code, true));
  v.num("exit_code", "int64", st.exitCode);
  v.num("signal_code", "int32", st.signal);
  v.bool("core_dumped", "bool", st.coreDumped);
  v.bool("process_group_exit", "bool", exitIsGroup(r));
  v.duration("run_time", "uint64", r, r.off + H.ts, r.off + H.thread_start);
}

export function decodeExit(r: Rec, ctx: DecodeContext): TraceEvent {
  checkRecord(r, R.$size);
  const list = new ArgList();
  exitArgs(r, list);
  const e = headerEvent(r, ctx, "sched_process_exit");
  e.args = list.args;
  return e;
}
