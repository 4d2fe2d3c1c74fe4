// GENERATED from .output/tracer.bpf.o BTF by scripts/gen-layout.ts — DO NOT EDIT.
// Byte offsets of the records in bpf/tracer.h as the compiler laid them out.
// Per struct: $size = sizeof; <member> = offsetof; <member>$count = array length (outer
// dimension; <member>$dims for more than one); <member>$struct = the nested struct's name.

/** struct span */
export const span = {
  $size: 8,
  off: 0, // __u32 (4)
  len: 4, // __u32 (4)
} as const;

/** struct file_id */
export const file_id = {
  $size: 24,
  inode: 0, // __u64 (8)
  ctime: 8, // __u64 (8)
  dev: 16, // __u32 (4)
  mode: 20, // __u16 (2)
  _pad: 22, // __u16 (2)
} as const;

/** struct cred_id */
export const cred_id = {
  $size: 80,
  uid: 0, // __u32 (4)
  gid: 4, // __u32 (4)
  suid: 8, // __u32 (4)
  sgid: 12, // __u32 (4)
  euid: 16, // __u32 (4)
  egid: 20, // __u32 (4)
  fsuid: 24, // __u32 (4)
  fsgid: 28, // __u32 (4)
  user_ns: 32, // __u32 (4)
  securebits: 36, // __u32 (4)
  cap_inheritable: 40, // __u64 (8)
  cap_permitted: 48, // __u64 (8)
  cap_effective: 56, // __u64 (8)
  cap_bounding: 64, // __u64 (8)
  cap_ambient: 72, // __u64 (8)
} as const;

/** struct task_who */
export const task_who = {
  $size: 96,
  creds: 0,
  creds$struct: "cred_id", // struct cred_id (80)
  login_uid: 80, // __u32 (4)
  session_id: 84, // __u32 (4)
  tty: 88,
  tty$struct: "span", // struct span (8)
} as const;

/** struct rec_header */
export const rec_header = {
  $size: 136,
  kind: 0, // __u32 (4)
  size: 4, // __u32 (4)
  seq: 8, // __u64 (8)
  ts: 16, // __u64 (8)
  thread_start: 24, // __u64 (8)
  process_start: 32, // __u64 (8)
  parent_start: 40, // __u64 (8)
  cgroup_id: 48, // __u64 (8)
  cpu: 56, // __u32 (4)
  host_tid: 60, // __u32 (4)
  host_pid: 64, // __u32 (4)
  host_ppid: 68, // __u32 (4)
  ns_tid: 72, // __u32 (4)
  ns_pid: 76, // __u32 (4)
  ns_ppid: 80, // __u32 (4)
  uid: 84, // __u32 (4)
  gid: 88, // __u32 (4)
  mnt_ns: 92, // __u32 (4)
  pid_ns: 96, // __u32 (4)
  flags: 100, // __u32 (4)
  comm: 104,
  comm$count: 16, // char[16] (16)
  hostname: 120,
  hostname$struct: "span", // struct span (8)
  cgroup: 128,
  cgroup$struct: "span", // struct span (8)
} as const;

/** struct exec_record */
export const exec_record = {
  $size: 400,
  h: 0,
  h$struct: "rec_header", // struct rec_header (136)
  cmdpath: 136,
  cmdpath$struct: "span", // struct span (8)
  pathname: 144,
  pathname$struct: "span", // struct span (8)
  interp: 152,
  interp$struct: "span", // struct span (8)
  interpreter_pathname: 160,
  interpreter_pathname$struct: "span", // struct span (8)
  stdin_path: 168,
  stdin_path$struct: "span", // struct span (8)
  pwd: 176,
  pwd$struct: "span", // struct span (8)
  argv: 184,
  argv$struct: "span", // struct span (8)
  env: 192,
  env$struct: "span", // struct span (8)
  binary: 200,
  binary$struct: "file_id", // struct file_id (24)
  interpreter: 224,
  interpreter$struct: "file_id", // struct file_id (24)
  stdin_ino: 248, // __u64 (8)
  stdin_magic: 256, // __u64 (8)
  argc: 264, // __u32 (4)
  envc: 268, // __u32 (4)
  argv_size: 272, // __u32 (4)
  env_size: 276, // __u32 (4)
  stdin_type: 280, // __u16 (2)
  _pad0: 282, // __u16 (2)
  syscall_nr: 284, // __s32 (4)
  prev_comm: 288,
  prev_comm$count: 16, // char[16] (16)
  who: 304,
  who$struct: "task_who", // struct task_who (96)
} as const;

