/* tracer.h: the ONE definition of every record the kernel side sends to user space, of the
 * configuration user space writes into .rodata before load, and of the limits both sides share.
 * The TypeScript decoder's offsets are generated from the compiled object's BTF
 * (scripts/gen-layout.ts -> src/decode/layout.gen.ts); nothing here is typed twice.
 * Rules: fixed-width fields only, common header first, variable-length data in a tail after the
 * fixed part addressed by spans, padding named, sizes asserted below. No bitfields. */
#ifndef TRACER_H
#define TRACER_H

/* Limits. Constants shared with TypeScript are enums: they reach the object's BTF, and from
 * there src/decode/layout.gen.ts (a #define would not). */
enum tracer_limits {
	TASK_COMM_LEN = 16,
	PATH_CAP = 4096,           /* bytes kept of one path (cmdpath, pathname, ...), like PATH_MAX */
	PATH_DEPTH = 64,           /* path components walked before the walk is declared cut */
	NAME_CAP = 256,            /* one path component, NAME_MAX + 1 */
	HOSTNAME_CAP = 65,         /* __NEW_UTS_LEN + 1 */
	TTY_NAME_CAP = 64,         /* tty_struct.name */
	CGROUP_NAME_CAP = 128,     /* leaf name of the task's cgroup (v2) */
	ARGS_CAP = 512 * 1024,     /* hard upper bound of the argv (and env) capture limit */
	ARGS_DEFAULT = 128 * 1024, /* the capture limit without --max-args-size */
};

/* Superblock magic numbers (<linux/magic.h>) of the file systems the records name. */
enum fs_magic {
	PIPEFS_MAGIC = 0x50495045,
	SOCKFS_MAGIC = 0x534F434B,
	ANON_INODE_FS_MAGIC = 0x09041934,
	OVERLAYFS_SUPER_MAGIC = 0x794c7630,
};

/* Syscall numbers of the exec family (exec_record.syscall_nr), per architecture: the object is
 * built for one, the decoder picks by the machine it runs on. */
enum syscall_nr_x86_64 {
	X86_64_NR_EXECVE = 59,
	X86_64_NR_EXECVEAT = 322,
};
enum syscall_nr_arm64 {
	ARM64_NR_EXECVE = 221,
	ARM64_NR_EXECVEAT = 281,
};

/* exec_failed_record.syscall: which syscall failed. */
enum exec_syscall {
	SYSCALL_EXECVE = 0,
	SYSCALL_EXECVEAT = 1,
};

enum record_kind {
	KIND_EXEC = 1,        /* sched_process_exec */
	KIND_EXEC_FAILED = 2, /* process_execute_failed */
	KIND_FORK = 3,        /* sched_process_fork */
	KIND_EXIT = 4,        /* sched_process_exit */
	KIND_LOST = 5,        /* lost_events: built by user space from the counters, never by the kernel */
	KIND_MAX = 6,
};

/* Bits of rec_header.flags and exec_record.path_flags. */
enum record_flag {
	RF_PATHNAME_CUT = 1 << 0,    /* pathname walk hit PATH_DEPTH or PATH_CAP: leaf side kept */
	RF_INTERP_PATH_CUT = 1 << 1, /* interpreter_pathname likewise */
	RF_STDIN_PATH_CUT = 1 << 2,  /* stdin_path likewise */
	RF_PWD_CUT = 1 << 3,         /* pwd likewise */
	RF_ARGV_FAULT = 1 << 4,      /* argv area could not be read (fault): argv is empty */
	RF_ENV_FAULT = 1 << 5,       /* env area could not be read */
	RF_CMDPATH_CUT = 1 << 6,     /* cmdpath longer than PATH_CAP */
	RF_INTERP_CUT = 1 << 7,      /* interp longer than PATH_CAP */
	RF_KERNEL_INVOKED = 1 << 8,  /* parent is a kernel thread (usermode helper) */
	/* fd 0 is on a pseudo fs (pipe, socket, anon inode): stdin_path holds only the dentry name */
	RF_STDIN_PSEUDO = 1 << 9,
	RF_PATH_FAULT = 1 << 10,  /* failed exec: the path pointer could not be read (EFAULT): path is empty */
	RF_PREV_COMM = 1 << 11,   /* exec: prev_comm was caught at the exec's rename (task_rename) */
	RF_EXE_PSEUDO = 1 << 12,  /* exec: the file is on no mount (memfd and other pseudo files) */
	RF_EXE_DELETED = 1 << 13, /* exec: the file had no links left (i_nlink 0) */
	RF_EXE_UPPER = 1 << 14,   /* exec: the file is in an overlayfs's upper (writable) layer */
	RF_SECURE_EXEC = 1 << 15, /* exec: AT_SECURE (setuid/setgid or file capabilities raised privileges) */
	RF_NO_LOGIN = 1 << 16,    /* the kernel keeps no audit login uid/session (no CONFIG_AUDIT) */
	RF_SEQ_PER_CPU = 1 << 17, /* seq is per CPU (kernels before 5.12): count << SEQ_CPU_BITS | cpu */
};

