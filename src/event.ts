// Plain event objects: what the decoder produces and formatters consume (no DataView past here).

export type EventName =
  | "sched_process_exec"
  | "process_execute_failed"
  | "sched_process_fork"
  | "sched_process_exit"
  | "lost_events";

/** One argument of an event, Tracee style: Go-ish type names ("string", "[]string", "uint64", "bool", ...). */
export interface Arg {
  name: string;
  type: string;
  value: unknown;
}

/**
 * A decoded event. Field names and order follow Tracee's JSON event.
 * 64-bit nanosecond times are bigint (epoch ns do not fit a double exactly).
 * Strings hold raw bytes losslessly: valid UTF-8 is decoded as such, every byte that is
 * not part of valid UTF-8 becomes the lone surrogate U+DC00+byte ("surrogateescape", PEP 383).
 */
export interface TraceEvent {
  timestamp: bigint; // epoch ns
  threadStartTime: bigint; // epoch ns
  processorId: number;
  processId: number; // in the task's own pid namespace
  threadId: number;
  parentProcessId: number;
  hostProcessId: number;
  hostThreadId: number;
  hostParentProcessId: number;
  userId: number;
  mountNamespace: number;
  pidNamespace: number;
  cgroupId: number;
  processName: string;
  executable: { path: string };
  hostName: string;
  containerId: string;
  eventName: EventName;
  returnValue: number;
  syscall: string;
  threadEntityId: number;
  processEntityId: number;
  parentEntityId: number;
  seq: number; // per-record sequence number assigned in the kernel
  args: Arg[];
}