/** struct fork_record */
export const fork_record = {
  $size: 192,
  h: 0,
  h$struct: "rec_header", // struct rec_header (136)
  child_start: 136, // __u64 (8)
  child_process_start: 144, // __u64 (8)
  pp_start: 152, // __u64 (8)
  child_tid: 160, // __u32 (4)
  child_pid: 164, // __u32 (4)
  child_ns_tid: 168, // __u32 (4)
  child_ns_pid: 172, // __u32 (4)
  pp_pid: 176, // __u32 (4)
  pp_ns_pid: 180, // __u32 (4)
  child_pid_ns: 184, // __u32 (4)
  _pad: 188, // __u32 (4)
} as const;

/** struct exit_record */
export const exit_record = {
  $size: 144,
  h: 0,
  h$struct: "rec_header", // struct rec_header (136)
  exit_code: 136, // __s32 (4)
  group_dead: 140, // __u32 (4)
} as const;

/** struct exec_failed_record */
export const exec_failed_record = {
  $size: 344,
  h: 0,
  h$struct: "rec_header", // struct rec_header (136)
  path: 136,
  path$struct: "span", // struct span (8)
  pwd: 144,
  pwd$struct: "span", // struct span (8)
  root: 152,
  root$struct: "span", // struct span (8)
  dirfd_path: 160,
  dirfd_path$struct: "span", // struct span (8)
  argv: 168,
  argv$struct: "span", // struct span (8)
  env: 176,
  env$struct: "span", // struct span (8)
  stdin_path: 184,
  stdin_path$struct: "span", // struct span (8)
  stdin_ino: 192, // __u64 (8)
  stdin_magic: 200, // __u64 (8)
  ret: 208, // __s64 (8)
  dirfd: 216, // __s32 (4)
  exec_flags: 220, // __u32 (4)
  argc: 224, // __u32 (4)
  envc: 228, // __u32 (4)
  argv_size: 232, // __u32 (4)
  env_size: 236, // __u32 (4)
  stdin_type: 240, // __u16 (2)
  syscall: 242, // __u8 (1)
  argv_flags: 243, // __u8 (1)
  env_flags: 244, // __u8 (1)
  _pad: 245,
  _pad$count: 3, // __u8[3] (3)
  who: 248,
  who$struct: "task_who", // struct task_who (96)
} as const;

/** struct lost_record */
export const lost_record = {
  $size: 208,
  h: 0,
  h$struct: "rec_header", // struct rec_header (136)
  lost: 136, // __u64 (8)
  lost_kind: 144,
  lost_kind$count: 6, // __u64[6] (48)
  scratch_clash: 192, // __u64 (8)
  skipped: 200, // __u64 (8)
} as const;

/** struct filter_key */
export const filter_key = {
  $size: 16,
  kind: 0, // __u32 (4)
  _pad: 4, // __u32 (4)
  value: 8, // __u64 (8)
} as const;

/** struct tracer_config */
export const tracer_config = {
  $size: 32,
  max_args_size: 0, // __u32 (4)
  max_env_size: 4, // __u32 (4)
  capture_env: 8, // __u8 (1)
  skip_threads: 9, // __u8 (1)
  exit_has_group_dead: 10, // __u8 (1)
  follow_tree: 11, // __u8 (1)
  filter_kinds: 12, // __u8 (1)
  include_kinds: 13, // __u8 (1)
  scope_where: 14, // __u8 (1)
  emit_kinds: 15, // __u8 (1)
  host_mnt_ns: 16, // __u32 (4)
  wakeup_bytes: 20, // __u32 (4)
  wakeup_ns: 24, // __u64 (8)
} as const;

/** struct counters */
export const counters = {
  $size: 152,
  emitted: 0,
  emitted$count: 6, // __u64[6] (48)
  lost: 48,
  lost$count: 6, // __u64[6] (48)
  filtered: 96,
  filtered$count: 6, // __u64[6] (48)
  scratch_clash: 144, // __u64 (8)
} as const;

/** enum tracer_limits */
export const tracer_limits = {
  TASK_COMM_LEN: 16,
  PATH_CAP: 4096,
  PATH_DEPTH: 64,
  NAME_CAP: 256,
  HOSTNAME_CAP: 65,
  TTY_NAME_CAP: 64,
  CGROUP_NAME_CAP: 128,
  ARGS_CAP: 524288,
  ARGS_DEFAULT: 131072,
} as const;

/** enum fs_magic */
export const fs_magic = {
  PIPEFS_MAGIC: 1346981957,
  SOCKFS_MAGIC: 1397703499,
  ANON_INODE_FS_MAGIC: 151263540,
  OVERLAYFS_SUPER_MAGIC: 2035054128,
} as const;

