// Which BPF programs an event selection needs, and the .rodata configuration they read.
import { maps as M, type programs as P, rodata, tracer_config as C } from "../decode/layout.gen";
import type { KernelFeatures } from "./kernel-features";
import { TRACED } from "../decode/index";
import { BpfTracer } from "./loader";

/** What of a run's options decides the programs and their .rodata. */
export interface ProgramOptions {
  events: readonly string[];
  command: readonly unknown[];
  scope: { pidTree: readonly unknown[] };
  maxArgsSize: number;
  env: boolean;
  noThreads: boolean;
  bufferSize: number;
}

/** A program of the object (names generated from it: a renamed program fails to compile here). */
export type ProgramName = keyof typeof P;

/** Programs per event; an unselected event's programs are not attached at all. */
const PROGRAMS: Record<string, ProgramName[]> = {
  sched_process_exec: ["handle_exec", "handle_rename"],
  process_execute_failed: ["handle_enter_execve", "handle_enter_execveat", "handle_exit_execve"],
  sched_process_fork: ["handle_fork"],
  sched_process_exit: ["handle_exit"],
};

const KIND_OF: Record<string, number> = Object.fromEntries(TRACED.map((d) => [d.name, d.kind]));

/** The record kind whose record a skipped run of this program may have lost, or null for a
 * program that only keeps state (task_rename: the comm an exec replaces). A skipped
 * sys_enter_execve(at) loses a record only when that exec fails. */
export function recordKindOf(program: string): number | null {
  if (program === ("handle_rename" satisfies ProgramName)) return null;
  const ev = Object.keys(PROGRAMS).find((e) => PROGRAMS[e]!.includes(program as ProgramName));
  return ev === undefined ? null : KIND_OF[ev]!;
}

/** One program serves both syscalls' return: verified once, attached twice. */
export const ALSO_ATTACH: Partial<Record<ProgramName, string[]>> = {
  handle_exit_execve: ["syscalls/sys_exit_execveat"],
};

/** Following a process tree (-- COMMAND, --pid-tree) needs fork and exit in the kernel even when
 * their events are not asked for: they are attached, with their records switched off. */
export function followsTree(cfg: Pick<ProgramOptions, "command" | "scope">): boolean {
  return cfg.command.length > 0 || cfg.scope.pidTree.length > 0;
}

export function programsFor(cfg: ProgramOptions): ProgramName[] {
  const progs = new Set<ProgramName>();
  for (const ev of cfg.events) for (const p of PROGRAMS[ev] ?? []) progs.add(p);
  if (followsTree(cfg))
    for (const p of [...PROGRAMS.sched_process_fork!, ...PROGRAMS.sched_process_exit!]) progs.add(p);
  return [...progs];
}

/** Entries of an LRU hash map that its least recently used entries are evicted to make room for:
 * the kernel's common LRU hands free entries to a CPU 128 at a time (LOCAL_FREE_TARGET,
 * kernel/bpf/bpf_lru_list.c), a CPU holds at most that many on its own lists, and one that runs
 * out evicts from the shared lists only when fewer than 128 are free there. So with `live` + 128 ×
 * CPUs entries, no entry is evicted while at most `live` are in use. */
export function lruEntries(live: number, cpus: number): number {
  return live + 128 * cpus;
}

/** What the LRU maps must hold at once (never more than the object's 16,384 are created): */
const LRU_LIVE = {
  /** tasks inside execve/execveat (stashed at entry, taken at exit or at sched_process_exec) */
  exec_stash: 4096,
  /** renames between an exec's own rename and its sched_process_exec, microseconds later, so
   * that its entry (the newest) is not the oldest one; renames without an exec (threads naming
   * themselves) leave entries that are the first evicted */
  comm_before_rename: 1024,
};

/** Map sizes for this run: maps this run's programs never touch (their code is pruned at load by
 * the .rodata switches) shrink to one entry: the kernel preallocates a hash map's elements when
 * it creates the map (`traced`, 65,536 of them: 5–7 ms of CPU and ~19 ms wall on a loaded 2-core
 * host, 2026-12-07); the LRU maps are sized by lruEntries() (16,384 entries each took ~0.7 ms of
 * CPU to create). */
export function unusedMaps(
  cfg: Pick<ProgramOptions, "command" | "scope" | "events">,
  k: Pick<KernelFeatures, "exitGroupDead">,
  cpus: number = BpfTracer.possibleCpus,
): Record<string, number> {
  const out: Record<string, number> = {};
  if (!followsTree(cfg)) out[M.traced] = out[M.dying] = 1;
  if (k.exitGroupDead) out[M.group_exit_claimed] = 1;
  const traced = (ev: string) => cfg.events.includes(ev);
  // written only by the failed-exec programs (handle_exec only looks up and deletes)
  out[M.exec_stash] = traced("process_execute_failed") ? lruEntries(LRU_LIVE.exec_stash, cpus) : 1;
  // written only by handle_rename, which serves sched_process_exec
  out[M.comm_before_rename] = traced("sched_process_exec") ? lruEntries(LRU_LIVE.comm_before_rename, cpus) : 1;
  return out;
}

/** Longest a record waits in the ring before the consumer is woken (or polls) for it, ms, by who
 * reads the rows: a person at a terminal, or a file, pipe or NATS. Each wake-up costs the reader
 * ~0.26 ms of CPU at a build's pace (its caches cold after the compilers ran: a warm tracer over
 * make -j2, 40 C files, ~380 events per build, 2026-12-07): 30 ms per build at 50 ms, 16 at 200. */
export const WAKEUP_MS = { terminal: 50, stream: 200 } as const;

/** The bound for rows written to fd: WAKEUP_MS.terminal when it is a terminal. */
export function wakeupMsFor(tty: boolean): number {
  return tty ? WAKEUP_MS.terminal : WAKEUP_MS.stream;
}

export function configureRodata(
  dv: DataView,
  cfg: ProgramOptions,
  k: Pick<KernelFeatures, "exitGroupDead">,
  wakeupMs: number,
): void {
  const at = rodata.tracer_cfg;
  dv.setUint8(at + C.exit_has_group_dead, k.exitGroupDead ? 1 : 0);
  dv.setUint32(at + C.max_args_size, cfg.maxArgsSize, true);
  dv.setUint32(at + C.max_env_size, cfg.maxArgsSize, true);
  dv.setUint8(at + C.capture_env, cfg.env ? 1 : 0);
  dv.setUint8(at + C.skip_threads, cfg.noThreads ? 1 : 0);
  dv.setUint32(at + C.wakeup_bytes, Math.max(4096, cfg.bufferSize >>> 3), true);
  dv.setBigUint64(at + C.wakeup_ns, BigInt(wakeupMs) * 1_000_000n, true);
  let emit = 0;
  for (const ev of cfg.events) emit |= 1 << KIND_OF[ev]!;
  dv.setUint8(at + C.emit_kinds, emit);
}
