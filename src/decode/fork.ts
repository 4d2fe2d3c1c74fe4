// KIND_FORK records → sched_process_fork events (fields and order of shared/spec/004).
import { fork_record as R } from "./layout.gen";
import { checkRecord, entityId, epochNs, headerEvent, type DecodeContext, type Rec } from "./record";
import type { TraceEvent } from "../event";

export function decodeFork(r: Rec, ctx: DecodeContext): TraceEvent {
  checkRecord(r, R.$size);
  const { dv, off } = r;
  const u32 = (at: number) => dv.getUint32(off + at, true);
  const childTid = u32(R.child_tid);
  const childPid = u32(R.child_pid);
  const ppPid = u32(R.pp_pid);
  const c = headerEvent(r, ctx, "sched_process_fork");
  c.args = [
      { name: "parent_tid", type: "int32", value: c.hostThreadId },
      { name: "parent_ns_tid", type: "int32", value: c.threadId },
      { name: "parent_pid", type: "int32", value: c.hostProcessId },
      { name: "parent_ns_pid", type: "int32", value: c.processId },
      { name: "parent_start_time", type: "time.Time", value: c.threadStartTime },
      { name: "child_tid", type: "int32", value: childTid },
      { name: "child_ns_tid", type: "int32", value: u32(R.child_ns_tid) },
      { name: "child_pid", type: "int32", value: childPid },
      { name: "child_ns_pid", type: "int32", value: u32(R.child_ns_pid) },
      { name: "start_time", type: "time.Time", value: epochNs(dv, off + R.child_start, ctx) },
      { name: "parent_process_tid", type: "int32", value: ppPid }, // a process's leader: tid == pid
      { name: "parent_process_ns_tid", type: "int32", value: u32(R.pp_ns_pid) },
      { name: "parent_process_pid", type: "int32", value: ppPid },
      { name: "is_thread", type: "bool", value: childTid !== childPid },
      { name: "child_thread_entity_id", type: "uint32", value: entityId(childTid, u32(R.child_start), u32(R.child_start + 4)) },
      { name: "child_process_entity_id", type: "uint32", value: entityId(childPid, u32(R.child_process_start), u32(R.child_process_start + 4)) },
      { name: "child_parent_entity_id", type: "uint32", value: entityId(ppPid, u32(R.pp_start), u32(R.pp_start + 4)) },
  ];
  return c;
}
