// The counts of a run, defined once for the summary line, `tracer show` and the job summary:
// processes, execs, failed execs (an exec attempt that ran nothing: a PATH search counts once, and
// not at all when it found the file), non-zero exits, deaths by signal, lost events, duration.
// With `failures`, also the list of what failed, one entry per failure: what it tried to run, why
// it failed, how its process ended (a process whose only exec failed is one entry, not two).
import { dfgOnly } from "../jit";
import { accessor, type EventView } from "../decode/event";
import { EXEC, EXEC_FAILED, EXIT, FORK, LOST } from "../decode/index";
import { topAccessor } from "../decode/top";
import { isSearch, PathSearches, type Search } from "./path-search";
import { argvText, endText } from "./quote";
import { failedExecReason, searchReason } from "./exec-failure";
import { duration, wrapList } from "./human";

const T = {
  timestamp: topAccessor("timestamp"),
  processEntityId: topAccessor("processEntityId"),
  hostProcessId: topAccessor("hostProcessId"),
};
const A = {
  isThread: accessor(FORK, "is_thread"),
  childProcess: accessor(FORK, "child_process_entity_id"),
  groupExit: accessor(EXIT, "process_group_exit"),
  exitCode: accessor(EXIT, "exit_code"),
  signal: accessor(EXIT, "signal_code"),
  core: accessor(EXIT, "core_dumped"),
  lost: accessor(LOST, "lost"),
  argv: accessor(EXEC, "argv"),
  path: accessor(EXEC_FAILED, "path"),
  arguments: accessor(EXEC_FAILED, "arguments"),
};

const plural = (n: number, one: string, many = one + "s") => `${n} ${n === 1 ? one : many}`;

/** The counts, by the names the job summary's table uses. */
export interface RunCounts {
  processes: number;
  execs: number;
  "failed execs": number;
  "non-zero exits": number;
  signals: number;
  "lost events": number;
}

/** One failure: a failed exec (`why` says why; `end` how its process ended, when it never ran
 * anything else), or a process that ended badly (`why` empty). */
export interface Failure {
  pid: number;
  /** The command line tried, or the one that ended (its last exec; inherited when it ran none). */
  what: string;
  why: string;
  end: string;
}

/** What the first miss of a failed exec keeps: its process and its text. */
interface Attempt {
  pid: number;
  entity: number;
  path: string;
  args: string[];
  why: string;
}

/** A live process's command, and its failed exec when it has run nothing since. */
interface Proc {
  command: string;
  /** It ran a program of its own (else its command is its parent's). */
  own: boolean;
  failed: Failure | null;
}

/** Failures kept for the list (the counts go on). */
const MAX_FAILURES = 1000;

export class RunSummary {
  readonly processes = new Set<number>();
  execs = 0;
  failedExecs = 0;
  nonZeroExits = 0;
  signals = 0;
  lost = 0;
  first: bigint | null = null;
  last: bigint | null = null;
  /** With `failures`: the list, in the order they happened (at most MAX_FAILURES). */
  readonly failures: Failure[] = [];
  private searches = new PathSearches<Attempt | null>();
  private procs = new Map<number, Proc>();
  private finished = false;
  private readonly keep = (ev: EventView) => this.attempt(ev);

  constructor(private readonly o: { failures?: boolean } = {}) {}

