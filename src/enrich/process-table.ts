// The tracer's process table: per process its program, comm, argv (redacted, bounded), start and
// parent, learnt from exec and fork events (a forked child inherits its parent's), from /proc for
// a process first met otherwise (and for all of them at start: proc-walk.ts). It gives every event
// its executable.path (and the path its exec was called with, for --exec), exit lines the
// process's own argv, exec/failed exec/exit lines their parent's context and, with --ancestors,
// the chain above. An entry is taken as a record's process only when its start agrees with the
// record's (a pid reused is a new process); entries leave at the process's exit.
import { readFileSync, readlinkSync } from "node:fs";
import { fork_record as FR, rec_header as H } from "../decode/layout.gen";
import { accessor, type Ancestor, type ProcInfo, type RecordEvent } from "../decode/event";
import { EXEC, EXEC_FAILED, EXIT, FORK } from "../decode/index";
import { cString, decodeBytes, splitNul } from "../decode/text";
import { entityIdAt } from "../decode/top";
import { hashTaskId } from "../decode/entity";
import { divmod, Q, type EpochClock } from "../decode/clock";
import type { StringArea } from "../decode/string-area";
import type { ByteRedactor } from "../redact/bytes";
import { dfgOnly } from "../jit";

const MAX = 1 << 16;
/** argv bytes kept per process (whole strings): the context of its children's lines. */
export const ARGV_BOUND = 4096;
const MAX_ANCESTORS = 64;
/** ProcessTable.missed's tick for a pid /proc did not have at all. */
const NOT_IN_PROC = -1;
const GONE = 4096;
const TICK_NS = 10_000_000; // /proc/PID/stat's start time unit (USER_HZ 100 on every Linux ABI)
/** /proc/PID/stat's flags: a kernel thread, which has no exe link and an empty cmdline (the
 * kernel's get_task_mm gives it no mm). */
const PF_KTHREAD = 0x00200000;

const pathname = accessor(EXEC, "pathname");
const cmdpath = accessor(EXEC, "cmdpath");
const childIsThread = accessor(FORK, "is_thread");
const groupExit = accessor(EXIT, "process_group_exit");
const argvField = EXEC.args.find((f) => f.name === "argv")!;

const NONE: readonly string[] = Object.freeze([]);
const EMPTY = new Uint8Array(0);

/** One process. Replaced, not changed, when it execs (a line that holds the old one keeps it). */
export class Proc implements ProcInfo {
  private strings: readonly string[] | null = null;
  constructor(
    readonly pid: number,
    /** Start, boot-time 10 ms ticks (as /proc/PID/stat has it). */
    readonly startTick: number,
    /** processEntityId; 0 while the exact start is not known and the 10 ms leave it open. */
    public entityId: number,
    /** The exact start was seen in a record (entityId is exact). */
    public exact: boolean,
    readonly path: string,
    /** The path its exec was called with (undefined: no exec seen). */
    readonly typed: string | undefined,
    readonly comm: string,
    /** argv as NUL-terminated strings, redacted, whole strings up to ARGV_BOUND. */
    readonly argvBytes: Uint8Array,
    readonly argvCut: boolean,
    readonly argvHits: readonly string[],
    readonly ppid: number,
    /** The parent's start tick (-1: not known). */
    public parentTick: number,
  ) {}

  get argv(): readonly string[] {
    return (this.strings ??= this.argvBytes.length === 0 ? NONE : splitNul(this.argvBytes).items);
  }
}

/** The boot-time ns at record offset `at` in 10 ms ticks. */
function tickAt(ev: RecordEvent, at: number): number {
  const dv = ev.r.dv;
  divmod(dv.getUint32(ev.r.off + at + 4, true), dv.getUint32(ev.r.off + at, true), TICK_NS);
  return Q.q;
}

/** NUL list bytes bounded to whole strings within ARGV_BOUND: [a copy (a Buffer's slice would
 * share the ring's or the redaction stage's memory), cut by the bound]. */
function bounded(u8: Uint8Array, start: number, end: number): [Uint8Array, boolean] {
  let stop = end;
  if (end - start > ARGV_BOUND) {
    stop = start + ARGV_BOUND;
    while (stop > start && u8[stop - 1] !== 0) stop--;
  }
  return [Uint8Array.prototype.slice.call(u8, start, stop), stop !== end];
}

/** Hits of `field` within the first `n` strings, renamed to argv. */
function argvHitsOf(hits: readonly string[], field: string, n: number): readonly string[] {
  if (hits.length === 0) return NONE;
  const out: string[] = [];
  for (const h of hits) {
    const m = /^(\w+)\[(\d+)\](:.*)$/.exec(h);
    if (m && m[1] === field && Number(m[2]) < n) out.push(`argv[${m[2]}]${m[3]}`);
  }
  return out.length ? out : NONE;
}

