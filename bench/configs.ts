// The tracing configurations a workload runs under: none, the tracer in four setups, and the peers:
// bpftrace, libbpf-tools execsnoop, auditd.
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..");
export const TRACER = join(ROOT, "tracer");
export const OUT = join(ROOT, ".output", "bench");

/** bpftrace and execsnoop are "perf" peers: ready once their tracepoints are attached. */
export type ConfigKind = "none" | "tracer" | "perf" | "auditd";

export interface Config {
  id: string;
  label: string;
  kind: ConfigKind;
  /** Full command line (empty for "none"). */
  argv: string[];
  /** perf peers: tracepoints it attaches (it is ready when all of them are attached). */
  tracepoints?: string[];
  /** Events it delivers per workload exec when it has no counter of its own (peers: one line or
   * one audit event per exec, failed execs aside). */
  eventsPerExec?: number;
}

// --stats only adds one JSON line on stderr at exit: the emitted/lost counts this suite reports.
const tracer = (id: string, label: string, extra: string[]): Config => ({
  id,
  label,
  kind: "tracer",
  argv: [TRACER, "--json", ...extra, "--stats", "-o", "/dev/null"],
});

/** Exec tracing with pid, ppid and argv, as close as bpftrace 0.17 gets to the tracer's exec event. */
export const BPFTRACE_EXEC =
  'tracepoint:syscalls:sys_enter_execve { printf("%d %d ", pid, curtask->real_parent->tgid); join(args->argv); }';

const EXEC_SYSCALL_TPS = ["sys_enter_execve", "sys_exit_execve", "sys_enter_execveat", "sys_exit_execveat"];

/** Do-nothing programs on the four syscall tracepoints the tracer's process_execute_failed uses. */
export const BPFTRACE_FLOOR = EXEC_SYSCALL_TPS.map((t) => `tracepoint:syscalls:${t}`).join(",") + " { }";

export const CONFIGS: Record<string, Config> = {
  none: { id: "none", label: "no tracer", kind: "none", argv: [] },
  all: tracer("all", "tracer (all events)", []),
  env: tracer("env", "tracer --env", ["--env"]),
  exec: tracer("exec", "tracer -e exec", ["-e", "sched_process_exec"]),
  nofail: tracer("nofail", "tracer -e exec,fork,exit", [
    "-e",
    "sched_process_exec,sched_process_fork,sched_process_exit",
  ]),
  bpftrace: {
    id: "bpftrace",
    label: "bpftrace exec one-liner",
    kind: "perf",
    argv: ["bpftrace", "-o", "/dev/null", "-e", BPFTRACE_EXEC],
    tracepoints: ["sys_enter_execve"],
    eventsPerExec: 1,
  },
  // Debian's libbpf-tools (C + libbpf, perf buffer); -x adds failed execs, as our
  // process_execute_failed. Its lines go to /dev/null (stdout "ignore").
  execsnoop: {
    id: "execsnoop",
    label: "libbpf-tools execsnoop -x",
    kind: "perf",
    argv: ["/usr/sbin/execsnoop", "-x"],
    tracepoints: ["sys_enter_execve", "sys_exit_execve"],
    eventsPerExec: 1,
  },
  auditd: {
    id: "auditd",
    label: "auditd, execve/execveat rule",
    kind: "auditd",
    argv: [], // auditdArgv() at launch: it writes its private config first
    eventsPerExec: 1,
  },
  floor: {
    id: "floor",
    label: "floor: empty progs on 4 syscall tps",
    kind: "perf",
    argv: ["bpftrace", "-o", "/dev/null", "-e", BPFTRACE_FLOOR],
    tracepoints: EXEC_SYSCALL_TPS,
  },
};

/** Every workload runs under these; the syscall loop adds "nofail" and "floor". */
export const COMMON_CONFIGS = ["none", "all", "env", "exec", "bpftrace", "execsnoop", "auditd"];