/* A byte range inside the same record: [off, off + len) from the record's first byte. */
struct span {
	__u32 off;
	__u32 len;
};

/* Identity of a file: what stat(2) and the kernel tell about it. */
struct file_id {
	__u64 inode;
	__u64 ctime; /* inode change time, ns since the epoch */
	__u32 dev;   /* kernel dev_t encoding: major << 20 | minor */
	__u16 mode;  /* full i_mode: type and permission bits */
	__u16 _pad;
};

/* Credentials of a task, as Tracee's SlimCred. */
struct cred_id {
	__u32 uid;
	__u32 gid;
	__u32 suid;
	__u32 sgid;
	__u32 euid;
	__u32 egid;
	__u32 fsuid;
	__u32 fsgid;
	__u32 user_ns; /* inode of the user namespace */
	__u32 securebits;
	__u64 cap_inheritable;
	__u64 cap_permitted;
	__u64 cap_effective;
	__u64 cap_bounding;
	__u64 cap_ambient;
};

/* Who and from where: credentials, audit login, controlling terminal. */
struct task_who {
	struct cred_id creds;
	__u32 login_uid; /* 4294967295 when unset */
	__u32 session_id;
	struct span tty; /* the controlling terminal's kernel name ("pts3", "tty1"); empty if none */
};

/* First in every record. Ids of the task the event is about (for fork: the parent, the
 * forking task). Times are CLOCK_BOOTTIME ns; user space adds the boot-to-epoch offset. */
struct rec_header {
	__u32 kind;          /* enum record_kind */
	__u32 size;          /* bytes of the whole record, tail included */
	__u64 seq;           /* global sequence number, assigned before the ring reserve: a gap is a loss */
	__u64 ts;            /* bpf_ktime_get_boot_ns() */
	__u64 thread_start;  /* task->start_boottime */
	__u64 process_start; /* group leader's start_boottime */
	__u64 parent_start;  /* real parent's group leader's start_boottime */
	__u64 cgroup_id;     /* cgroup v2 id (kernfs node id) */
	__u32 cpu;
	__u32 host_tid;
	__u32 host_pid;
	__u32 host_ppid;
	__u32 ns_tid; /* ids as seen in the task's own (innermost) pid namespace */
	__u32 ns_pid;
	__u32 ns_ppid; /* 0 when the parent is outside the task's pid namespace */
	__u32 uid;
	__u32 gid;
	__u32 mnt_ns;
	__u32 pid_ns;
	__u32 flags; /* enum record_flag */
	char comm[TASK_COMM_LEN];
	struct span hostname; /* UTS nodename of the task */
	struct span cgroup;   /* leaf name of the task's cgroup v2 directory */
};

/* KIND_EXEC: sched_process_exec. Tail holds, in this order, the strings the spans point at. */
struct exec_record {
	struct rec_header h;
	struct span cmdpath;              /* bprm->filename, as the caller passed it */
	struct span pathname;             /* full path of bprm->file, walked in BPF across mounts */
	struct span interp;               /* bprm->interp */
	struct span interpreter_pathname; /* ELF loader (AT_BASE vma's file), empty if static */
	struct span stdin_path;
	struct span pwd;
	struct span argv; /* NUL-separated, as in the new process's memory; may end cut */
	struct span env;  /* likewise, only when tracer_cfg.capture_env */
	struct file_id binary;
	struct file_id interpreter;
	__u64 stdin_ino;
	__u64 stdin_magic; /* superblock magic of fd 0's file system */
	__u32 argc;        /* bprm->argc */
	__u32 envc;
	__u32 argv_size; /* bytes of the whole argv area (arg_end - arg_start) */
	__u32 env_size;
	__u16 stdin_type; /* i_mode of fd 0's inode, 0 if fd 0 is closed */
	__u16 _pad0;
	__s32 syscall_nr;              /* syscall being executed (execve or execveat), -1 if none */
	char prev_comm[TASK_COMM_LEN]; /* the task's comm before this exec (see RF_PREV_COMM) */
	struct task_who who;           /* after the exec's credential change */
};

