// KIND_EXEC records → sched_process_exec events (fields and order of shared/spec/000).
import { exec_record as E, file_id as F, rec_header as H, record_flag as RF } from "./layout.gen";
import { checkRecord, headerEvent, spanText, type DecodeContext, type Rec } from "./record";
import { ArgList, areaCut, droppedItems, stringArea, type ArgVisitor } from "./args";
import type { TraceEvent } from "../event";

const PIPEFS_MAGIC = 0x50495045;
const SOCKFS_MAGIC = 0x534f434b;

/** Syscall numbers of the exec family on the machine the binary is built for (NR_EXECVE and
 * NR_EXECVEAT in bpf/tracer.bpf.c). */
export const SYSCALL_NAMES: Record<number, string> =
  process.arch === "arm64" ? { 221: "execve", 281: "execveat" } : { 59: "execve", 322: "execveat" };

/** Fields whose value the kernel side had to cut, by flag. */
const CUT_FLAGS: [number, string][] = [
  [RF.RF_CMDPATH_CUT, "cmdpath"],
  [RF.RF_PATHNAME_CUT, "pathname"],
  [RF.RF_INTERP_PATH_CUT, "interpreter_pathname"],
  [RF.RF_INTERP_CUT, "interp"],
  [RF.RF_STDIN_PATH_CUT, "stdin_path"],
  [RF.RF_PWD_CUT, "pwd"],
];

/** stdin_path: readlink(/proc/PID/fd/0) text for pipes, sockets and anon inodes. */
export function stdinPathText(r: Rec, flags: number, pathAt: number, magicAt: number, inoAt: number): string {
  const name = spanText(r, pathAt);
  if (!(flags & RF.RF_STDIN_PSEUDO)) return name;
  const magic = r.dv.getUint32(r.off + magicAt, true);
  const ino = r.dv.getBigUint64(r.off + inoAt, true);
  if (magic === PIPEFS_MAGIC) return `pipe:[${ino}]`;
  if (magic === SOCKFS_MAGIC) return `socket:[${ino}]`;
  return `anon_inode:${name}`;
}

/** The pseudo-filesystem stdin_path text, or null when the span holds the path itself. */
function stdinPseudo(r: Rec, flags: number): string | null {
  return flags & RF.RF_STDIN_PSEUDO ? stdinPathText(r, flags, E.stdin_path, E.stdin_magic, E.stdin_ino) : null;
}

/** The args of a KIND_EXEC record, in order (the record's fixed part has been checked). */
export function execArgs(r: Rec, v: ArgVisitor, captureEnv: boolean): void {
  const { dv, off } = r;
  const flags = dv.getUint32(off + H.flags, true);
  const bin = off + E.binary;
  const interp = off + E.interpreter;
  v.span("cmdpath", "string", r, E.cmdpath);
  v.span("pathname", "string", r, E.pathname);
  v.num("dev", "uint32", dv.getUint32(bin + F.dev, true));
  v.u64("inode", "uint64", r, bin + F.inode);
  v.big("ctime", "uint64", r, bin + F.ctime); // already epoch ns (inode times are wall-clock)
  v.num("inode_mode", "uint16", dv.getUint16(bin + F.mode, true));
  v.span("interpreter_pathname", "string", r, E.interpreter_pathname);
  v.num("interpreter_dev", "uint32", dv.getUint32(interp + F.dev, true));
  v.u64("interpreter_inode", "uint64", r, interp + F.inode);
  v.big("interpreter_ctime", "uint64", r, interp + F.ctime);
  const argv = stringArea(r, E.argv, E.argv_size, E.argc);
  const argc = v.nulList("argv", "[]string", r, argv.start, argv.end);
  v.span("interp", "string", r, E.interp);
  v.num("stdin_type", "uint16", dv.getUint16(off + E.stdin_type, true));
  const pseudo = stdinPseudo(r, flags);
  if (pseudo === null) v.span("stdin_path", "string", r, E.stdin_path);
  else v.text("stdin_path", "string", pseudo);
  v.bool("invoked_from_kernel", "bool", (flags & RF.RF_KERNEL_INVOKED) !== 0);
  const env = captureEnv ? stringArea(r, E.env, E.env_size, E.envc) : null;
  let envc = 0;
  if (env) envc = v.nulList("env", "[]string", r, env.start, env.end);
  else v.list("env", "[]string", NONE); // not captured without --env
  v.span("pwd", "string", r, E.pwd);
  v.num("argv_dropped_args", "uint32", droppedItems(argv, argc));
  v.num("argv_dropped_bytes", "uint32", argv.droppedBytes);
  if (env) {
    v.num("env_dropped_args", "uint32", droppedItems(env, envc));
    v.num("env_dropped_bytes", "uint32", env.droppedBytes);
  }
  const truncated: string[] = [];
  for (const [bit, name] of CUT_FLAGS) if (flags & bit) truncated.push(name);
  if (areaCut(argv) || flags & RF.RF_ARGV_FAULT) truncated.push("argv");
  if (env && (areaCut(env) || flags & RF.RF_ENV_FAULT)) truncated.push("env");
  v.list("truncated", "[]string", truncated);
}

const NONE: readonly string[] = [];

/** execve or execveat (the syscall the exec came through). */
export function execSyscall(r: Rec): string {
  return SYSCALL_NAMES[r.dv.getInt32(r.off + E.syscall_nr, true)] ?? "";
}

export function decodeExec(r: Rec, ctx: DecodeContext, captureEnv: boolean): TraceEvent {
  checkRecord(r, E.$size);
  const list = new ArgList();
  execArgs(r, list, captureEnv);
  const e = headerEvent(r, ctx, "sched_process_exec", execSyscall(r), 0, list.args[1]!.value as string);
  e.args = list.args;
  return e;
}
