// sched_process_exec: the schema of KIND_EXEC records (Tracee's 18 args in Tracee's order, then
// ours; shared/spec/000 and shared/tracee-json.md).
import {
  exec_record as E,
  file_id as F,
  fs_magic as FS,
  rec_header as H,
  record_flag as RF,
  record_kind as K,
  syscall_nr_arm64 as ARM64,
  syscall_nr_x86_64 as X86_64,
} from "../layout.gen";
import { spanText, type Rec } from "../record";
import { areaCut, droppedItems, stringArea, type StringArea } from "../string-area";
import type { RecordEvent } from "../event";
import { whoFields } from "./who";
import { parentFields, withParentCut, withParentHits } from "./context";
import { comm, defineEvent, envOnly, hashOnly, flag, list, nuls, num, span, str, u16, u32, u64 } from "../schema";

/** Syscall numbers of the exec family on the machine the binary runs on (the object is built for
 * it: NR_EXECVE and NR_EXECVEAT in bpf/lib/compat.h). */
export const SYSCALL_NAMES: Record<number, string> =
  process.arch === "arm64"
    ? { [ARM64.ARM64_NR_EXECVE]: "execve", [ARM64.ARM64_NR_EXECVEAT]: "execveat" }
    : { [X86_64.X86_64_NR_EXECVE]: "execve", [X86_64.X86_64_NR_EXECVEAT]: "execveat" };

/** stdin_path: readlink(/proc/PID/fd/0) text for pipes, sockets and anon inodes, else the path. */
export function stdinPathText(r: Rec, pathAt: number, magicAt: number, inoAt: number): string {
  const name = spanText(r, pathAt);
  if (!(r.dv.getUint32(r.off + H.flags, true) & RF.RF_STDIN_PSEUDO)) return name;
  const magic = r.dv.getUint32(r.off + magicAt, true);
  const ino = r.dv.getBigUint64(r.off + inoAt, true);
  if (magic === FS.PIPEFS_MAGIC) return `pipe:[${ino}]`;
  if (magic === FS.SOCKFS_MAGIC) return `socket:[${ino}]`;
  return `anon_inode:${name}`;
}

/** Fields whose value the kernel side had to cut, by flag. */
const CUT_FLAGS: [number, string][] = [
  [RF.RF_CMDPATH_CUT, "cmdpath"],
  [RF.RF_PATHNAME_CUT, "pathname"],
  [RF.RF_INTERP_PATH_CUT, "interpreter_pathname"],
  [RF.RF_INTERP_CUT, "interp"],
  [RF.RF_STDIN_PATH_CUT, "stdin_path"],
  [RF.RF_PWD_CUT, "pwd"],
];

interface ExecFacts {
  argv: StringArea;
  env: StringArea | null;
  truncated: string[];
}

function prepare(ev: RecordEvent): void {
  const r = ev.r;
  const flags = r.dv.getUint32(r.off + H.flags, true);
  const argv = stringArea(r, E.argv, E.argv_size, E.argc);
  const env = ev.opts.captureEnv ? stringArea(r, E.env, E.env_size, E.envc) : null;
  const truncated: string[] = [];
  for (let i = 0; i < CUT_FLAGS.length; i++) if (flags & CUT_FLAGS[i]![0]) truncated.push(CUT_FLAGS[i]![1]);
  if (areaCut(argv) || flags & RF.RF_ARGV_FAULT) truncated.push("argv");
  if (env && (areaCut(env) || flags & RF.RF_ENV_FAULT)) truncated.push("env");
  ev.facts = { argv, env, truncated } satisfies ExecFacts;
}

const facts = (ev: RecordEvent) => ev.facts as ExecFacts;

/** execve or execveat (the syscall the exec came through). */
export function execSyscall(ev: RecordEvent): string {
  return SYSCALL_NAMES[ev.r.dv.getInt32(ev.r.off + E.syscall_nr, true)] ?? "";
}

const BIN = E.binary;
const INT = E.interpreter;

