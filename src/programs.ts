// Which BPF programs an event selection needs, and the .rodata configuration they read.
import { rodata, tracer_config as C } from "./decode/layout.gen";
import type { Config } from "./cli";

/** Programs per event; an unselected event's programs are not attached at all. */
const PROGRAMS: Record<string, string[]> = {
  sched_process_exec: ["handle_exec"],
  process_execute_failed: ["handle_enter_execve", "handle_enter_execveat", "handle_exit_execve", "handle_exit_execveat"],
  sched_process_fork: ["handle_fork"],
  sched_process_exit: ["handle_exit"],
};

export function programsFor(cfg: Config): string[] {
  const progs = new Set<string>();
  for (const ev of cfg.events) for (const p of PROGRAMS[ev] ?? []) progs.add(p);
  return [...progs];
}

/** Kernel features the .rodata switches on; probed by loading (see main.ts openTracer). */
export interface KernelFeatures {
  /** sched_process_exit passes group_dead as its second argument (recent kernels). */
  exitGroupDead: boolean;
}

export function configureRodata(dv: DataView, cfg: Config, k: KernelFeatures): void {
  const at = rodata.tracer_cfg;
  dv.setUint8(at + C.exit_has_group_dead, k.exitGroupDead ? 1 : 0);
  dv.setUint32(at + C.max_args_size, cfg.maxArgsSize, true);
  dv.setUint32(at + C.max_env_size, cfg.maxArgsSize, true);
  dv.setUint8(at + C.capture_env, cfg.env ? 1 : 0);
  dv.setUint8(at + C.skip_threads, cfg.noThreads ? 1 : 0);
}
