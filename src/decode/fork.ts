// KIND_FORK records → sched_process_fork events (fields and order of shared/spec/004).
import { fork_record as R, rec_header as H } from "./layout.gen";
import { checkRecord, entityId, headerEvent, type DecodeContext, type Rec } from "./record";
import { ArgList, type ArgVisitor } from "./args";
import type { TraceEvent } from "../event";

/** The args of a KIND_FORK record, in order (the record's fixed part has been checked). The
 * parent is the forking task of the record header. */
export function forkArgs(r: Rec, v: ArgVisitor, ctx: DecodeContext): void {
  const { dv, off } = r;
  const u32 = (at: number) => dv.getUint32(off + at, true);
  const childTid = u32(R.child_tid);
  const childPid = u32(R.child_pid);
  const ppPid = u32(R.pp_pid);
  v.num("parent_tid", "int32", u32(H.host_tid));
  v.num("parent_ns_tid", "int32", u32(H.ns_tid));
  v.num("parent_pid", "int32", u32(H.host_pid));
  v.num("parent_ns_pid", "int32", u32(H.ns_pid));
  v.time("parent_start_time", "time.Time", r, off + H.thread_start, ctx);
  v.num("child_tid", "int32", childTid);
  v.num("child_ns_tid", "int32", u32(R.child_ns_tid));
  v.num("child_pid", "int32", childPid);
  v.num("child_ns_pid", "int32", u32(R.child_ns_pid));
  v.time("start_time", "time.Time", r, off + R.child_start, ctx);
  v.num("parent_process_tid", "int32", ppPid); // a process's leader: tid == pid
  v.num("parent_process_ns_tid", "int32", u32(R.pp_ns_pid));
  v.num("parent_process_pid", "int32", ppPid);
  v.bool("is_thread", "bool", childTid !== childPid);
  v.num("child_thread_entity_id", "uint32", entityId(childTid, u32(R.child_start), u32(R.child_start + 4)));
  v.num("child_process_entity_id", "uint32", entityId(childPid, u32(R.child_process_start), u32(R.child_process_start + 4)));
  v.num("child_parent_entity_id", "uint32", entityId(ppPid, u32(R.pp_start), u32(R.pp_start + 4)));
}

/** The child's pid (for enrichment). */
export function forkChildPid(r: Rec): number {
  return r.dv.getUint32(r.off + R.child_pid, true);
}

/** The child is a thread (CLONE_THREAD: its tid is not its pid). */
export function forkChildIsThread(r: Rec): boolean {
  return r.dv.getUint32(r.off + R.child_tid, true) !== forkChildPid(r);
}

export function decodeFork(r: Rec, ctx: DecodeContext): TraceEvent {
  checkRecord(r, R.$size);
  const list = new ArgList();
  forkArgs(r, list, ctx);
  const e = headerEvent(r, ctx, "sched_process_fork");
  e.args = list.args;
  return e;
}
