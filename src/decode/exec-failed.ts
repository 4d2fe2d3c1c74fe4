// KIND_EXEC_FAILED records → process_execute_failed events (fields of shared/spec/003).
// The binary's details are filled later by src/enrich/binary.ts (user space, see there).
import { exec_failed_record as R, rec_header as H, record_flag as RF, list_flag as LF } from "./layout.gen";
import { splitNul } from "./text";
import { checkRecord, headerEvent, spanText, type DecodeContext, type Rec } from "./record";
import { areaCut, droppedItems, stringArea } from "./args";
import { errnoName } from "./errno";
import { stdinPathText } from "./exec";
import type { Arg, TraceEvent } from "../event";

/** What user space needs to resolve the path the way the kernel did. */
export interface ExecCallerView {
  path: string;
  pwd: string; // caller's cwd, as a path from its mount namespace's root
  root: string; // caller's root directory (chroot), likewise
  dirfd: number;
  dirfdPath: string;
  flags: number;
  mountNamespace: number;
  hostProcessId: number;
}

/** A failed exec event plus what enrichment needs; `binary` (args[1]) is filled by enrichment. */
export interface FailedExecEvent extends TraceEvent {
  caller: ExecCallerView;
}

export const FAILED_ARG = { binary: 1, interpreter_path: 2 } as const;

/** A user string list read at syscall exit: what was kept, and what the limit left out. */
function userList(r: Rec, spanAt: number, countAt: number, sizeAt: number, flagsAt: number) {
  const area = stringArea(r, spanAt, sizeAt, countAt);
  const items = splitNul(r.u8, area.start, area.end).items;
  const flags = r.dv.getUint8(r.off + flagsAt);
  return {
    items,
    droppedItems: droppedItems(area, items.length),
    droppedBytes: area.droppedBytes,
    // More pointers than the kernel side counts (LF_COUNT_CUT: 512 before Linux 5.17) is a cut too.
    cut: areaCut(area) || (flags & LF.LF_COUNT_CUT) !== 0,
    fault: (flags & LF.LF_FAULT) !== 0,
    countCut: (flags & LF.LF_COUNT_CUT) !== 0,
  };
}

export function decodeExecFailed(r: Rec, ctx: DecodeContext, captureEnv: boolean): FailedExecEvent {
  checkRecord(r, R.$size);
  const { dv, off } = r;
  const flags = dv.getUint32(off + H.flags, true);
  const ret = Number(dv.getBigInt64(off + R.ret, true));
  const isAt = dv.getUint8(off + R.syscall) === 1;
  const path = spanText(r, R.path);
  const c = headerEvent(r, ctx, "process_execute_failed", isAt ? "execveat" : "execve", ret);
  const argv = userList(r, R.argv, R.argc, R.argv_size, R.argv_flags);
  const truncated: string[] = [];
  if (flags & RF.RF_CMDPATH_CUT) truncated.push("path");
  if (flags & RF.RF_PWD_CUT) truncated.push("pwd");
  if (argv.cut) truncated.push("arguments");

  const args: Arg[] = [
    { name: "path", type: "string", value: path },
    { name: "binary", type: "object", value: { path, device_id: 0, inode_number: 0, ctime: 0, inode_mode: 0 } },
    { name: "interpreter_path", type: "string", value: "" },
    { name: "stdin_type", type: "uint16", value: dv.getUint16(off + R.stdin_type, true) },
    { name: "stdin_path", type: "string", value: stdinPathText(r, flags, R.stdin_path, R.stdin_magic, R.stdin_ino) },
    { name: "kernel_invoked", type: "bool", value: (flags & RF.RF_KERNEL_INVOKED) !== 0 },
  ];
  if (captureEnv) {
    const env = userList(r, R.env, R.envc, R.env_size, R.env_flags);
    if (env.cut) truncated.push("environment");
    args.push({ name: "environment", type: "[]string", value: env.items });
  } else {
    args.push({ name: "environment", type: "[]string", value: [] });
  }
  args.push({ name: "arguments", type: "[]string", value: argv.items });
  args.push({ name: "error", type: "string", value: errnoName(-ret) });
  args.push({ name: "pwd", type: "string", value: spanText(r, R.pwd) });
  if (isAt) {
    args.push({ name: "dirfd", type: "int32", value: dv.getInt32(off + R.dirfd, true) });
    args.push({ name: "flags", type: "int32", value: dv.getUint32(off + R.exec_flags, true) });
  }
  args.push({ name: "arguments_dropped_args", type: "uint32", value: argv.droppedItems });
  args.push({ name: "arguments_dropped_bytes", type: "uint32", value: argv.droppedBytes });
  args.push({ name: "arguments_unreadable", type: "bool", value: argv.fault });
  args.push({ name: "binary_resolved_in", type: "string", value: "userspace" });
  args.push({ name: "truncated", type: "[]string", value: truncated });

  const caller: ExecCallerView = {
    path,
    pwd: spanText(r, R.pwd),
    root: spanText(r, R.root),
    dirfd: dv.getInt32(off + R.dirfd, true),
    dirfdPath: spanText(r, R.dirfd_path),
    flags: dv.getUint32(off + R.exec_flags, true),
    mountNamespace: c.mountNamespace,
    hostProcessId: c.hostProcessId,
  };
  c.args = args;
  return Object.assign(c, { caller });
}
