// The run as a timeline in the Trace Event Format (JSON), which Perfetto's UI, chrome://tracing
// and speedscope open: one process row per traced process (its threads under it), a complete
// slice ("X") from its fork (or the first event, for a process already running) to its exit,
// named by the command line it ran last; failed execs, non-zero exits and deaths by signal as
// instants on its row; a flow arrow from each parent to each child. Times are µs from the first
// process's start (otherData.startEpochNs says when that was: µs since the epoch would lose the
// nanoseconds in a double).
import { argvText, basename, endText, escapeDisplay } from "../format/quote";
import { failuresOf, type ProcessRecord, type TraceLog } from "./collect";

/** One event of the format (the fields its readers use). */
export interface TraceEvent {
  name: string;
  cat?: string;
  ph: "X" | "i" | "M" | "s" | "f";
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  id?: number;
  bp?: "e";
  s?: "t";
  args?: Record<string, unknown>;
}

export interface Timeline {
  traceEvents: TraceEvent[];
  displayTimeUnit: "ms";
  otherData: Record<string, string | number>;
}

const CAT = "process";
/** Slice names longer than this are cut (the whole argv is in the slice's args). */
const NAME_MAX = 160;
/** A pid seen again (the kernel reused it) is drawn as pid + k·REUSED, above any real pid
 * (pid_max ≤ 2^22), so that two processes never share a row; the real pid stays in args. */
const REUSED = 1 << 22;

/** What a process ran, for a slice's name: the last exec's command line, else its comm; `short`:
 * the program's file name for argv[0] (cc1 for /usr/lib/gcc/…/cc1). */
export function processLabel(p: ProcessRecord, max = NAME_MAX, short = false): string {
  const last = p.execs[p.execs.length - 1];
  const argv = last ? (last.argv.length ? last.argv : [last.cmdpath]) : [];
  const text = !last
    ? escapeDisplay(p.comm)
    : short
      ? argvText([basename(argv[0]!), ...argv.slice(1)])
      : argvText(argv);
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

/** The program's name as the caller gave it, for a process row (its comm when it never exec'd). */
export function programName(p: ProcessRecord): string {
  const last = p.execs[p.execs.length - 1];
  return escapeDisplay(last ? basename(last.cmdpath || last.path) : p.comm);
}

/** Whether a process ended badly (exit ≠ 0 or a signal). */
export const failed = (p: ProcessRecord) => p.exitCode !== null && (p.exitCode !== 0 || p.signal !== 0);

export function buildTimeline(log: TraceLog): Timeline {
  const ps = log.processes();
  const t0 = ps.length
    ? ps.reduce((m, p) => (log.startOf(p) < m ? log.startOf(p) : m), log.startOf(ps[0]!))
    : log.first;
  const us = (t: bigint) => Number(t - t0) / 1000;
  const meta: TraceEvent[] = [];
  const events: TraceEvent[] = [];
  const rowOf = new Map<number, number>(); // processEntityId → the pid its row is drawn as
  const uses = new Map<number, number>(); // pid → processes drawn with it so far
  ps.forEach((p, i) => {
    const n = uses.get(p.pid) ?? 0;
    uses.set(p.pid, n + 1);
    const row = p.pid + n * REUSED;
    rowOf.set(p.entityId, row);
    const name = programName(p);
    meta.push(
      { name: "process_name", ph: "M", ts: 0, pid: row, tid: row, args: { name } },
      { name: "process_sort_index", ph: "M", ts: 0, pid: row, tid: row, args: { sort_index: i } },
      { name: "thread_name", ph: "M", ts: 0, pid: row, tid: row, args: { name } },
    );
    const start = log.startOf(p);
    const end = log.endOf(p);
    const args: Record<string, unknown> = {
      pid: p.pid,
      ppid: p.ppid,
      exit: p.exitCode === null ? "running at the end of the trace" : endText(p.exitCode, p.signal, p.coreDumped),
      exitCode: p.exitCode,
      signal: p.signal,
      execs: p.execs.map((e) => ({ at: us(e.time), path: e.path, argv: e.argv, cwd: e.cwd })),
    };
    if (p.start === 0n) args.start = "before the trace";
    events.push({
      name: processLabel(p),
      cat: CAT,
      ph: "X",
      ts: us(start),
      dur: us(end) - us(start),
      pid: row,
      tid: row,
      args,
    });
    for (const f of failuresOf(p)) {
      events.push({
        name: `exec failed ${f.errno}: ${f.path}`.slice(0, NAME_MAX),
        cat: CAT,
        ph: "i",
        s: "t",
        ts: us(f.time),
        pid: row,
        tid: row,
        args: { path: f.path, errno: f.errno, argv: f.argv },
      });
    }
    if (failed(p) && p.end !== 0n) {
      events.push({
        name: endText(p.exitCode!, p.signal, p.coreDumped),
        cat: CAT,
        ph: "i",
        s: "t",
        ts: us(p.end),
        pid: row,
        tid: row,
        args: { exitCode: p.exitCode, signal: p.signal },
      });
    }
    for (const th of p.threads) {
      meta.push({ name: "thread_name", ph: "M", ts: 0, pid: row, tid: th.tid, args: { name: `thread ${th.tid}` } });
      const e = th.end || end;
      events.push({
        name: `thread ${th.tid}`,
        cat: CAT,
        ph: "X",
        ts: us(th.start),
        dur: us(e) - us(th.start),
        pid: row,
        tid: th.tid,
        args: { tid: th.tid },
      });
    }
  });
  // parent → child: from the parent's slice (bound at its start, where every reader finds it) to
  // the child's, which starts at the fork
  const byId = new Map(ps.map((p) => [p.entityId, p]));
  let flow = 0;
  for (const p of ps) {
    const parent = p.parentEntityId !== p.entityId ? rowOf.get(p.parentEntityId) : undefined;
    if (parent === undefined) continue;
    const from = byId.get(p.parentEntityId)!;
    flow++;
    events.push(
      { name: "fork", cat: CAT, ph: "s", id: flow, ts: us(log.startOf(from)), pid: parent, tid: parent },
      {
        name: "fork",
        cat: CAT,
        ph: "f",
        bp: "e",
        id: flow,
        ts: us(log.startOf(p)),
        pid: rowOf.get(p.entityId)!,
        tid: rowOf.get(p.entityId)!,
      },
    );
  }
  events.sort((a, b) => a.ts - b.ts);
  return {
    traceEvents: [...meta, ...events],
    displayTimeUnit: "ms",
    otherData: { generator: "tracer", startEpochNs: t0.toString(), processes: ps.length, lostEvents: log.lost },
  };
}

/** The timeline as text: one event a line (large traces stay diffable and greppable). */
export function timelineText(t: Timeline): string {
  return `{"displayTimeUnit":"ms","otherData":${JSON.stringify(t.otherData)},"traceEvents":[\n${t.traceEvents.map((e) => JSON.stringify(e)).join(",\n")}\n]}\n`;
}