const nulCount = (b: Uint8Array) => {
  let n = 0;
  for (let i = 0; i < b.length; i++) if (b[i] === 0) n++;
  return n;
};

dfgOnly(tickAt, bounded, argvHitsOf, nulCount, Proc); // src/jit.ts

export class ProcessTable {
  private procs = new Map<number, Proc>();
  /** (pid, start tick) pairs /proc did not have (NOT_IN_PROC: no process of that pid at all): not
   * read again (a parent outside the host's /proc, or gone, would otherwise cost a read per event). */
  private missed = new Map<number, number>();
  /** Processes that exited, a while longer: a child's record read after its parent's exit may
   * still name it (the child's exec read its parent before the kernel reparented it). */
  private gone = new Map<number, Proc>();

  constructor(
    private readonly clock: EpochClock | null = null,
    private readonly redact: ByteRedactor | null = null,
    private readonly ancestors = false,
  ) {}

  get size(): number {
    return this.procs.size;
  }

  private set(p: Proc): void {
    if (this.procs.size >= MAX) this.procs.clear(); // a cache: losing it costs a read of /proc
    this.procs.set(p.pid, p);
  }

  /** Entity id of a process whose start is known to the tick: exact when the 100 ms bucket of
   * every ns in the tick is the same, else 0. */
  private tickEntityId(pid: number, tick: number): number {
    if (this.clock === null) return 0;
    const lo = BigInt(tick) * BigInt(TICK_NS) + this.clock.offsetNs;
    const hi = lo + BigInt(TICK_NS - 1);
    if (lo / 100_000_000n !== hi / 100_000_000n) return 0;
    return hashTaskId(pid, Number(lo >> 32n), Number(lo & 0xffffffffn));
  }

  /** For the walk at start: process pid if it runs a program (its /proc/PID/exe is read first;
   * where there is none, nothing else is), else null. Kernel threads, two thirds of a quiet host's
   * /proc and never gone before their events, are read when first met (fromProc). */
  fromProcWithProgram(pid: number): Proc | null {
    let exe: string;
    try {
      exe = readlinkSync(`/proc/${pid}/exe`);
    } catch {
      return null; // a kernel thread, a zombie, or gone
    }
    return this.fromProc(pid, -1, exe);
  }

  /** Process pid as /proc has it now (null: gone, or unreadable), its argv redacted; `exe`: its
   * /proc/PID/exe if read already. */
  fromProc(pid: number, parentTick = -1, exe: string | null = null): Proc | null {
    let stat: Buffer;
    try {
      stat = readFileSync(`/proc/${pid}/stat`);
    } catch {
      return null;
    }
    const close = stat.lastIndexOf(0x29); // ")": the comm, between the first "(" and the last ")"
    const comm = decodeBytes(stat, stat.indexOf(0x28) + 1, close);
    const f = stat.toString("latin1", close + 2).split(" ");
    const tick = Number(f[19]);
    if (!Number.isSafeInteger(tick)) return null;
    let path = "";
    let raw: Uint8Array = EMPTY;
    // Not asked of a kernel thread: it has neither.
    if ((Number(f[6]) & PF_KTHREAD) === 0) {
      if (exe !== null) path = exe;
      else
        try {
          path = readlinkSync(`/proc/${pid}/exe`);
        } catch {}
      try {
        raw = readFileSync(`/proc/${pid}/cmdline`);
      } catch {}
    }
    let [argv, cut] = bounded(raw, 0, raw.length);
    let hits = NONE;
    const red = this.redact?.argv(argv, 0, argv.length, "argv") ?? null;
    if (red !== null) {
      argv = red.bytes;
      hits = red.hits;
    }
    return new Proc(
      pid,
      tick,
      this.tickEntityId(pid, tick),
      false,
      path,
      undefined,
      comm,
      argv,
      cut,
      hits,
      Number(f[1]),
      parentTick,
    );
  }

  /** Seed the table with a process (the /proc walk at start); kept unless it is there already. */
  seed(p: Proc): void {
    if (!this.procs.has(p.pid)) this.set(p);
  }

  /** The process `pid` of the record whose start is at `startAt` (idAt: its pid's offset, for
   * the exact entity id); from /proc when the table has no entry that started then. */
  private known(ev: RecordEvent, pid: number, idAt: number, startAt: number): Proc | null {
    if (pid === 0) return null;
    const tick = tickAt(ev, startAt);
    let p = this.procs.get(pid);
    if (p === undefined || p.startTick !== tick) {
      const g = this.gone.get(pid);
      if (g !== undefined && g.startTick === tick) return g;
      if (this.missed.get(pid) === tick) return null;
      const q = this.fromProc(pid);
      if (q === null || q.startTick !== tick) {
        if (this.missed.size >= MAX) this.missed.clear();
        this.missed.set(pid, tick);
        return null;
      }
      this.set((p = q));
    }
    if (!p.exact) {
      p.entityId = entityIdAt(ev, idAt, startAt);
      p.exact = true;
    }
    return p;
  }