/* KIND_FORK: sched_process_fork. The header is the forking task (parent_* fields). */
struct fork_record {
	struct rec_header h;
	__u64 child_start;         /* child's start_boottime */
	__u64 child_process_start; /* child's group leader's start_boottime */
	__u64 pp_start;            /* parent process (child's real parent's leader) start_boottime */
	__u32 child_tid;
	__u32 child_pid;
	__u32 child_ns_tid; /* in the child's innermost pid namespace */
	__u32 child_ns_pid;
	__u32 pp_pid;       /* parent process: group leader of the child's real parent */
	__u32 pp_ns_pid;    /* in its own innermost pid namespace */
	__u32 child_pid_ns; /* inode of the child's pid namespace */
	__u32 _pad;
};

/* KIND_EXIT: sched_process_exit, about the exiting task. */
struct exit_record {
	struct rec_header h;
	__s32 exit_code;  /* task->exit_code: (status << 8) | signal | 0x80 if core dumped */
	__u32 group_dead; /* 1 when this is the last thread of the process */
};

/* KIND_EXEC_FAILED: an execve/execveat that returned an error, seen at syscall exit. Paths are
 * the caller's view; the binary is resolved in user space (no tracepoint sees the opened file). */
struct exec_failed_record {
	struct rec_header h;
	struct span path;       /* filename as the caller passed it (user memory) */
	struct span pwd;        /* caller's working directory, walked */
	struct span root;       /* caller's root directory (chroot), walked */
	struct span dirfd_path; /* execveat: path of dirfd's file, walked; empty for AT_FDCWD */
	struct span argv;       /* NUL-separated, read from the caller's argv array */
	struct span env;        /* likewise, only when tracer_cfg.capture_env */
	struct span stdin_path;
	__u64 stdin_ino;
	__u64 stdin_magic;
	__s64 ret;        /* the syscall's return value (-errno) */
	__s32 dirfd;      /* execveat's dirfd */
	__u32 exec_flags; /* execveat's flags */
	__u32 argc;       /* argv pointers counted up to the NULL (or a fault, or ARGC_MAX) */
	__u32 envc;
	__u32 argv_size; /* bytes of all argv strings, NULs included, as far as counted */
	__u32 env_size;
	__u16 stdin_type;
	__u8 syscall;    /* enum exec_syscall */
	__u8 argv_flags; /* enum list_flag for argv */
	__u8 env_flags;  /* enum list_flag for env */
	__u8 _pad[3];
	struct task_who who; /* the caller's */
};

/* KIND_LOST: lost_events, what the kernel could not send since the last one (user space fills
 * it from the counters below and decodes it like any record; the header says only ts). */
struct lost_record {
	struct rec_header h;
	__u64 lost;                /* all records lost: the sum of the others */
	__u64 lost_kind[KIND_MAX]; /* per record kind: ring full, scratch clash or skipped run (below) */
	__u64 scratch_clash;       /* of lost_kind: records dropped because another program on the CPU held
				    * the scratch (default object) or reused it (legacy) */
	__u64 skipped;             /* of lost_kind: runs the kernel skipped (the program was already
				    * running on that CPU: bpf_prog_info.recursion_misses) */
};

/* What happened while reading a user string list (argv/env) at a failed exec. */
enum list_flag {
	LF_FAULT = 1 << 0,       /* the pointer array could not be read (EFAULT): argc and size are lower bounds */
	LF_COUNT_CUT = 1 << 1,   /* more than ARGC_MAX pointers: argc and size are lower bounds */
	LF_STR_FAULT = 1 << 2,   /* a string could not be read (not faulted in, or a bad pointer): it and
				   * every later string are dropped (counted in argc, not in size) */
	LF_MEASURE_CUT = 1 << 3, /* a string was longer than ARG_STRLEN_MAX (the exec fails, E2BIG): it
				   * counts ARG_STRLEN_MAX in size, a lower bound */
};

/* Pointers counted at most in a failed exec's argv/env: more than the kernel can take (its
 * argument area is at most 6 MiB, and every string costs a pointer and a NUL: 9 bytes). */
#define ARGC_MAX (1 << 20)
/* The same before Linux 5.17 (bounded loops, every iteration verified): LF_COUNT_CUT beyond. */
#define LEGACY_ARGC_MAX 512

/* A per-CPU seq (RF_SEQ_PER_CPU): count << SEQ_CPU_BITS | cpu; user space makes one global
 * sequence of them (src/decode/seq.ts). */
