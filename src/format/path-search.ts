// PATH searches: a shell or execvp tries DIR/NAME in every PATH directory, and each miss is a
// failed exec (ENOENT, or EACCES). Consecutive misses of one file name by one task, ended by the
// exec that found it or by anything else the task did, are one search: the table shows it as one
// line and the summary counts it once (only when nothing was found). JSON keeps every event.
import { dfgOnly } from "../jit";
import { accessor, type EventView } from "../decode/event";
import { EXEC, EXEC_FAILED, LOST } from "../decode/index";
import { topAccessor } from "../decode/top";
import { basename } from "./quote";

const tid = topAccessor("hostThreadId");
const error = accessor(EXEC_FAILED, "error");
const path = accessor(EXEC_FAILED, "path");
const cmdpath = accessor(EXEC, "cmdpath");

const MISSES = new Set(["ENOENT", "EACCES"]);

export interface Search<T> {
  tid: number;
  name: string;
  /** The distinct errors of the misses, in order. */
  errors: string[];
  count: number;
  /** What the caller kept of the first miss (e.g. its table line). */
  first: T;
  /** The path that was exec'd in the end, or null: the search failed. */
  found: string | null;
}

/** A failed exec that may be a step of a PATH search: a miss of a path with a directory. */
function missName(ev: EventView): string | null {
  if (!ev.is(EXEC_FAILED) || !MISSES.has(error(ev))) return null;
  const p = path(ev);
  return p.includes("/") ? basename(p) : null;
}

/** feed()'s answer for an event that neither ends nor joins a search (most events): one object,
 * not one per call. */
const NONE = Object.freeze({ ended: null, held: false, into: null });

export class PathSearches<T> {
  private open = new Map<number, Search<T>>();

  get size(): number {
    return this.open.size;
  }

  /**
   * Feed every event in order. Returns the search this event ended (null if none), whether the
   * event itself belongs to an open search (then it has no line of its own), and that search
   * (`into`, null when not held). `keep` is called with the first miss of a new search (one function made once, not a closure
   * per event).
   */
  feed(ev: EventView, keep: (ev: EventView) => T): { ended: Search<T> | null; held: boolean; into: Search<T> | null } {
    // lost_events concern no task (read back from JSON they have no thread id)
    if (ev.is(LOST) || (!ev.is(EXEC) && !ev.is(EXEC_FAILED) && !this.open.size)) return NONE;
    const t = tid(ev);
    const s = this.open.get(t);
    const name = missName(ev);
    if (s && name === s.name) {
      s.count++;
      const e = error(ev as EventView<typeof EXEC_FAILED>);
      if (!s.errors.includes(e)) s.errors.push(e);
      return { ended: null, held: true, into: s };
    }
    let ended: Search<T> | null = null;
    if (s) {
      this.open.delete(t);
      if (ev.is(EXEC) && basename(cmdpath(ev)) === s.name) s.found = cmdpath(ev);
      ended = s;
    }
    if (name !== null) {
      const into: Search<T> = {
        tid: t,
        name,
        errors: [error(ev as EventView<typeof EXEC_FAILED>)],
        count: 1,
        first: keep(ev),
        found: null,
      };
      this.open.set(t, into);
      return { ended, held: true, into };
    }
    return ended === null ? NONE : { ended, held: false, into: null };
  }

  /** The open searches `old` picks, ended now as they are (their task went quiet: see Table.expire). */
  release(old: (s: Search<T>) => boolean): Search<T>[] {
    const out: Search<T>[] = [];
    for (const [t, s] of this.open) {
      if (!old(s)) continue;
      this.open.delete(t);
      out.push(s);
    }
    return out;
  }

  /** The searches still open (the trace ended): they found nothing. */
  finish(): Search<T>[] {
    const rest = [...this.open.values()];
    this.open.clear();
    return rest;
  }
}

/** A search is shown as a failure unless it found the file; one miss that found nothing is just
 * a failed exec. */
export const isSearch = <T>(s: Search<T>) => s.count > 1 || s.found !== null;
dfgOnly(PathSearches, missName); // src/jit.ts: tracer show
