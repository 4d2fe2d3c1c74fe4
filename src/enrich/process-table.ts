// executable.path for events whose record does not carry it (fork, exit, failed exec): the path
// of the process's last exec seen, else /proc/PID/exe read once; and the path that exec was
// called with (for --exec). Bounded: entries leave at exit.
import { readlinkSync } from "node:fs";
import { rec_header as H } from "../decode/layout.gen";
import { accessor, type RecordEvent } from "../decode/event";
import { EXEC, EXIT, FORK, LOST } from "../decode/index";

const MAX = 1 << 16;
const pathname = accessor(EXEC, "pathname");
const cmdpath = accessor(EXEC, "cmdpath");
const childPid = accessor(FORK, "child_pid");
const childIsThread = accessor(FORK, "is_thread");
const groupExit = accessor(EXIT, "process_group_exit");

export class ProcessTable {
  private exe = new Map<number, string>();
  /** The exec's cmdpath, for processes whose exec was seen. */
  private typed = new Map<number, string>();

  /** The program of process pid (as last seen, else from /proc). */
  pathOf(pid: number): string {
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

  private set(pid: number, path: string, typed?: string): void {
    if (this.exe.size >= MAX) this.exe.clear(); // a cache: losing it costs a readlink
    if (this.typed.size >= MAX) this.typed.clear();
    this.exe.set(pid, path);
    if (typed === undefined) this.typed.delete(pid);
    else this.typed.set(pid, typed);
  }

  /** Sets ev.x.exePath, and keeps the table up to date with the event. */
  enrich(ev: RecordEvent): void {
    const pid = ev.u32(H.host_pid);
    if (ev.is(EXEC)) {
      const path = pathname(ev);
      const typed = cmdpath(ev);
      this.set(pid, path, typed);
      ev.x.exePath = path;
      ev.x.exeTyped = typed;
    } else if (ev.is(FORK)) {
      const path = this.pathOf(pid);
      const typed = this.typed.get(pid);
      if (!childIsThread(ev)) this.set(childPid(ev), path, typed); // a new process inherits the program
      ev.x.exePath = path;
      ev.x.exeTyped = typed ?? "";
    } else if (ev.is(EXIT)) {
      ev.x.exePath = this.pathOf(pid);
      ev.x.exeTyped = this.typed.get(pid) ?? "";
      if (groupExit(ev)) {
        this.exe.delete(pid);
        this.typed.delete(pid);
      }
    } else if (!ev.is(LOST)) {
      ev.x.exePath = this.pathOf(pid);
      ev.x.exeTyped = this.typed.get(pid) ?? "";
    }
  }
}
