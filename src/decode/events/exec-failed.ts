// process_execute_failed: the schema of KIND_EXEC_FAILED records (names of shared/spec/003: path,
// binary{}, kernel_invoked, environment, arguments; then ours). Tracee's code names the same
// values dirfd, flags, pathname, binary.path/device_id/inode_number/ctime/inode_mode,
// interpreter_path, stdin_type, stdin_path, kernel_invoked, argv, envp.
// `binary` and `interpreter_path` are filled in user space (enrich/binary.ts).
import {
  exec_failed_record as R,
  exec_syscall as X,
  rec_header as H,
  record_flag as RF,
  list_flag as LF,
  record_kind as K,
} from "../layout.gen";
import { spanText } from "../record";
import { areaCut, droppedItems, stringArea, type StringArea } from "../string-area";
import type { FailedBinary, RecordEvent } from "../event";
import { errnoName } from "../../../ffi/errno";
import { stdinPathText } from "./exec";
import { whoFields } from "./who";
import { parentFields, withParentCut, withParentHits } from "./context";
import { bool, defineEvent, envOnly, flag, i32, list, nuls, num, obj, span, str, u16 } from "../schema";

interface UserList extends StringArea {
  flags: number;
}

interface FailedFacts {
  argv: UserList;
  env: UserList | null;
  truncated: string[];
}

/** A user string list read at syscall exit: its area and what happened while reading it. */
function userList(ev: RecordEvent, spanAt: number, countAt: number, sizeAt: number, flagsAt: number): UserList {
  return Object.assign(stringArea(ev.r, spanAt, sizeAt, countAt), { flags: ev.r.dv.getUint8(ev.r.off + flagsAt) });
}

/** Cut by the limit, a string or the array unreadable, or more pointers than were counted. */
const listCut = (l: UserList) => areaCut(l) || (l.flags & (LF.LF_FAULT | LF.LF_STR_FAULT | LF.LF_COUNT_CUT)) !== 0;

/** Its dropped bytes are a lower bound: a string not measured whole, or not at all. */
const bytesAtLeast = (l: UserList) =>
  (l.flags & (LF.LF_FAULT | LF.LF_STR_FAULT | LF.LF_COUNT_CUT | LF.LF_MEASURE_CUT)) !== 0;

function prepare(ev: RecordEvent): void {
  const flags = ev.u32(H.flags);
  const argv = userList(ev, R.argv, R.argc, R.argv_size, R.argv_flags);
  const env = ev.opts.captureEnv ? userList(ev, R.env, R.envc, R.env_size, R.env_flags) : null;
  const truncated: string[] = [];
  if (flags & (RF.RF_CMDPATH_CUT | RF.RF_PATH_FAULT)) truncated.push("path");
  if (flags & RF.RF_PWD_CUT) truncated.push("pwd");
  if (listCut(argv)) truncated.push("arguments");
  if (env && listCut(env)) truncated.push("environment");
  ev.facts = { argv, env, truncated } satisfies FailedFacts;
}

const facts = (ev: RecordEvent) => ev.facts as FailedFacts;
const ret = (ev: RecordEvent) => Number(ev.r.dv.getBigInt64(ev.r.off + R.ret, true));

/** The path could not be read from the caller (EFAULT): there is nothing to resolve. */
export const pathUnreadable = (ev: RecordEvent) => (ev.u32(H.flags) & RF.RF_PATH_FAULT) !== 0;

/** The binary as the caller named it, before user space resolves it (or when it cannot). */
export function unresolvedBinary(ev: RecordEvent): FailedBinary {
  return { path: spanText(ev.r, R.path), device_id: 0, inode_number: 0n, ctime: 0n, inode_mode: 0 };
}

/** What user space needs to resolve the path the way the kernel did. */
export function callerView(ev: RecordEvent) {
  const r = ev.r;
  return {
    path: spanText(r, R.path),
    pwd: spanText(r, R.pwd), // caller's cwd, as a path from its mount namespace's root
    root: spanText(r, R.root), // caller's root directory (chroot), likewise
    dirfd: r.dv.getInt32(r.off + R.dirfd, true),
    dirfdPath: spanText(r, R.dirfd_path),
    flags: ev.u32(R.exec_flags),
    mountNamespace: ev.u32(H.mnt_ns),
    hostProcessId: ev.u32(H.host_pid),
  };
}
export type ExecCallerView = ReturnType<typeof callerView>;

