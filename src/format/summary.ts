// The end-of-run summary line: processes, execs, failed execs (a PATH search counts once, and
// not at all when it found the file), non-zero exits, deaths by signal, lost events, duration.
import { accessor, type EventView } from "../decode/event";
import { EXEC, EXEC_FAILED, EXIT, FORK, LOST } from "../decode/index";
import { topAccessor } from "../decode/top";
import { isSearch, PathSearches, type Search } from "./path-search";
import { duration } from "./table";

const T = { timestamp: topAccessor("timestamp"), processEntityId: topAccessor("processEntityId") };
const A = {
  isThread: accessor(FORK, "is_thread"),
  childProcess: accessor(FORK, "child_process_entity_id"),
  groupExit: accessor(EXIT, "process_group_exit"),
  exitCode: accessor(EXIT, "exit_code"),
  signal: accessor(EXIT, "signal_code"),
  lost: accessor(LOST, "lost"),
};

const plural = (n: number, one: string, many = one + "s") => `${n} ${n === 1 ? one : many}`;

export class RunSummary {
  readonly processes = new Set<number>();
  execs = 0;
  failedExecs = 0;
  nonZeroExits = 0;
  signals = 0;
  lost = 0;
  first: bigint | null = null;
  last: bigint | null = null;
  private searches = new PathSearches<null>();

  add(ev: EventView): void {
    const t = T.timestamp(ev);
    if (this.first === null) this.first = t;
    this.last = t;
    if (ev.is(LOST)) {
      this.lost += Number(A.lost(ev));
      return;
    }
    this.processes.add(T.processEntityId(ev));
    const { ended, held } = this.searches.feed(ev, () => null);
    if (ended) this.count(ended);
    if (ev.is(EXEC)) this.execs++;
    else if (ev.is(EXEC_FAILED) && !held) this.failedExecs++;
    else if (ev.is(FORK) && !A.isThread(ev)) this.processes.add(A.childProcess(ev));
    else if (ev.is(EXIT) && A.groupExit(ev)) {
      if (A.signal(ev) !== 0) this.signals++;
      else if (A.exitCode(ev) !== 0) this.nonZeroExits++;
    }
  }

  private count(s: Search<null>): void {
    if (!isSearch(s) || s.found === null) this.failedExecs++;
  }

  /** The line (newline included); `ns`: the run's duration, else first to last event. */
  line(ns?: bigint): string {
    for (const s of this.searches.finish()) this.count(s);
    const d = ns ?? (this.first !== null && this.last !== null ? this.last - this.first : 0n);
    return (
      `tracer: ${plural(this.processes.size, "process", "processes")}, ${plural(this.execs, "exec")}, ` +
      `${plural(this.failedExecs, "failed exec")}, ${plural(this.nonZeroExits, "non-zero exit")}, ` +
      `${this.signals} killed by a signal, ${plural(this.lost, "event", "events")} lost, ${duration(d)}\n`
    );
  }
}
