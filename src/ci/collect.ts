// The traced tree as plain per-process records, built from events as they are delivered (the
// event is a view valid only during delivery: every value is read out and kept as a plain value).
import { accessor, type EventView } from "../decode/event";
import { EXEC, EXEC_FAILED, EXIT, FORK, LOST } from "../decode/index";
import { topAccessor } from "../decode/top";
import { JsonEvent } from "../decode/json-event";
import { PathSearches } from "../format/path-search";

const T = {
  timestamp: topAccessor("timestamp"),
  threadStartTime: topAccessor("threadStartTime"),
  hostProcessId: topAccessor("hostProcessId"),
  hostThreadId: topAccessor("hostThreadId"),
  hostParentProcessId: topAccessor("hostParentProcessId"),
  processEntityId: topAccessor("processEntityId"),
  parentEntityId: topAccessor("parentEntityId"),
  processName: topAccessor("processName"),
};
const A = {
  isThread: accessor(FORK, "is_thread"),
  childPid: accessor(FORK, "child_pid"),
  childTid: accessor(FORK, "child_tid"),
  childThreadStart: accessor(FORK, "start_time"),
  childStart: accessor(FORK, "leader_start_time"),
  childProcess: accessor(FORK, "child_process_entity_id"),
  childParent: accessor(FORK, "child_parent_entity_id"),
  childParentPid: accessor(FORK, "parent_process_pid"),
  cmdpath: accessor(EXEC, "cmdpath"),
  pathname: accessor(EXEC, "pathname"),
  argv: accessor(EXEC, "argv"),
  sha256: accessor(EXEC, "sha256"),
  interpreterSha256: accessor(EXEC, "interpreter_sha256"),
  hashError: accessor(EXEC, "hash_error"),
  scriptPath: accessor(EXEC, "script_path"),
  scriptSha256: accessor(EXEC, "script_sha256"),
  creds: accessor(EXEC, "creds"),
  pwd: accessor(EXEC, "pwd"),
  execTruncated: accessor(EXEC, "truncated"),
  failedPath: accessor(EXEC_FAILED, "path"),
  failedBinary: accessor(EXEC_FAILED, "binary"),
  failedArgs: accessor(EXEC_FAILED, "arguments"),
  error: accessor(EXEC_FAILED, "error"),
  groupExit: accessor(EXIT, "process_group_exit"),
  exitCode: accessor(EXIT, "exit_code"),
  signal: accessor(EXIT, "signal_code"),
  core: accessor(EXIT, "core_dumped"),
  lost: accessor(LOST, "lost"),
};

/** One successful exec: the program the kernel ran, as the caller named it, with what. */
export interface ExecRecord {
  time: bigint; // epoch ns
  path: string; // the file executed (for a `#!` script: its interpreter)
  cmdpath: string; // the path as the caller passed it (the script, for a script)
  argv: string[];
  sha256: string;
  interpreterSha256: string;
  hashError: string;
  /** A `#!` script's full path and digest ("" for other programs). */
  scriptPath: string;
  scriptSha256: string;
  uid: number;
  euid: number;
  cwd: string;
  truncated: readonly string[];
}

/** One failed exec attempt (a PATH search makes one per directory tried). */
export interface FailedExecRecord {
  time: bigint;
  path: string; // as the caller passed it
  resolved: string; // the file it names, where that exists
  argv: string[];
  errno: string;
  /** A step of a PATH search that found the program later (format/path-search.ts: the summary's
   * definition): not a failure. */
  madeGood: boolean;
}

/** A thread other than the process's leader. */
export interface ThreadRecord {
  tid: number; // host tid
  start: bigint; // epoch ns
  end: bigint; // epoch ns of its exit, 0n while running (or when the process's group exit ended it)
}

export interface ProcessRecord {
  pid: number; // host pid
  comm: string; // the task's comm when first seen (the parent's, for a child that never exec'd)
  ppid: number;
  entityId: number; // processEntityId
  parentEntityId: number;
  start: bigint; // epoch ns, 0n when not seen
  end: bigint; // epoch ns of the exit, 0n while running (or not seen)
  execs: ExecRecord[];
  failedExecs: FailedExecRecord[];
  exitCode: number | null; // as wait(2) reports it; null: no exit seen
  signal: number;
  coreDumped: boolean;
  threads: ThreadRecord[];
}

/** Events → one record per process (threads fold into their process), and what was lost. */
export class TraceLog {
  /** `full`: every exec's facts. Not full (the critical path of a run without CI outputs): an
   * exec keeps its time, cmdpath and argv; path, digests and cwd are "", uid and euid -1. The
   * reads left out (pathname, creds, pwd, truncated, digests) took ~1.7 µs per exec, timed one by
   * one on test/records.ts's exec view (argv and cmdpath ~0.3 µs). */
  constructor(readonly full = true) {}

  private byId = new Map<number, ProcessRecord>();
  /** The PATH searches under way: the failed execs of each, marked made good when it finds. */
  private searches = new PathSearches<FailedExecRecord[]>();
  /** Threads started and not yet ended, by host tid (live tids are unique). */
  private liveThreads = new Map<number, ThreadRecord>();
  lost = 0;
  /** Epoch ns of the first and the last event (0n: none yet). */
  first = 0n;
  last = 0n;

  private proc(id: number, pid: number, ppid: number, parent: number, comm: string): ProcessRecord {
    let p = this.byId.get(id);
    if (!p) {
      p = {
        pid,
        comm,
        ppid,
        entityId: id,
        parentEntityId: parent,
        start: 0n,
        end: 0n,
        execs: [],
        failedExecs: [],
        exitCode: null,
        signal: 0,
        coreDumped: false,
        threads: [],
      };
      this.byId.set(id, p);
    }
    return p;
  }