export const EXEC = defineEvent({
  name: "sched_process_exec",
  short: "exec",
  id: "715",
  kind: K.KIND_EXEC,
  layout: E,
  doc: "from `tp_btf/sched_process_exec`; `syscall` is `execve` or `execveat`",
  syscall: execSyscall,
  prepare,
  args: [
    span("cmdpath", E.cmdpath, "the path as the caller passed it (`bprm->filename`)"),
    span(
      "pathname",
      E.pathname,
      "full path of the executed file, walked in BPF across mounts (for a `#!` script: the interpreter binary, like `/proc/PID/exe`); a memfd is `memfd:NAME`, a file whose name was removed ends in ` (deleted)` as `/proc/PID/exe` shows it",
    ),
    u32("dev", BIN + F.dev, "device of the file, kernel encoding `major << 20 | minor`"),
    u64("inode", BIN + F.inode, "inode number"),
    u64("ctime", BIN + F.ctime, "inode change time, ns since the epoch"),
    u16("inode_mode", BIN + F.mode, "full `i_mode` (type and permissions)"),
    span(
      "interpreter_pathname",
      E.interpreter_pathname,
      "the ELF loader (`PT_INTERP`, found through `AT_BASE`); empty for a static binary",
    ),
    u32("interpreter_dev", INT + F.dev, "its device (0 if none)"),
    u64("interpreter_inode", INT + F.inode, "its inode"),
    u64("interpreter_ctime", INT + F.ctime, "its inode change time"),
    nuls(
      "argv",
      (ev) => facts(ev).argv,
      "the arguments exactly as the new process sees them (`/proc/PID/cmdline`), secrets redacted (see Redaction)",
      { span: E.argv, size: E.argv_size, env: false },
    ),
    span("interp", E.interp, "`bprm->interp`: for a `#!` script, the interpreter the kernel chose"),
    u16("stdin_type", E.stdin_type, "`i_mode` of fd 0 (0 if closed)"),
    str(
      "stdin_path",
      (ev) => stdinPathText(ev.r, E.stdin_path, E.stdin_magic, E.stdin_ino),
      "path of fd 0; `pipe:[N]`, `socket:[N]`, `anon_inode:NAME` as `readlink /proc/PID/fd/0` writes them",
    ),
    flag(
      "invoked_from_kernel",
      RF.RF_KERNEL_INVOKED,
      "the parent is a kernel thread (usermode helper, e.g. a `core_pattern` pipe handler)",
    ),
    comm(
      "prev_comm",
      E.prev_comm,
      "the task's comm before this exec (as `prctl(PR_SET_NAME)` or the previous exec left it)",
    ),
    nuls(
      "env",
      (ev) => facts(ev).env,
      "the environment, with `--env` only (else `[]`); secrets redacted (see Redaction)",
      { span: E.env, size: E.env_size, env: true },
    ),
    span("pwd", E.pwd, "working directory"),
    ...whoFields(E.who),
    flag(
      "secure_exec",
      RF.RF_SECURE_EXEC,
      "the kernel marked this exec secure (`AT_SECURE`: setuid/setgid or file capabilities raised privileges)",
    ),
    flag("exe_memfd", RF.RF_EXE_PSEUDO, "the file is on no mount: a memfd (fileless execution)"),
    flag("exe_deleted", RF.RF_EXE_DELETED, "the file had no links left (removed while it ran, or a memfd)"),
    flag(
      "exe_upper_layer",
      RF.RF_EXE_UPPER,
      "the file lives in the upper (writable) layer of an overlayfs: written or changed inside the container after it started",
    ),
    hashOnly(
      str(
        "sha256",
        (ev) => ev.x.sha256,
        "SHA-256 of the executed file, lowercase hex; empty when it could not be hashed (see `hash_error`)",
      ),
    ),
    hashOnly(
      str(
        "interpreter_sha256",
        (ev) => ev.x.interpreterSha256,
        "SHA-256 of its ELF interpreter; empty for a static binary or when it could not be hashed",
      ),
    ),
    hashOnly(
      str(
        "hash_error",
        (ev) => ev.x.hashError,
        "why a hash is missing: `gone` (the file no longer exists), `changed` (it is not the file that was executed any more), `too large`, `slow`, or an errno; prefixed `interpreter:` for the interpreter, `script:` for the script; empty when both are there",
      ),
    ),
    hashOnly(
      str(
        "script_path",
        (ev) => ev.x.scriptPath,
        "for a `#!` script (`interp` is not `cmdpath`): the script's full path, `cmdpath` resolved against the process's cwd and root, links followed; empty otherwise. The script is a program too: `--profile` lists it beside its interpreter",
      ),
    ),
    hashOnly(
      str(
        "script_sha256",
        (ev) => ev.x.scriptSha256,
        "SHA-256 of that script, read by its path right after the exec (no tracepoint names the script's inode: a script replaced in between is read as it is then)",
      ),
    ),
    num(
      "argv_dropped_args",
      "uint32",
      (ev) => droppedItems(facts(ev).argv),
      "arguments not captured whole (the cut one included)",
    ),
    num("argv_dropped_bytes", "uint32", (ev) => facts(ev).argv.droppedBytes, "argument bytes not captured"),
    envOnly(num("env_dropped_args", "uint32", (ev) => droppedItems(facts(ev).env!), "the same for env (with `--env`)")),
    envOnly(num("env_dropped_bytes", "uint32", (ev) => facts(ev).env!.droppedBytes, "the same for env (with `--env`)")),
    list(
      "truncated",
      (ev) => withParentCut(facts(ev).truncated, ev.x.parent),
      "fields that were cut (`cmdpath`, `pathname`, `interpreter_pathname`, `interp`, `stdin_path`, `pwd`, `argv`, `env`, `parent_argv`); a path keeps its leaf side",
    ),
    list(
      "redacted",
      (ev) => withParentHits(ev.x.redacted, ev.x.parent),
      "ours: what redaction replaced with `[REDACTED]`, one `FIELD[INDEX]:RULE` per string and rule (`argv[3]:option`, `parent_argv[1]:mysql-p`); empty when nothing was (see Redaction)",
    ),
    ...parentFields(),
  ],
});