  /** The program of process pid (the table's, else /proc/PID/exe). */
  pathOf(pid: number): string {
    let p = this.procs.get(pid);
    if (p === undefined) {
      const q = this.fromProc(pid);
      if (q === null) return "";
      this.set((p = q));
    }
    return p.path;
  }

  private chain(p: Proc | null): readonly Ancestor[] {
    const out: Ancestor[] = [];
    for (let n = 0; p !== null && n < MAX_ANCESTORS; n++) {
      out.push({ pid: p.pid, entityId: p.entityId, path: p.path });
      const up = p.ppid === 0 ? undefined : (this.procs.get(p.ppid) ?? this.unseen(p.ppid));
      p = up !== undefined && (p.parentTick < 0 || up.startTick === p.parentTick) ? up : null;
    }
    return out;
  }

  /** A process no event and no walk told of (an ancestor of COMMAND: its run walks nothing), as
   * /proc has it now; read once (a pid not there is remembered as such). */
  private unseen(pid: number): Proc | undefined {
    if (this.missed.get(pid) === NOT_IN_PROC) return undefined;
    const q = this.fromProc(pid);
    if (q === null) {
      if (this.missed.size >= MAX) this.missed.clear();
      this.missed.set(pid, NOT_IN_PROC);
      return undefined;
    }
    this.set(q);
    return q;
  }

  /** Sets ev.x (exePath, exeTyped, self, parent, ancestors), and keeps the table up to date with the event. */
  enrich(ev: RecordEvent): void {
    const pid = ev.u32(H.host_pid);
    const x = ev.x;
    if (ev.is(EXEC)) {
      const path = pathname(ev);
      const typed = cmdpath(ev);
      const a = argvField.fn!(ev) as StringArea;
      const [argv, cut] = bounded(ev.r.u8, a.start, a.end);
      const hits = argvHitsOf(x.redacted, "argv", nulCount(argv));
      const r = ev.r;
      const comm = cString(r.u8, r.off + H.comm, r.off + H.comm + 16);
      const self = new Proc(
        pid,
        tickAt(ev, H.process_start),
        entityIdAt(ev, H.host_pid, H.process_start),
        true,
        path,
        typed,
        comm,
        argv,
        cut || a.lastCut || a.droppedBytes > 0,
        hits,
        ev.u32(H.host_ppid),
        tickAt(ev, H.parent_start),
      );
      this.set(self);
      x.exePath = path;
      x.exeTyped = typed;
      x.parent = this.known(ev, self.ppid, H.host_ppid, H.parent_start);
    } else if (ev.is(FORK)) {
      const forker = this.known(ev, pid, H.host_pid, H.process_start);
      x.exePath = forker?.path ?? "";
      x.exeTyped = forker?.typed ?? "";
      if (!childIsThread(ev)) {
        // a new process inherits the program, the argv and the comm of the forking one
        const child = ev.u32(FR.child_pid);
        const r = ev.r;
        const comm = cString(r.u8, r.off + H.comm, r.off + H.comm + 16);
        this.set(
          new Proc(
            child,
            tickAt(ev, FR.child_process_start),
            entityIdAt(ev, FR.child_pid, FR.child_process_start),
            true,
            forker?.path ?? "",
            forker?.typed,
            comm,
            forker?.argvBytes ?? EMPTY,
            forker?.argvCut ?? false,
            forker?.argvHits ?? NONE,
            ev.u32(FR.pp_pid),
            tickAt(ev, FR.pp_start),
          ),
        );
      }
    } else if (ev.is(EXIT) || ev.is(EXEC_FAILED)) {
      const self = this.known(ev, pid, H.host_pid, H.process_start);
      x.self = self;
      x.exePath = self?.path ?? "";
      x.exeTyped = self?.typed ?? "";
      x.parent = this.known(ev, ev.u32(H.host_ppid), H.host_ppid, H.parent_start);
      if (ev.is(EXIT) && groupExit(ev) && self !== null && this.procs.get(pid) === self) {
        this.procs.delete(pid);
        if (this.gone.size >= GONE) this.gone.clear();
        this.gone.set(pid, self);
      }
    } else return; // lost_events: no process
    if (this.ancestors && x.parent !== null && !ev.is(FORK)) x.ancestors = this.chain(x.parent as Proc);
  }
}