export const EXEC_FAILED = defineEvent({
  name: "process_execute_failed",
  short: "execfail",
  id: "779",
  kind: K.KIND_EXEC_FAILED,
  layout: R,
  doc: "from `syscalls/sys_enter_execve(at)` + `sys_exit_execve(at)`: the enter side only stashes pointers in an LRU map keyed by thread id, the exit side does the work when the return value is negative; `returnValue` is `-errno`",
  syscall: (ev) => (ev.r.dv.getUint8(ev.r.off + R.syscall) === X.SYSCALL_EXECVEAT ? "execveat" : "execve"),
  returnValue: ret,
  prepare,
  args: [
    span("path", R.path, "the path as the caller passed it (empty when it could not be read: see `truncated`)"),
    obj(
      "binary",
      (ev) => ev.x.binary ?? unresolvedBinary(ev),
      "`{path, device_id, inode_number, ctime, inode_mode}` of the file the path names. No tracepoint sees the file a failed exec opened, so it is resolved in user space right after the record is read, the way the kernel does (against the caller's cwd, or `dirfd`, inside its root; through `/proc/PID/root` for other mount namespaces) — it can race with a rename. Where the file does not exist: `path` unresolved, numbers 0",
    ),
    str(
      "interpreter_path",
      (ev) => ev.x.interpreterPath,
      "for a `#!` script, the interpreter its first line names; for an ELF, its `PT_INTERP`",
    ),
    u16("stdin_type", R.stdin_type, "as for exec"),
    str("stdin_path", (ev) => stdinPathText(ev.r, R.stdin_path, R.stdin_magic, R.stdin_ino), "as for exec"),
    flag("kernel_invoked", RF.RF_KERNEL_INVOKED, "as `invoked_from_kernel`"),
    nuls("environment", (ev) => facts(ev).env, "with `--env` only (else `[]`); secrets redacted (see Redaction)", {
      span: R.env,
      size: R.env_size,
      env: true,
    }),
    nuls(
      "arguments",
      (ev) => facts(ev).argv,
      "read from the caller's argv as passed; what could be read when some of it could not; secrets redacted (see Redaction)",
      { span: R.argv, size: R.argv_size, env: false },
    ),
    ...whoFields(R.who),
    str("error", (ev) => errnoName(-ret(ev)), "ours: the errno's name (`ENOENT`)"),
    span("pwd", R.pwd, "ours: the caller's working directory"),
    i32("dirfd", R.dirfd, "ours: execveat's dirfd (-100, AT_FDCWD, for execve)"),
    i32("flags", R.exec_flags, "ours: execveat's flags (0 for execve)"),
    num(
      "arguments_dropped_args",
      "uint32",
      (ev) => droppedItems(facts(ev).argv),
      "ours: arguments not captured whole: cut by the limit, or unreadable (a lower bound when `arguments` is in `truncated` for a fault)",
    ),
    num(
      "arguments_dropped_bytes",
      "uint32",
      (ev) => facts(ev).argv.droppedBytes,
      "ours: argument bytes not captured (each string measured up to 128 KiB, the kernel's own limit; unreadable strings have no measure: see `arguments_dropped_bytes_lower_bound`)",
    ),
    envOnly(
      num(
        "environment_dropped_args",
        "uint32",
        (ev) => droppedItems(facts(ev).env!),
        "ours: the same for the environment (with `--env`)",
      ),
    ),
    envOnly(
      num(
        "environment_dropped_bytes",
        "uint32",
        (ev) => facts(ev).env!.droppedBytes,
        "ours: the same for the environment (with `--env`)",
      ),
    ),
    bool(
      "arguments_unreadable",
      (ev) => (facts(ev).argv.flags & (LF.LF_FAULT | LF.LF_STR_FAULT)) !== 0,
      "ours: the argv array or one of its strings could not be read (a bad pointer, or a page not yet in memory); the strings from there on are dropped and counted",
    ),
    str("binary_resolved_in", () => "userspace", "ours: where `binary` was resolved"),
    list(
      "truncated",
      (ev) => withParentCut(facts(ev).truncated, ev.x.parent),
      "ours: `path`, `pwd`, `arguments`, `environment` when cut or unreadable, `parent_argv` when the table's copy was cut (a `path` that could not be read at all is empty)",
    ),
    bool(
      "arguments_dropped_bytes_lower_bound",
      (ev) => bytesAtLeast(facts(ev).argv),
      "ours: `arguments_dropped_bytes` is a lower bound, not the count: a string longer than 128 KiB (the exec fails with `E2BIG`) was measured as 128 KiB, a string could not be read, or the array could not be walked to its end",
    ),
    envOnly(
      bool(
        "environment_dropped_bytes_lower_bound",
        (ev) => bytesAtLeast(facts(ev).env!),
        "ours: the same for `environment_dropped_bytes` (with `--env`)",
      ),
    ),
    list(
      "redacted",
      (ev) => withParentHits(ev.x.redacted, ev.x.parent),
      "ours: what redaction replaced with `[REDACTED]`, one `FIELD[INDEX]:RULE` per string and rule (`argv[3]:option`, `parent_argv[1]:mysql-p`); empty when nothing was (see Redaction)",
    ),
    ...parentFields(),
  ],
});