  add(ev: EventView): void {
    const t = T.timestamp(ev);
    if (this.first === null) this.first = t;
    this.last = t;
    if (ev.is(LOST)) {
      this.lost += Number(A.lost(ev));
      return;
    }
    this.processes.add(T.processEntityId(ev));
    const { ended, held } = this.searches.feed(ev, this.keep);
    if (ended) this.count(ended);
    if (ev.is(EXEC)) {
      this.execs++;
      if (this.o.failures)
        this.procs.set(T.processEntityId(ev), { command: argvText(A.argv(ev)), own: true, failed: null });
    } else if (ev.is(EXEC_FAILED) && !held) {
      this.failedExecs++;
      const a = this.attempt(ev);
      if (a) this.fail(a);
    } else if (ev.is(FORK) && !A.isThread(ev)) {
      this.processes.add(A.childProcess(ev));
      if (this.o.failures) {
        if (this.procs.size >= 65536) this.procs.clear();
        const parent = this.procs.get(T.processEntityId(ev));
        this.procs.set(A.childProcess(ev), { command: parent?.command ?? "", own: false, failed: null });
      }
    } else if (ev.is(EXIT) && A.groupExit(ev)) {
      const sig = A.signal(ev),
        code = A.exitCode(ev);
      if (sig !== 0) this.signals++;
      else if (code !== 0) this.nonZeroExits++;
      if (this.o.failures) this.ended(ev, code, sig);
    }
  }

  private attempt(ev: EventView): Attempt | null {
    if (!this.o.failures || !ev.is(EXEC_FAILED)) return null;
    return {
      pid: T.hostProcessId(ev),
      entity: T.processEntityId(ev),
      path: A.path(ev),
      args: A.arguments(ev),
      why: failedExecReason(ev),
    };
  }

  private fail(a: Attempt, search?: Search<Attempt | null>): void {
    const f: Failure = { pid: a.pid, what: argvText([a.path, ...a.args.slice(1)]), why: a.why, end: "" };
    if (search && isSearch(search)) {
      // as the caller typed it: the name, not the last directory tried
      f.what = argvText([search.name, ...a.args.slice(1)]);
      f.why = searchReason(search.errors, search.count);
    }
    if (this.failures.length < MAX_FAILURES) this.failures.push(f);
    const p = this.procs.get(a.entity);
    if (!p) this.procs.set(a.entity, { command: "", own: false, failed: f });
    else if (!p.own) p.failed = f;
  }

  private ended(ev: EventView<typeof EXIT>, code: number, sig: number): void {
    const id = T.processEntityId(ev);
    const p = this.procs.get(id);
    this.procs.delete(id);
    const end = endText(code, sig, A.core(ev));
    if (p?.failed)
      p.failed.end = end; // its exec failed and it ran nothing else: one entry
    else if ((code !== 0 || sig !== 0) && this.failures.length < MAX_FAILURES) {
      this.failures.push({ pid: T.hostProcessId(ev), what: p?.command || `pid ${T.hostProcessId(ev)}`, why: "", end });
    }
  }

  private count(s: Search<Attempt | null>): void {
    if (isSearch(s) && s.found !== null) return; // a PATH search that found the file
    this.failedExecs++;
    if (s.first) this.fail(s.first, s);
  }

  /** The end of the events: searches still open found nothing. Idempotent. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const s of this.searches.finish()) this.count(s);
  }

  counts(): RunCounts {
    this.finish();
    return {
      processes: this.processes.size,
      execs: this.execs,
      "failed execs": this.failedExecs,
      "non-zero exits": this.nonZeroExits,
      signals: this.signals,
      "lost events": this.lost,
    };
  }

  /** The line (newline included); `ns`: the run's duration, else first to last event; `width`: a
   * terminal's columns, to break it after a comma to fit (wrapList). */
  line(ns?: bigint, width: number | null = null): string {
    this.finish();
    const d = ns ?? (this.first !== null && this.last !== null ? this.last - this.first : 0n);
    // deaths by a signal and lost events only when there are some: the usual line fits 80 columns
    const line =
      `tracer: ${plural(this.processes.size, "process", "processes")}, ${plural(this.execs, "exec")}, ` +
      `${plural(this.failedExecs, "failed exec")}, ${plural(this.nonZeroExits, "non-zero exit")}, ` +
      (this.signals ? `${this.signals} killed by a signal, ` : "") +
      (this.lost ? `${plural(this.lost, "event", "events")} lost, ` : "") +
      duration(d);
    return `${width === null ? line : wrapList(line, width, "tracer: ".length)}\n`;
  }
}
dfgOnly(RunSummary); // src/jit.ts: tracer show