/** enum syscall_nr_x86_64 */
export const syscall_nr_x86_64 = {
  X86_64_NR_EXECVE: 59,
  X86_64_NR_EXECVEAT: 322,
} as const;

/** enum syscall_nr_arm64 */
export const syscall_nr_arm64 = {
  ARM64_NR_EXECVE: 221,
  ARM64_NR_EXECVEAT: 281,
} as const;

/** enum exec_syscall */
export const exec_syscall = {
  SYSCALL_EXECVE: 0,
  SYSCALL_EXECVEAT: 1,
} as const;

/** enum record_kind */
export const record_kind = {
  KIND_EXEC: 1,
  KIND_EXEC_FAILED: 2,
  KIND_FORK: 3,
  KIND_EXIT: 4,
  KIND_LOST: 5,
  KIND_MAX: 6,
} as const;

/** enum record_flag */
export const record_flag = {
  RF_PATHNAME_CUT: 1,
  RF_INTERP_PATH_CUT: 2,
  RF_STDIN_PATH_CUT: 4,
  RF_PWD_CUT: 8,
  RF_ARGV_FAULT: 16,
  RF_ENV_FAULT: 32,
  RF_CMDPATH_CUT: 64,
  RF_INTERP_CUT: 128,
  RF_KERNEL_INVOKED: 256,
  RF_STDIN_PSEUDO: 512,
  RF_PATH_FAULT: 1024,
  RF_PREV_COMM: 2048,
  RF_EXE_PSEUDO: 4096,
  RF_EXE_DELETED: 8192,
  RF_EXE_UPPER: 16384,
  RF_SECURE_EXEC: 32768,
  RF_NO_LOGIN: 65536,
  RF_SEQ_PER_CPU: 131072,
} as const;

/** enum list_flag */
export const list_flag = {
  LF_FAULT: 1,
  LF_COUNT_CUT: 2,
  LF_STR_FAULT: 4,
  LF_MEASURE_CUT: 8,
} as const;

/** enum seq_layout */
export const seq_layout = {
  SEQ_CPU_BITS: 12,
} as const;

/** enum filter_kind */
export const filter_kind = {
  FK_PID: 0,
  FK_UID: 1,
  FK_COMM: 2,
  FK_CGROUP: 3,
  FK_MNTNS: 4,
  FK_PIDNS: 5,
  FK_MAX: 6,
} as const;

/** enum filter_action */
export const filter_action = {
  FA_INCLUDE: 1,
  FA_EXCLUDE: 2,
} as const;

/** enum scope_where */
export const scope_where = {
  SCOPE_ANY: 0,
  SCOPE_CONTAINER: 1,
  SCOPE_HOST: 2,
} as const;

/** .rodata DATASEC: variable offsets (write them through LoadOptions.configure) */
export const rodata = {
  $size: 80,
  tracer_cfg: 0,
  tracer_cfg$struct: "tracer_config", // struct tracer_config (32)
  unused_list_flag: 32, // enum list_flag (4)
  unused_filter_kind: 36, // enum filter_kind (4)
  unused_filter_action: 40, // enum filter_action (4)
  unused_scope_where: 44, // enum scope_where (4)
  unused_record_kind: 48, // enum record_kind (4)
  unused_record_flag: 52, // enum record_flag (4)
  unused_seq_layout: 56, // enum seq_layout (4)
  unused_tracer_limits: 60, // enum tracer_limits (4)
  unused_fs_magic: 64, // enum fs_magic (4)
  unused_syscall_nr_x86_64: 68, // enum syscall_nr_x86_64 (4)
  unused_syscall_nr_arm64: 72, // enum syscall_nr_arm64 (4)
  unused_exec_syscall: 76, // enum exec_syscall (4)
} as const;

/** Maps of the object (its .maps section), by name. */
export const maps = {
  comm_before_rename: "comm_before_rename",
  counters: "counters",
  dying: "dying",
  events: "events",
  exec_stash: "exec_stash",
  filter_comms: "filter_comms",
  filter_values: "filter_values",
  group_exit_claimed: "group_exit_claimed",
  scratch: "scratch",
  traced: "traced",
} as const;

/** Programs of the object: name → ELF section (the attach point libbpf derives from it). */
export const programs = {
  handle_enter_execve: "tracepoint/syscalls/sys_enter_execve",
  handle_enter_execveat: "tracepoint/syscalls/sys_enter_execveat",
  handle_exec: "tp_btf/sched_process_exec",
  handle_exit: "tp_btf/sched_process_exit",
  handle_exit_execve: "tracepoint/syscalls/sys_exit_execve",
  handle_fork: "tp_btf/sched_process_fork",
  handle_rename: "tp_btf/task_rename",
} as const;
