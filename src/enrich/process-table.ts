// executable.path for events whose record does not carry it (fork, exit, failed exec): the path
// of the process's last exec seen, else /proc/PID/exe read once. Bounded: entries leave at exit.
import { readlinkSync } from "node:fs";
import type { TraceEvent } from "../event";

const FORK_CHILD_PID = 7; // index of child_pid in sched_process_fork's args
const FORK_IS_THREAD = 13;
const EXIT_GROUP = 3; // process_group_exit in sched_process_exit's args
const MAX = 1 << 16;

export class ProcessTable {
  private exe = new Map<number, string>();

  /** The program of process pid (as last seen, else from /proc). */
  private pathOf(pid: number): string {
    let p = this.exe.get(pid);
    if (p === undefined) {
      try {
        p = readlinkSync(`/proc/${pid}/exe`);
      } catch {
        p = "";
      }
      this.set(pid, p);
    }
    return p;
  }

  private set(pid: number, path: string): void {
    if (this.exe.size >= MAX) this.exe.clear(); // a cache: losing it costs a readlink
    this.exe.set(pid, path);
  }

  /** Process pid exec'd path. */
  exec(pid: number, path: string): void {
    this.set(pid, path);
  }

  /** Process pid forked childPid (a new process inherits the program); the parent's path. */
  fork(pid: number, childPid: number, isThread: boolean): string {
    const path = this.pathOf(pid);
    if (!isThread) this.set(childPid, path);
    return path;
  }

  /** A thread of pid exited (groupExit: its last one); the process's path. */
  exit(pid: number, groupExit: boolean): string {
    const path = this.pathOf(pid);
    if (groupExit) this.exe.delete(pid);
    return path;
  }

  enrich(e: TraceEvent): void {
    switch (e.eventName) {
      case "sched_process_exec":
        this.exec(e.hostProcessId, e.executable.path);
        return;
      case "sched_process_fork":
        e.executable.path = this.fork(e.hostProcessId, e.args[FORK_CHILD_PID]!.value as number, e.args[FORK_IS_THREAD]!.value === true);
        return;
      case "sched_process_exit":
        e.executable.path = this.exit(e.hostProcessId, e.args[EXIT_GROUP]!.value === true);
        return;
      default:
        e.executable.path = this.pathOf(e.hostProcessId);
    }
  }
}
