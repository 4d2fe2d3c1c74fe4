// sched_process_fork: the schema of KIND_FORK records (Tracee's 20 args in Tracee's order, then
// ours; shared/spec/004). The record header is the forking task.
import { fork_record as R, rec_header as H, record_kind as K } from "../layout.gen";
import type { RecordEvent } from "../event";
import { entityIdAt } from "../top";
import { bool, defineEvent, num, time, u32 } from "../schema";

const isThread = (ev: RecordEvent) => ev.u32(R.child_tid) !== ev.u32(R.child_pid);

export const FORK = defineEvent({
  name: "sched_process_fork",
  short: "fork",
  id: "714",
  kind: K.KIND_FORK,
  layout: R,
  doc: "from `tp_btf/sched_process_fork`; the context (top level) is the forking task",
  args: [
    u32("parent_tid", H.host_tid, "the forking thread", "int32"),
    u32("parent_ns_tid", H.ns_tid, "the same in its innermost pid namespace", "int32"),
    u32("parent_pid", H.host_pid, "the forking thread's process", "int32"),
    u32("parent_ns_pid", H.ns_pid, "the same in its innermost pid namespace", "int32"),
    time("parent_start_time", H.thread_start, "the forking thread's start (RFC 3339, ns)"),
    u32("child_tid", R.child_tid, "the new task", "int32"),
    u32(
      "child_ns_tid",
      R.child_ns_tid,
      "the same in the child's innermost pid namespace (1 after `unshare --pid --fork`)",
      "int32",
    ),
    u32("child_pid", R.child_pid, "the new task's process (its own id unless it is a thread)", "int32"),
    u32("child_ns_pid", R.child_ns_pid, "the same in the child's innermost pid namespace", "int32"),
    time("start_time", R.child_start, "the child's start; equals its events' threadStartTime"),
    u32(
      "parent_process_tid",
      R.pp_pid,
      "the child's parent in the process tree: the group leader of its real parent (differs from the forking thread when a thread forks, for CLONE_PARENT, and for threads)",
      "int32",
    ),
    u32("parent_process_ns_tid", R.pp_ns_pid, "the same in its innermost pid namespace", "int32"),
    u32("parent_process_pid", R.pp_pid, "its process id (a leader: tid = pid)", "int32"),
    u32("parent_process_ns_pid", R.pp_ns_pid, "the same in its innermost pid namespace", "int32"),
    time("parent_process_start_time", R.pp_start, "its start"),
    u32("leader_tid", R.child_pid, "the child's group leader (the child itself unless it is a thread)", "int32"),
    u32("leader_ns_tid", R.child_ns_pid, "the same in the child's pid namespace", "int32"),
    u32("leader_pid", R.child_pid, "the leader's process id", "int32"),
    u32("leader_ns_pid", R.child_ns_pid, "the same in the child's pid namespace", "int32"),
    time("leader_start_time", R.child_process_start, "the leader's start"),
    bool("is_thread", isThread, "ours: CLONE_THREAD (child_tid ≠ child_pid)"),
    num(
      "child_thread_entity_id",
      "uint32",
      (ev) => entityIdAt(ev, R.child_tid, R.child_start),
      "the child's threadEntityId",
    ),
    num(
      "child_process_entity_id",
      "uint32",
      (ev) => entityIdAt(ev, R.child_pid, R.child_process_start),
      "the child's processEntityId",
    ),
    num("child_parent_entity_id", "uint32", (ev) => entityIdAt(ev, R.pp_pid, R.pp_start), "the child's parentEntityId"),
  ],
});