  /** The event's process (the ids beyond its entity id read only for a process not seen yet). */
  private ofEvent(ev: EventView): ProcessRecord {
    const id = T.processEntityId(ev);
    const p =
      this.byId.get(id) ??
      this.proc(id, T.hostProcessId(ev), T.hostParentProcessId(ev), T.parentEntityId(ev), T.processName(ev));
    // the leader's thread start is the process's start (the first process has no fork event)
    if (p.start === 0n && T.hostThreadId(ev) === p.pid) p.start = T.threadStartTime(ev);
    return p;
  }

  add(ev: EventView): void {
    const t = T.timestamp(ev);
    if (this.first === 0n) this.first = t;
    if (t > this.last) this.last = t;
    const { ended, into } = this.searches.feed(ev, () => []);
    if (ended?.found) for (const f of ended.first) f.madeGood = true;
    if (ev.is(LOST)) {
      this.lost += Number(A.lost(ev));
    } else if (ev.is(FORK)) {
      if (A.isThread(ev)) {
        const th = { tid: A.childTid(ev), start: A.childThreadStart(ev), end: 0n };
        this.ofEvent(ev).threads.push(th);
        this.liveThreads.set(th.tid, th);
        return;
      }
      this.ofEvent(ev);
      const child = this.proc(
        A.childProcess(ev),
        A.childPid(ev),
        A.childParentPid(ev),
        A.childParent(ev),
        T.processName(ev),
      );
      child.start = A.childStart(ev);
    } else if (ev.is(EXEC)) {
      const p = this.ofEvent(ev);
      if (!this.full) {
        p.execs.push({
          time: t,
          path: "",
          cmdpath: A.cmdpath(ev),
          argv: A.argv(ev),
          sha256: "",
          interpreterSha256: "",
          hashError: "",
          scriptPath: "",
          scriptSha256: "",
          uid: -1,
          euid: -1,
          cwd: "",
          truncated: [],
        });
        return;
      }
      const creds = A.creds(ev);
      p.execs.push({
        time: t,
        path: A.pathname(ev),
        cmdpath: A.cmdpath(ev),
        argv: A.argv(ev),
        sha256: A.sha256(ev),
        interpreterSha256: A.interpreterSha256(ev),
        hashError: A.hashError(ev),
        // a trace saved before scripts were hashed has no script fields
        ...(ev instanceof JsonEvent && !ev.has("script_path")
          ? { scriptPath: "", scriptSha256: "" }
          : { scriptPath: A.scriptPath(ev), scriptSha256: A.scriptSha256(ev) }),
        uid: creds.Uid,
        euid: creds.Euid,
        cwd: A.pwd(ev),
        truncated: A.execTruncated(ev),
      });
    } else if (ev.is(EXEC_FAILED)) {
      const path = A.failedPath(ev);
      const resolved = A.failedBinary(ev).path;
      const f: FailedExecRecord = {
        time: t,
        path,
        resolved: resolved === path ? "" : resolved,
        argv: A.failedArgs(ev),
        errno: A.error(ev),
        madeGood: false,
      };
      this.ofEvent(ev).failedExecs.push(f);
      into?.first.push(f);
    } else if (ev.is(EXIT)) {
      if (!A.groupExit(ev)) {
        const th = this.liveThreads.get(T.hostThreadId(ev));
        if (th) th.end = t;
        this.liveThreads.delete(T.hostThreadId(ev));
        return;
      }
      const p = this.ofEvent(ev);
      p.end = t;
      p.exitCode = A.exitCode(ev);
      p.signal = A.signal(ev);
      p.coreDumped = A.core(ev);
    }
  }

  /** Every process, in start order (then pid). */
  processes(): ProcessRecord[] {
    return [...this.byId.values()].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.pid - b.pid));
  }

  /** Every program run, {path, sha256}: the file the kernel executed (not the path the caller
   * gave), and for a `#!` script the script as well (a new script is a new program). */
  programs(): { path: string; sha256: string }[] {
    return this.processes().flatMap((p) =>
      p.execs.flatMap((e) => {
        const file = { path: e.path, sha256: e.sha256 };
        return e.scriptPath ? [file, { path: e.scriptPath, sha256: e.scriptSha256 }] : [file];
      }),
    );
  }

  /** When a process started: its fork, else (not seen) the first event of the trace. */
  startOf(p: ProcessRecord): bigint {
    return p.start || this.first;
  }

  /** When a process ended: its exit, else (still running) the last event of the trace. */
  endOf(p: ProcessRecord): bigint {
    return p.end || this.last;
  }

  /** The traced children of each process, by its processEntityId, in start order. */
  children(): Map<number, ProcessRecord[]> {
    const m = new Map<number, ProcessRecord[]>();
    for (const p of this.processes()) {
      if (p.parentEntityId === p.entityId || !this.byId.has(p.parentEntityId)) continue;
      const list = m.get(p.parentEntityId);
      if (list) list.push(p);
      else m.set(p.parentEntityId, [p]);
    }
    return m;
  }

  /** The processes whose parent was not traced (with -- COMMAND: the command's own process). */
  roots(): ProcessRecord[] {
    return this.processes().filter((p) => !this.byId.has(p.parentEntityId) || p.parentEntityId === p.entityId);
  }
}

/** A process's failed execs that are failures (the timeline's marks): not the misses of a PATH
 * search that found the program, as the summary counts them. */
export function failuresOf(p: ProcessRecord): FailedExecRecord[] {
  return p.failedExecs.filter((f) => !f.madeGood);
}
