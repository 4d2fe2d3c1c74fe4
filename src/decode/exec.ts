// KIND_EXEC records → sched_process_exec events (fields and order of shared/spec/000).
import { exec_record as E, rec_header as H, record_flag as RF } from "./layout.gen";
import { splitNul } from "./text";
import { checkRecord, fileId, headerEvent, spanLen, spanStart, spanText, type DecodeContext, type Rec } from "./record";
import type { Arg, TraceEvent } from "../event";

const PIPEFS_MAGIC = 0x50495045;
const SOCKFS_MAGIC = 0x534f434b;

/** x86_64 syscall numbers of the exec family. */
export const SYSCALL_NAMES: Record<number, string> = { 59: "execve", 322: "execveat" };

/** Fields whose value the kernel side had to cut, by flag. */
const CUT_FLAGS: [number, string][] = [
  [RF.RF_CMDPATH_CUT, "cmdpath"],
  [RF.RF_PATHNAME_CUT, "pathname"],
  [RF.RF_INTERP_PATH_CUT, "interpreter_pathname"],
  [RF.RF_INTERP_CUT, "interp"],
  [RF.RF_STDIN_PATH_CUT, "stdin_path"],
  [RF.RF_PWD_CUT, "pwd"],
];

/** A NUL-separated area of the process (argv or env) and what the capture limit left out:
 * items holds every captured string, the last one possibly cut; droppedItems counts the strings
 * not captured whole (the cut one included), droppedBytes the bytes not captured. */
export function stringArea(r: Rec, spanAt: number, totalAt: number, count: number) {
  const start = spanStart(r, spanAt);
  const len = spanLen(r, spanAt);
  const { items, lastCut } = splitNul(r.u8, start, start + len);
  const total = r.dv.getUint32(r.off + totalAt, true);
  const droppedBytes = total > len ? total - len : 0;
  return {
    items,
    cut: lastCut || droppedBytes > 0,
    droppedBytes,
    droppedItems: Math.max(0, count - (items.length - (lastCut ? 1 : 0))),
  };
}

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

export function decodeExec(r: Rec, ctx: DecodeContext, captureEnv: boolean): TraceEvent {
  checkRecord(r, E.$size);
  const { dv, off } = r;
  const flags = dv.getUint32(off + H.flags, true);
  const bin = fileId(r, E.binary, ctx);
  const interp = fileId(r, E.interpreter, ctx);
  const pathname = spanText(r, E.pathname);
  const argv = stringArea(r, E.argv, E.argv_size, dv.getUint32(off + E.argc, true));
  const truncated: string[] = [];
  for (const [bit, name] of CUT_FLAGS) if (flags & bit) truncated.push(name);
  if (argv.cut || flags & RF.RF_ARGV_FAULT) truncated.push("argv");

  const args: Arg[] = [
    { name: "cmdpath", type: "string", value: spanText(r, E.cmdpath) },
    { name: "pathname", type: "string", value: pathname },
    { name: "dev", type: "uint32", value: bin.dev },
    { name: "inode", type: "uint64", value: bin.inode },
    { name: "ctime", type: "uint64", value: bin.ctime },
    { name: "inode_mode", type: "uint16", value: bin.mode },
    { name: "interpreter_pathname", type: "string", value: spanText(r, E.interpreter_pathname) },
    { name: "interpreter_dev", type: "uint32", value: interp.dev },
    { name: "interpreter_inode", type: "uint64", value: interp.inode },
    { name: "interpreter_ctime", type: "uint64", value: interp.ctime },
    { name: "argv", type: "[]string", value: argv.items },
    { name: "interp", type: "string", value: spanText(r, E.interp) },
    { name: "stdin_type", type: "uint16", value: dv.getUint16(off + E.stdin_type, true) },
    { name: "stdin_path", type: "string", value: stdinPathText(r, flags, E.stdin_path, E.stdin_magic, E.stdin_ino) },
    { name: "invoked_from_kernel", type: "bool", value: (flags & RF.RF_KERNEL_INVOKED) !== 0 },
  ];
  if (captureEnv) {
    const env = stringArea(r, E.env, E.env_size, dv.getUint32(off + E.envc, true));
    if (env.cut || flags & RF.RF_ENV_FAULT) truncated.push("env");
    args.push({ name: "env", type: "[]string", value: env.items });
    args.push({ name: "pwd", type: "string", value: spanText(r, E.pwd) });
    args.push({ name: "argv_dropped_args", type: "uint32", value: argv.droppedItems });
    args.push({ name: "argv_dropped_bytes", type: "uint32", value: argv.droppedBytes });
    args.push({ name: "env_dropped_args", type: "uint32", value: env.droppedItems });
    args.push({ name: "env_dropped_bytes", type: "uint32", value: env.droppedBytes });
  } else {
    args.push({ name: "env", type: "[]string", value: [] });
    args.push({ name: "pwd", type: "string", value: spanText(r, E.pwd) });
    args.push({ name: "argv_dropped_args", type: "uint32", value: argv.droppedItems });
    args.push({ name: "argv_dropped_bytes", type: "uint32", value: argv.droppedBytes });
  }
  args.push({ name: "truncated", type: "[]string", value: truncated });

  const syscall = SYSCALL_NAMES[dv.getInt32(off + E.syscall_nr, true)] ?? "";
  const e = headerEvent(r, ctx, "sched_process_exec", syscall, 0, pathname);
  e.args = args;
  return e;
}
