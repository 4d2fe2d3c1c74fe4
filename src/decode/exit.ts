// KIND_EXIT records → sched_process_exit events.
import { exit_record as R, rec_header as H } from "./layout.gen";
import { checkRecord, headerEvent, type DecodeContext, type Rec } from "./record";
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

export function decodeExit(r: Rec, ctx: DecodeContext): TraceEvent {
  checkRecord(r, R.$size);
  const { dv, off } = r;
  const st = exitStatus(dv.getInt32(off + R.exit_code, true));
  const c = headerEvent(r, ctx, "sched_process_exit");
  const runTime = dv.getBigUint64(off + H.ts, true) - dv.getBigUint64(off + H.thread_start, true);
  c.args = [
      { name: "exit_code", type: "int64", value: st.exitCode },
      { name: "signal_code", type: "int32", value: st.signal },
      { name: "core_dumped", type: "bool", value: st.coreDumped },
      { name: "process_group_exit", type: "bool", value: dv.getUint32(off + R.group_dead, true) !== 0 },
      { name: "run_time", type: "uint64", value: runTime },
  ];
  return c;
}