enum seq_layout {
	SEQ_CPU_BITS = 12,
};

/* Scope filter kinds. Values of a kind live in map "filter_values" (key filter_key, value
 * enum filter_action), comm values in "filter_comms". Within a kind: OR of includes, any exclude
 * wins; across kinds: AND. A kind is only looked at when its bit is set in tracer_config. */
enum filter_kind {
	FK_PID = 0, /* tgid, or membership in the followed tree (map "traced") */
	FK_UID = 1,
	FK_COMM = 2,
	FK_CGROUP = 3, /* cgroup v2 id of the task's cgroup or any ancestor */
	FK_MNTNS = 4,
	FK_PIDNS = 5,
	FK_MAX = 6,
};

enum filter_action {
	FA_INCLUDE = 1,
	FA_EXCLUDE = 2,
};

enum scope_where {
	SCOPE_ANY = 0,
	SCOPE_CONTAINER = 1, /* only tasks outside the host's mount namespace */
	SCOPE_HOST = 2,      /* only tasks in the host's mount namespace */
};

struct filter_key {
	__u32 kind; /* enum filter_kind */
	__u32 _pad;
	__u64 value;
};

/* Written by user space into .rodata before load (const volatile tracer_cfg). */
struct tracer_config {
	__u32 max_args_size;      /* argv capture limit in bytes, <= ARGS_CAP */
	__u32 max_env_size;       /* env capture limit in bytes, <= ARGS_CAP */
	__u8 capture_env;         /* 0: env is never read */
	__u8 skip_threads;        /* 1: no fork/exit records for threads (CLONE_THREAD) */
	__u8 exit_has_group_dead; /* 1: the sched_process_exit tracepoint passes group_dead (6.x+) */
	__u8 follow_tree;         /* 1: forks of tasks in "traced" add the child; exits remove it */
	__u8 filter_kinds;        /* bit (1 << filter_kind): the kind has values */
	__u8 include_kinds;       /* bit (1 << filter_kind): the kind has at least one include */
	__u8 scope_where;         /* enum scope_where */
	__u8 emit_kinds;          /* bit (1 << record_kind): records of that kind are sent (a program can be
			       * attached for its side effects only, e.g. fork/exit to follow a tree) */
	__u32 host_mnt_ns;        /* the tracer's own mount namespace (for SCOPE_*) */
	__u32 wakeup_bytes;       /* wake the consumer when this much is waiting in the ring ... */
	__u64 wakeup_ns;          /* ... or when the last wake-up is this old (bounds the delay) */
};

/* Per-CPU counters (map "counters"), summed by user space. */
struct counters {
	__u64 emitted[KIND_MAX]; /* records submitted, per kind */
	/* records dropped because the ring was full or the scratch was held (below), per kind */
	__u64 lost[KIND_MAX];
	__u64 filtered[KIND_MAX]; /* events left out by the scope filters, per kind */
	/* of lost: records dropped because another program on the CPU held (default) or reused
	 * (legacy) its scratch buffer */
	__u64 scratch_clash;
};

#define ARG_STRLEN_MAX (128 * 1024) /* MAX_ARG_STRLEN: the kernel's limit of one argv/env string */
#define SCRATCH_TAIL \
	(7 * PATH_CAP + HOSTNAME_CAP + CGROUP_NAME_CAP + TTY_NAME_CAP + 2 * ARGS_CAP + 2 * NAME_CAP + ARG_STRLEN_MAX)

#ifndef __cplusplus
_Static_assert(sizeof(struct span) == 8, "span");
_Static_assert(sizeof(struct file_id) == 24, "file_id");
_Static_assert(sizeof(struct cred_id) == 80, "cred_id");
_Static_assert(sizeof(struct task_who) % 8 == 0, "task_who alignment");
_Static_assert(sizeof(struct rec_header) % 8 == 0, "rec_header alignment");
_Static_assert(sizeof(struct exec_record) % 8 == 0, "exec_record alignment");
_Static_assert(sizeof(struct tracer_config) % 8 == 0, "tracer_config alignment");
_Static_assert(sizeof(struct fork_record) % 8 == 0, "fork_record alignment");
_Static_assert(sizeof(struct exec_failed_record) % 8 == 0, "exec_failed_record alignment");
_Static_assert(sizeof(struct exit_record) % 8 == 0, "exit_record alignment");
_Static_assert(sizeof(struct lost_record) % 8 == 0, "lost_record alignment");
#endif

#endif /* TRACER_H */
