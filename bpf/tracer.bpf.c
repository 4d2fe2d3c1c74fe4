// SPDX-License-Identifier: GPL-2.0
/* tracer.bpf.c: tracepoint programs that turn process lifecycle events into records
 * (layout: tracer.h) on one BPF ring buffer, so events keep their order across CPUs. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "tracer.h"

char LICENSE[] SEC("license") = "GPL";

#define PF_KTHREAD 0x00200000

/* Two builds of this file (scripts/build-bpf.sh), chosen at load by probing the kernel
 * (src/load/kernel-features.ts), never by trying:
 * - the default one needs Linux 5.17: bpf_loop() callbacks for the path walks and string lists,
 *   bpf_find_vma() for the ELF interpreter, an atomic fetch-add for the global sequence number
 *   (5.12), bpf_get_current_task_btf() (5.11), bpf_task_pt_regs() (5.15), pointer arguments
 *   to global functions (5.12);
 * - TRACER_LEGACY runs from Linux 5.10 (with BTF): bounded loops instead (the verifier walks
 *   every iteration, so the failed-exec string lists stop at LEGACY_ARGC_MAX pointers, said
 *   with LF_COUNT_CUT), the interpreter found by walking the mm's VMA list, per-CPU sequence
 *   numbers (RF_SEQ_PER_CPU), bpf_get_current_task() with CO-RE reads, the user registers at
 *   the top of the task's kernel stack. */
#ifdef TRACER_LEGACY
#define current_task() ((struct task_struct *)bpf_get_current_task())
#define PATH_FN static __always_inline /* wrapped in a global function: see put_path_here() */
#define LIST_FN static __always_inline
#define LOOP_FN static __noinline /* a call per iteration: loops stay in the shape 5.10 accepts (no fall-through back-edge) */
#define THREAD_SIZE (4 * 4096) /* x86-64 and arm64 without KASAN */
static __always_inline struct pt_regs *task_user_regs(struct task_struct *task)
{
	void *stack = BPF_CORE_READ(task, stack);

	return (struct pt_regs *)(stack + THREAD_SIZE) - 1;
}
#else
#define current_task() bpf_get_current_task_btf()
#define PATH_FN __noinline /* global: verified once, not at each call site */
#define LOOP_FN static
#define LIST_FN static __noinline
#define task_user_regs(task) ((struct pt_regs *)bpf_task_pt_regs(task))
#endif
/* Number of the syscall the task is in (orig_ax / syscallno of its user registers). */
#if defined(__TARGET_ARCH_arm64)
#define PT_REGS_PARM_SYSCALL_NR(task) ({ struct pt_regs *r = task_user_regs(task); (__s32)BPF_CORE_READ(r, syscallno); })
#define NR_EXECVE 221
#define NR_EXECVEAT 281
#else
#define PT_REGS_PARM_SYSCALL_NR(task) ({ struct pt_regs *r = task_user_regs(task); (__s32)BPF_CORE_READ(r, orig_ax); })
#define NR_EXECVE 59
#define NR_EXECVEAT 322
#endif
#define AT_NULL 0
#define AT_BASE 7
#define AT_SECURE 23
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define PIPEFS_MAGIC 0x50495045
#define SOCKFS_MAGIC 0x534F434B
#define ANON_INODE_FS_MAGIC 0x09041934

const volatile struct tracer_config tracer_cfg = {
	.max_args_size = ARGS_DEFAULT,
	.max_env_size = ARGS_DEFAULT,
	.capture_env = 0,
};

/* Every record goes through this one ring; user space sets its size before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/* Large records are built here, then copied into the ring with their exact size.
 * One slot per CPU (max_entries is set to the number of possible CPUs before load); an ARRAY
 * rather than a PERCPU_ARRAY because per-CPU values are limited to 32 KiB. */
struct scratch {
	const unsigned char *names[PATH_DEPTH]; /* path walk: component names, leaf first */
	__u32 lens[PATH_DEPTH];
	struct dentry *walk_dentry;              /* put_path() input and loop state */
	struct vfsmount *walk_mnt;
	struct mount *walk_mount;
	__u32 walk_n;
	__u32 walk_off;
	__u32 walk_start;
	__u8 walk_done;
	__u8 walk_cut;
	__u8 walk_pseudo;                        /* the walk ended on a disconnected dentry (memfd, ...) */
	__u8 walk_deleted;                       /* the leaf dentry is unhashed: " (deleted)" follows */
	__u8 list_flags;                         /* put_user_list() loop state */
	__u8 list_cut;                           /* the last kept string was cut at the limit */
	__u8 _pad2[2];
	const char *const *list_base;
	__u32 list_off;
	__u32 list_end;
	__u32 list_count;
	__u32 list_bytes;
	__u64 owner;                             /* legacy: the tid using the slot; default: tid + 1 while taken, 0 when free (64 bits: the atomic compare-and-swap of BPF's v1 ISA) */
	struct span ret;                         /* legacy: the span put_path_here()/put_list_here() wrote */
	union {
		struct exec_record exec;
		struct fork_record fork;
		struct exec_failed_record failed;
		struct exit_record exit;
		__u8 buf[sizeof(struct exec_record) + SCRATCH_TAIL];
	};
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} counters SEC(".maps");

/* execve/execveat arguments stashed at syscall entry, keyed by tid, consumed at exit. LRU: a
 * task that never comes back (killed in the syscall) cannot exhaust it. */
struct exec_args {
	const char *filename;
	const char *const *argv;
	const char *const *envp;
	__s32 dirfd;
	__u32 flags;
	__u8 syscall; /* 0: execve, 1: execveat */
	__u8 _pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct exec_args);
} exec_stash SEC(".maps");

/* A task's comm just before its latest rename, keyed by tid. An exec renames the task (after
 * de_thread(), so the key is the tid the exec ends with) before sched_process_exec fires: there,
 * the entry is the comm before the exec (prev_comm). LRU: renames without an exec cannot fill it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, char[TASK_COMM_LEN]);
} comm_before_rename SEC(".maps");

/* Scope filters (see enum filter_kind in tracer.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct filter_key);
	__type(value, __u8);
} filter_values SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, char[TASK_COMM_LEN]);
	__type(value, __u8);
} filter_comms SEC(".maps");

/* Processes (tgids) followed with --pid-tree / -- COMMAND: seeded by user space, grown by fork,
 * shrunk by exit, all in the kernel so nothing depends on user space keeping up. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} traced SEC(".maps");

/* Followed processes whose last thread has just exited (boot ns of that exit): the exits of their
 * other threads can come a moment after the group-dead one (they decremented signal->live first
 * but reach the tracepoint later) and must not be filtered out. Kept 1 s, LRU-bounded: a pid is
 * never reused that fast. */
#define DYING_NS 1000000000ULL
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} dying SEC(".maps");

/* Kernels whose sched_process_exit lacks group_dead: signal->live read at the tracepoint is 0 for
 * every thread that reaches it after the last decrement, so threads of one process exiting
 * together (exit_group) can all see 0. The first of them to claim the process here (by tgid and
 * leader start, so a reused pid is another key) is its one group exit; LRU-bounded, an entry only
 * has to outlive the moment its threads exit together. */
struct group_key {
	__u32 tgid;
	__u32 _pad;
	__u64 leader_start;
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct group_key);
	__type(value, __u8);
} group_exit_claimed SEC(".maps");

static __always_inline __u32 claim_group_exit(struct task_struct *task)
{
	struct group_key k = {};
	__u8 one = 1;

	if (task->signal->live.counter != 0)
		return 0;
	k.tgid = task->tgid;
	k.leader_start = BPF_CORE_READ(task, group_leader, start_boottime);
	return bpf_map_update_elem(&group_exit_claimed, &k, &one, BPF_NOEXIST) == 0;
}

static __always_inline bool just_died(__u32 tgid)
{
	__u64 *at = bpf_map_lookup_elem(&dying, &tgid);

	return at && bpf_ktime_get_boot_ns() - *at < DYING_NS;
}

__u64 next_seq = 0;
__u64 last_wakeup = 0; /* boot ns of the last forced wake-up of the consumer */

/* Keep the record types in the object's BTF for scripts/gen-layout.ts. */
const struct exec_record *unused_exec_record __attribute__((unused));
const struct fork_record *unused_fork_record __attribute__((unused));
const struct exec_failed_record *unused_exec_failed_record __attribute__((unused));
const enum list_flag unused_list_flag __attribute__((unused));
const enum filter_kind unused_filter_kind __attribute__((unused));
const enum filter_action unused_filter_action __attribute__((unused));
const enum scope_where unused_scope_where __attribute__((unused));
const struct filter_key *unused_filter_key __attribute__((unused));
const struct exit_record *unused_exit_record __attribute__((unused));
const struct lost_record *unused_lost_record __attribute__((unused));
const struct tracer_config *unused_tracer_config __attribute__((unused));
const struct counters *unused_counters __attribute__((unused));
const enum record_kind unused_record_kind __attribute__((unused));
const enum record_flag unused_record_flag __attribute__((unused));
const enum seq_layout unused_seq_layout __attribute__((unused));

#define OFF_LIMIT (sizeof(((struct scratch *)0)->buf))

/* v clamped to max, in a register the compiler must use as is: clang otherwise recomputes an
 * offset from an unchecked copy and the verifier sees an unbounded access. */
static __always_inline __u64 bounded(__u64 v, __u64 max)
{
	asm volatile("" : "+r"(v)); /* opaque first, so the clamp below cannot be elided */
	if (v > max)
		v = max;
	return v;
}

static __always_inline struct counters *get_counters(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline void count_lost(__u32 kind)
{
	struct counters *c = get_counters();
	if (c && kind < KIND_MAX)
		__sync_fetch_and_add(&c->lost[kind], 1);
}

static __always_inline void count_emitted(__u32 kind)
{
	struct counters *c = get_counters();
	if (c && kind < KIND_MAX)
		__sync_fetch_and_add(&c->emitted[kind], 1);
}

static __always_inline __u64 inode_ctime_ns(struct inode *ino)
{
	__s64 sec;
	__u64 nsec;

	if (!ino)
		return 0;
	if (bpf_core_field_exists(ino->i_ctime_sec)) {
		sec = BPF_CORE_READ(ino, i_ctime_sec);
		/* 6.13+ keeps the I_CTIME_QUERIED flag in bit 31 of i_ctime_nsec */
		nsec = BPF_CORE_READ(ino, i_ctime_nsec) & ~(1U << 31);
	} else if (bpf_core_field_exists(((struct inode___v66 *)ino)->__i_ctime)) {
		struct inode___v66 *i = (void *)ino;
		sec = BPF_CORE_READ(i, __i_ctime.tv_sec);
		nsec = BPF_CORE_READ(i, __i_ctime.tv_nsec);
	} else {
		struct inode___old *i = (void *)ino;
		sec = BPF_CORE_READ(i, i_ctime.tv_sec);
		nsec = BPF_CORE_READ(i, i_ctime.tv_nsec);
	}
	return (__u64)sec * 1000000000ULL + nsec;
}

static __always_inline void fill_file_id(struct file_id *id, struct file *f)
{
	struct inode *ino = BPF_CORE_READ(f, f_inode);

	id->inode = BPF_CORE_READ(ino, i_ino);
	id->dev = BPF_CORE_READ(ino, i_sb, s_dev);
	id->mode = BPF_CORE_READ(ino, i_mode);
	id->ctime = inode_ctime_ns(ino);
}

/* Copy a NUL-terminated kernel string to buf[off..]; the span excludes the NUL.
 * Returns the new offset; sets *cut when the string did not fit in PATH_CAP. */
static __always_inline __u32 put_kstr(struct scratch *s, __u32 off, struct span *sp,
				      const char *src, __u32 *flags, __u32 cut_flag)
{
	long n;

	sp->off = off;
	sp->len = 0;
	if (!src || off > OFF_LIMIT - PATH_CAP)
		return off;
	n = bpf_probe_read_kernel_str(&s->buf[bounded(off, OFF_LIMIT - PATH_CAP)], PATH_CAP, src);
	if (n <= 0)
		return off;
	if (n == PATH_CAP) {
		/* Did it end exactly there? A longer string was cut at PATH_CAP - 1. */
		char next = 0;
		bpf_probe_read_kernel(&next, 1, src + PATH_CAP - 1);
		if (next)
			*flags |= cut_flag;
	}
	sp->len = n - 1;
	return off + n - 1;
}

/* Walk dentries from (walk_dentry, walk_mnt) up to the root of the mount namespace, crossing
 * mounts, and write the absolute path at buf[off..]. Components are collected leaf first, then
 * written root first. If the walk hits PATH_DEPTH or the path PATH_CAP, the leaf side is kept and
 * cut_flag is set: never a silent cut. Both loops are bpf_loop() callbacks, verified once; their
 * state lives in the scratch map (not on the stack), so the verifier does not track it per
 * iteration and the states converge at once. */
struct walk_ctx {
	struct scratch *s;
};

/* for (i = 0; i < n && !cb(i, ctx); i++): a bpf_loop() or, before 5.17, a bounded loop. */
#ifdef TRACER_LEGACY
#define LOOP(n, cb, ctx)                             \
	do {                                         \
		for (__u32 _i = 0; _i < (n); _i++)   \
			if (cb(_i, ctx))             \
				break;               \
	} while (0)
#else
#define LOOP(n, cb, ctx) bpf_loop(n, cb, ctx, 0)
#endif

LOOP_FN long collect_cb(__u32 i, struct walk_ctx *w)
{
	struct scratch *s = w->s;
	struct dentry *dentry = s->walk_dentry;
	struct vfsmount *vfsmnt = s->walk_mnt;
	struct mount *mnt = s->walk_mount;
	struct dentry *root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	__u32 n = s->walk_n;

	if (dentry == root || dentry == parent) {
		struct mount *mparent;

		if (dentry != root) {
			/* A disconnected dentry (a pseudo file system's file: memfd, anon inode): no mount
			 * reaches it, so its own name ends the path, without a leading '/' ("memfd:NAME",
			 * as Tracee writes it; never "/", which would claim the root directory). */
			if (n < PATH_DEPTH) {
				s->names[n & (PATH_DEPTH - 1)] = BPF_CORE_READ(dentry, d_name.name);
				s->lens[n & (PATH_DEPTH - 1)] = BPF_CORE_READ(dentry, d_name.len);
				s->walk_n = n + 1;
			}
			s->walk_pseudo = 1;
			s->walk_done = 1;
			return 1;
		}
		mparent = BPF_CORE_READ(mnt, mnt_parent);
		if (mparent == mnt) { /* the root of the mount tree */
			s->walk_done = 1;
			return 1;
		}
		s->walk_dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		s->walk_mount = mparent;
		s->walk_mnt = (void *)mparent + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	if (n >= PATH_DEPTH)
		return 1;
	s->names[n & (PATH_DEPTH - 1)] = BPF_CORE_READ(dentry, d_name.name);
	s->lens[n & (PATH_DEPTH - 1)] = BPF_CORE_READ(dentry, d_name.len);
	s->walk_n = n + 1;
	s->walk_dentry = parent;
	return 0;
}

#define DELETED_SUFFIX " (deleted)"
#define DELETED_LEN (sizeof(DELETED_SUFFIX) - 1)

LOOP_FN long write_cb(__u32 i, struct walk_ctx *w)
{
	struct scratch *s = w->s;
	__u32 k, len, n = s->walk_n, off = s->walk_off;
	bool slash = !(i == 0 && s->walk_pseudo); /* a pseudo file's name stands alone */

	if (i >= n)
		return 1;
	k = (n - 1 - i) & (PATH_DEPTH - 1);
	len = s->lens[k];
	if (len > NAME_CAP - 1)
		len = NAME_CAP - 1;
	if (off - s->walk_start + slash + len > PATH_CAP - (s->walk_deleted ? DELETED_LEN : 0)) {
		s->walk_cut = 1;
		return 1;
	}
	if (off > OFF_LIMIT - NAME_CAP - 1)
		return 1;
	if (slash) {
		s->buf[bounded(off, OFF_LIMIT - NAME_CAP - 1)] = '/';
		off++;
	}
	bpf_probe_read_kernel(&s->buf[bounded(off, OFF_LIMIT - NAME_CAP)], bounded(len, NAME_CAP - 1),
			      s->names[k]);
	s->walk_off = off + len;
	return 0;
}

PATH_FN __u32 walk_path(struct scratch *s, __u32 off, struct span *sp, __u32 cut_flag)
{
	struct walk_ctx w = { .s = s };
	struct dentry *leaf;

	/* A global function: verified once, not at each of its call sites; so it checks its own
	 * pointers. */
	if (!s || !sp)
		return off;
	sp->off = off;
	sp->len = 0;
	if (!s->walk_dentry || !s->walk_mnt || off > OFF_LIMIT - PATH_CAP)
		return off;
	s->walk_mount = (void *)s->walk_mnt - bpf_core_field_offset(struct mount, mnt);
	s->walk_n = 0;
	s->walk_off = off;
	s->walk_start = off;
	s->walk_done = 0;
	s->walk_cut = 0;
	s->walk_pseudo = 0;
	/* As d_path() says of a file whose name was removed (the leaf's dentry is unhashed). */
	leaf = s->walk_dentry;
	s->walk_deleted = !BPF_CORE_READ(leaf, d_hash.pprev) && BPF_CORE_READ(leaf, d_parent) != leaf;
	LOOP(PATH_DEPTH + 16, collect_cb, &w);
	if (!s->walk_done)
		s->exec.h.flags |= cut_flag; /* every record starts with rec_header */
	if (s->walk_n == 0) {
		s->buf[bounded(off, OFF_LIMIT - 1)] = '/';
		sp->len = 1;
		return off + 1;
	}
	LOOP(PATH_DEPTH, write_cb, &w);
	if (s->walk_cut)
		s->exec.h.flags |= cut_flag;
	if (s->walk_deleted && !s->walk_pseudo) {
		__u32 end = s->walk_off; /* write_cb kept DELETED_LEN bytes of PATH_CAP free */

		__builtin_memcpy(&s->buf[bounded(end, OFF_LIMIT - DELETED_LEN)], DELETED_SUFFIX, DELETED_LEN);
		s->walk_off = end + DELETED_LEN;
	}
	sp->len = s->walk_off - off;
	return s->walk_off;
}

#ifdef TRACER_LEGACY
/* Before 5.12 a global function takes no pointers (only scalars and the context), and a static
 * one is verified again at each call site: on 5.10 each walk (~150 loop iterations) would be
 * verified eight times. So the walk is a global function that looks the CPU's scratch slot up
 * itself (the same slot: a tracing program does not migrate) and leaves the span in s->ret. */
static __always_inline struct scratch *cpu_slot(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&scratch, &cpu);
}

__noinline __u32 put_path_here(__u32 off, __u32 cut_flag)
{
	struct scratch *s = cpu_slot();

	if (!s)
		return off;
	return walk_path(s, off, &s->ret, cut_flag);
}

static __always_inline __u32 put_path(struct scratch *s, __u32 off, struct span *sp, __u32 cut_flag)
{
	off = put_path_here(off, cut_flag);
	*sp = s->ret;
	return off;
}
#else
#define put_path walk_path
#endif

/* fd 0 of the task: mode, inode, file system magic and path (or dentry name on pseudo fs). */
static __always_inline __u32 put_stdin(struct scratch *s, __u32 off, struct span *sp, __u16 *type,
				       __u64 *ino_out, __u64 *magic_out, struct task_struct *task)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = 0;
	struct inode *ino;
	struct dentry *d;
	__u64 magic;

	sp->off = off;
	sp->len = 0;
	if (!fdt || BPF_CORE_READ(fdt, max_fds) < 1)
		return off;
	fds = BPF_CORE_READ(fdt, fd);
	if (!fds || bpf_probe_read_kernel(&f, sizeof(f), fds) || !f)
		return off;
	ino = BPF_CORE_READ(f, f_inode);
	*type = BPF_CORE_READ(ino, i_mode);
	*ino_out = BPF_CORE_READ(ino, i_ino);
	magic = BPF_CORE_READ(ino, i_sb, s_magic);
	*magic_out = magic;
	d = BPF_CORE_READ(f, f_path.dentry);
	if (magic == PIPEFS_MAGIC || magic == SOCKFS_MAGIC || magic == ANON_INODE_FS_MAGIC) {
		s->exec.h.flags |= RF_STDIN_PSEUDO;
		return put_kstr(s, off, sp, (const char *)BPF_CORE_READ(d, d_name.name), &s->exec.h.flags,
				RF_STDIN_PATH_CUT);
	}
	s->walk_dentry = d;
	s->walk_mnt = BPF_CORE_READ(f, f_path.mnt);
	return put_path(s, off, sp, RF_STDIN_PATH_CUT);
}

/* Number (and namespace) of a struct pid at a given pid-namespace level. */
static __always_inline int pid_nr_at(struct pid *pid, __u32 level, struct pid_namespace **ns)
{
	struct upid up = {};

	if (!pid || BPF_CORE_READ(pid, level) < level)
		return 0;
	bpf_probe_read_kernel(&up, sizeof(up),
			      (void *)pid + bpf_core_field_offset(struct pid, numbers) +
				      level * bpf_core_type_size(struct upid));
	if (ns)
		*ns = up.ns;
	return up.nr;
}

/* Common header of the task the event is about. BPF_CORE_READ (probe reads) rather than direct
 * BTF loads: direct loads here saved ~0.7 µs per event but, inlined into five programs, cost
 * ~270 ms of verifier time at start-up. */
static __always_inline void fill_header(struct rec_header *h, struct task_struct *task, __u32 kind)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	struct task_struct *parent = BPF_CORE_READ(task, real_parent);
	struct task_struct *pleader = BPF_CORE_READ(parent, group_leader);
	struct pid *tpid = BPF_CORE_READ(task, thread_pid);
	struct pid_namespace *ns = 0, *pns = 0;
	__u32 level = BPF_CORE_READ(tpid, level);
	__u32 pnr;

	h->kind = kind;
	h->ts = bpf_ktime_get_boot_ns();
	h->thread_start = BPF_CORE_READ(task, start_boottime);
	h->process_start = BPF_CORE_READ(leader, start_boottime);
	h->parent_start = BPF_CORE_READ(pleader, start_boottime);
	h->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	h->cpu = bpf_get_smp_processor_id();
	h->host_tid = BPF_CORE_READ(task, pid);
	h->host_pid = BPF_CORE_READ(task, tgid);
	h->host_ppid = BPF_CORE_READ(parent, tgid);
	h->ns_tid = pid_nr_at(tpid, level, &ns);
	h->ns_pid = pid_nr_at(BPF_CORE_READ(leader, thread_pid), level, 0);
	pnr = pid_nr_at(BPF_CORE_READ(pleader, thread_pid), level, &pns);
	h->ns_ppid = (pns == ns) ? pnr : 0;
	h->uid = BPF_CORE_READ(task, real_cred, uid.val);
	h->gid = BPF_CORE_READ(task, real_cred, gid.val);
	h->mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	h->pid_ns = BPF_CORE_READ(ns, ns.inum);
	h->flags = 0;
	BPF_CORE_READ_INTO(&h->comm, task, comm);
}

/* 8 bytes at a kernel address (a capability set: one u64, or two u32s low word first). */
static __always_inline __u64 read_u64(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), p);
	return v;
}

/* Credentials, audit login and controlling terminal of the task; the tty's name goes to the tail. */
static __always_inline __u32 put_who(struct scratch *s, __u32 off, struct task_who *w, struct task_struct *task,
				     __u32 *flags)
{
	const struct cred *c = BPF_CORE_READ(task, cred);
	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
	long n;

	w->creds.uid = BPF_CORE_READ(c, uid.val);
	w->creds.gid = BPF_CORE_READ(c, gid.val);
	w->creds.suid = BPF_CORE_READ(c, suid.val);
	w->creds.sgid = BPF_CORE_READ(c, sgid.val);
	w->creds.euid = BPF_CORE_READ(c, euid.val);
	w->creds.egid = BPF_CORE_READ(c, egid.val);
	w->creds.fsuid = BPF_CORE_READ(c, fsuid.val);
	w->creds.fsgid = BPF_CORE_READ(c, fsgid.val);
	w->creds.user_ns = BPF_CORE_READ(c, user_ns, ns.inum);
	w->creds.securebits = BPF_CORE_READ(c, securebits);
	w->creds.cap_inheritable = read_u64(__builtin_preserve_access_index(&c->cap_inheritable));
	w->creds.cap_permitted = read_u64(__builtin_preserve_access_index(&c->cap_permitted));
	w->creds.cap_effective = read_u64(__builtin_preserve_access_index(&c->cap_effective));
	w->creds.cap_bounding = read_u64(__builtin_preserve_access_index(&c->cap_bset));
	w->creds.cap_ambient = read_u64(__builtin_preserve_access_index(&c->cap_ambient));
	if (bpf_core_field_exists(task->loginuid)) {
		w->login_uid = BPF_CORE_READ(task, loginuid.val);
		w->session_id = BPF_CORE_READ(task, sessionid);
	} else {
		w->login_uid = 0xffffffff;
		w->session_id = 0xffffffff;
		*flags |= RF_NO_LOGIN;
	}
	w->tty.off = off;
	w->tty.len = 0;
	if (tty && off <= OFF_LIMIT - TTY_NAME_CAP) {
		n = bpf_probe_read_kernel_str(&s->buf[bounded(off, OFF_LIMIT - TTY_NAME_CAP)], TTY_NAME_CAP, &tty->name);
		if (n > 0) {
			w->tty.len = n - 1;
			off += n - 1;
		}
	}
	return off;
}

/* hostname and cgroup name go first in every tail. */
static __always_inline __u32 put_header_strings(struct scratch *s, __u32 off, struct rec_header *h,
						struct task_struct *task)
{
	long n;

	h->hostname.off = off;
	h->hostname.len = 0;
	if (off < OFF_LIMIT - HOSTNAME_CAP) {
		struct uts_namespace *uts = BPF_CORE_READ(task, nsproxy, uts_ns);

		/* nodename is an array inside uts_ns: take its (relocated) address */
		n = bpf_probe_read_kernel_str(&s->buf[bounded(off, OFF_LIMIT - HOSTNAME_CAP)], HOSTNAME_CAP,
					      &uts->name.nodename);
		if (n > 0) {
			h->hostname.len = n - 1;
			off += n - 1;
		}
	}
	h->cgroup.off = off;
	h->cgroup.len = 0;
	if (off < OFF_LIMIT - CGROUP_NAME_CAP) {
		n = bpf_probe_read_kernel_str(&s->buf[bounded(off, OFF_LIMIT - CGROUP_NAME_CAP)], CGROUP_NAME_CAP,
					      BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, name));
		if (n > 0) {
			h->cgroup.len = n - 1;
			off += n - 1;
		}
	}
	return off;
}

/* Copy [start, end) of the task's user memory (argv or env area) into buf[off..], at most limit
 * bytes. Returns the new offset. */
static __always_inline __u32 put_user_area(struct scratch *s, __u32 off, struct span *sp,
					   unsigned long start, unsigned long end, __u32 limit,
					   __u32 *total, __u32 *flags, __u32 fault_flag)
{
	__u64 len = end > start ? end - start : 0;

	sp->off = off;
	sp->len = 0;
	*total = len > 0xffffffffULL ? 0xffffffff : len;
	if (len > limit)
		len = limit;
	if (len > ARGS_CAP)
		len = ARGS_CAP;
	if (!len || off > OFF_LIMIT - ARGS_CAP)
		return off;
	if (bpf_probe_read_user(&s->buf[bounded(off, OFF_LIMIT - ARGS_CAP)], bounded(len, ARGS_CAP),
				(const void *)start)) {
		*flags |= fault_flag;
		return off;
	}
	sp->len = len;
	return off + len;
}

/* execve (59) or execveat (322). The syscall entry stash knows for sure (when process_execute_failed
 * is traced); else bprm->filename is "/dev/fd/N..." for an execveat relative to a descriptor; else
 * the task's orig_ax (which recent kernels already report as execve for execveat). */
static __always_inline __s32 exec_syscall_nr(struct task_struct *task, struct linux_binprm *bprm, pid_t old_pid)
{
	__u32 key = old_pid;
	struct exec_args *a = bpf_map_lookup_elem(&exec_stash, &key);
	char head[9] = {};

	if (a)
		return a->syscall ? NR_EXECVEAT : NR_EXECVE;
	bpf_probe_read_kernel_str(head, sizeof(head), BPF_CORE_READ(bprm, filename));
	if (head[0] == '/' && head[1] == 'd' && head[2] == 'e' && head[3] == 'v' && head[4] == '/' &&
	    head[5] == 'f' && head[6] == 'd' && head[7] == '/')
		return NR_EXECVEAT;
	return PT_REGS_PARM_SYSCALL_NR(task);
}

#ifdef TRACER_LEGACY
#define VMA_WALK 64 /* a fresh exec's mm has ~15 VMAs (binary, loader, stack, vdso) */
/* File of the VMA that contains addr: the mm's VMA list (mm->mmap, vm_next, by address; Linux
 * before 6.1, which all lack bpf_find_vma and so get this build). */
static __always_inline struct file *vma_file_at(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;
	__u32 i;

	if (!bpf_core_field_exists(mm->mmap)) /* 6.1+: a maple tree, and bpf_find_vma: never here */
		return 0;
	vma = BPF_CORE_READ(mm, mmap);

	for (i = 0; i < VMA_WALK && vma; i++) {
		if (BPF_CORE_READ(vma, vm_start) > addr)
			return 0;
		if (addr < BPF_CORE_READ(vma, vm_end))
			return BPF_CORE_READ(vma, vm_file);
		vma = BPF_CORE_READ(vma, vm_next);
	}
	return 0;
}
#else
struct vma_ctx {
	struct file *file;
};

static long vma_file_cb(struct task_struct *task, struct vm_area_struct *vma, struct vma_ctx *c)
{
	c->file = BPF_CORE_READ(vma, vm_file);
	return 0;
}
#endif

/* An overlayfs file has an upper (writable) dentry when it was written or changed since the mount
 * (copied up); only the lower layer's files have none. The overlay inode is embedded in struct
 * ovl_inode (vmlinux's BTF, or the overlay module's when it is loaded at start). */
static __always_inline bool exe_in_upper_layer(struct file *f)
{
	struct ovl_inode *oi;

	if (!bpf_core_type_exists(struct ovl_inode))
		return false;
	oi = (void *)BPF_CORE_READ(f, f_inode) - bpf_core_field_offset(struct ovl_inode, vfs_inode);
	return BPF_CORE_READ(oi, __upperdentry) != 0;
}

/* The auxiliary vector's AT_BASE and AT_SECURE, one pair per call: a bpf_loop() callback, verified
 * once (as a loop of 64 inside handle_exec it cost the verifier 8,000 of the 11,700 instructions
 * it walked for the program and 427 of its 682 states: most of the start-up's verification). */
struct auxv_ctx {
	void *auxv;
	unsigned long base;
	__u32 n, found;
	bool secure;
};

LOOP_FN long auxv_cb(__u32 i, struct auxv_ctx *c)
{
	unsigned long pair[2];

	if (i >= c->n || c->found == 2)
		return 1;
	if (bpf_probe_read_kernel(pair, sizeof(pair), c->auxv + i * sizeof(pair)))
		return 1;
	if (pair[0] == AT_NULL)
		return 1;
	if (pair[0] == AT_BASE) {
		c->base = pair[1];
		c->found++;
	} else if (pair[0] == AT_SECURE) {
		c->secure = pair[1] != 0;
		c->found++;
	}
	return 0;
}

/* The ELF interpreter (dynamic loader) mapped at AT_BASE (NULL for a static binary), and AT_SECURE
 * of the new program's auxiliary vector into *secure. */
static __always_inline struct file *elf_interpreter(struct task_struct *task, bool *secure)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	struct auxv_ctx c = {};
	unsigned long base;

	if (!mm)
		return 0;
	c.auxv = (void *)mm + bpf_core_field_offset(struct mm_struct, saved_auxv);
	c.n = bpf_core_field_size(struct mm_struct, saved_auxv) / (2 * sizeof(unsigned long));
	LOOP(64, auxv_cb, &c);
	*secure = c.secure;
	base = c.base;
	if (!base)
		return 0;
#ifdef TRACER_LEGACY
	return vma_file_at(mm, base);
#else
	{
		struct vma_ctx c = {};

		bpf_find_vma(task, base, vma_file_cb, &c, 0);
		return c.file;
	}
#endif
}

/* One kind's verdict for a value: excluded, not among the includes, or fine. */
static __always_inline bool kind_ok(__u32 kind, __u8 *action)
{
	if (action && *action == FA_EXCLUDE)
		return false;
	if (tracer_cfg.include_kinds & (1 << kind))
		return action && *action == FA_INCLUDE;
	return true;
}

static __always_inline __u8 *filter_lookup(__u32 kind, __u64 value)
{
	struct filter_key k = { .kind = kind, .value = value };

	return bpf_map_lookup_elem(&filter_values, &k);
}

/* Does the event of `task` (always the current task here) pass the scope filters? Every check
 * is compiled in but dead-code eliminated at load unless its rodata switch is on. */
static __always_inline bool in_scope(struct task_struct *task, __u32 kind)
{
	__u8 kinds = tracer_cfg.filter_kinds;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	bool ok = true;

	if (!kinds && !tracer_cfg.scope_where)
		return true;
	if (kinds & (1 << FK_PID)) {
		__u8 *a = filter_lookup(FK_PID, tgid);
		if (a && *a == FA_EXCLUDE)
			ok = false;
		else if (tracer_cfg.include_kinds & (1 << FK_PID))
			ok = (a && *a == FA_INCLUDE) ||
			     (tracer_cfg.follow_tree && (bpf_map_lookup_elem(&traced, &tgid) || (kind == KIND_EXIT && just_died(tgid))));
	}
	if (ok && (kinds & (1 << FK_UID)))
		ok = kind_ok(FK_UID, filter_lookup(FK_UID, (__u32)bpf_get_current_uid_gid()));
	if (ok && (kinds & (1 << FK_COMM))) {
		char comm[TASK_COMM_LEN] = {};
		bpf_get_current_comm(comm, sizeof(comm));
		ok = kind_ok(FK_COMM, bpf_map_lookup_elem(&filter_comms, comm));
	}
	if (ok && (kinds & (1 << FK_CGROUP))) {
		__u8 *hit = 0;
		int level;
		for (level = 0; level < 16 && !hit; level++) {
			__u64 id = bpf_get_current_ancestor_cgroup_id(level);
			if (!id)
				break;
			hit = filter_lookup(FK_CGROUP, id);
		}
		ok = kind_ok(FK_CGROUP, hit);
	}
	if (ok && (kinds & (1 << FK_MNTNS)))
		ok = kind_ok(FK_MNTNS, filter_lookup(FK_MNTNS, BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum)));
	if (ok && (kinds & (1 << FK_PIDNS))) {
		struct pid *p = BPF_CORE_READ(task, thread_pid);
		struct pid_namespace *ns = 0;
		pid_nr_at(p, BPF_CORE_READ(p, level), &ns);
		ok = kind_ok(FK_PIDNS, filter_lookup(FK_PIDNS, BPF_CORE_READ(ns, ns.inum)));
	}
	if (ok && tracer_cfg.scope_where) {
		bool host = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum) == tracer_cfg.host_mnt_ns;
		ok = tracer_cfg.scope_where == SCOPE_HOST ? host : !host;
	}
	if (!ok) {
		struct counters *c = get_counters();
		if (c && kind < KIND_MAX)
			__sync_fetch_and_add(&c->filtered[kind], 1);
	}
	return ok;
}

/* The CPU's scratch slot for building one record. Where tracepoints run preemptible (after 6.18;
 * sid 7.2 in the matrix), a program preempted on this CPU can hold it while another program runs
 * there: the slot is then taken only when free (compare-and-swap; emit() frees it), and the
 * program that finds it taken counts a clash (and a lost record of its kind) and sends nothing, so two programs never write into
 * one buffer (sharing it made a record from the bytes of two in a mixed storm on sid: 2 malformed
 * records per run, and no way to tell a mix that still parsed). The legacy object (before 5.17,
 * tracepoints never preemptible) takes the slot and checks it was not reused at emit(). Counters
 * are atomic adds for the same reason: two increments on one CPU can interleave. */
static __always_inline void count_clash(__u32 kind)
{
	struct counters *c = get_counters();

	count_lost(kind);
	if (c)
		__sync_fetch_and_add(&c->scratch_clash, 1);
}

static __always_inline struct scratch *claim_scratch(__u32 tid, __u32 kind)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch *s = bpf_map_lookup_elem(&scratch, &cpu);

	if (!s)
		return 0;
#ifdef TRACER_LEGACY
	s->owner = tid;
#else
	if (__sync_val_compare_and_swap(&s->owner, 0, (__u64)tid + 1) != 0) {
		count_clash(kind);
		return 0;
	}
#endif
	return s;
}

/* Batched wake-ups: waking the consumer costs the producer more than building the record (a
 * thread storm ran 1.3x slower with a wake-up per record). Wake it only when wakeup_bytes are
 * waiting or the last wake-up is wakeup_ns old; in between, the consumer polls with a timeout of
 * wakeup_ns while it is busy (src/session/run.ts), so no record waits longer than about that. */
static __always_inline __u64 wakeup_flags(__u64 now)
{
	__u64 last = last_wakeup;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= tracer_cfg.wakeup_bytes ||
	    now - last >= tracer_cfg.wakeup_ns) {
		last_wakeup = now;
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

#ifdef TRACER_LEGACY
/* No value-returning atomics before 5.12: a per-CPU count, with the CPU in the low bits. Per CPU,
 * seq >> SEQ_CPU_BITS runs without gaps (delivered plus lost cover every number); the global
 * order is the ring's, as read. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cpu_seq SEC(".maps");

static __always_inline __u64 next_seq_number(struct rec_header *h)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&cpu_seq, &zero);
	__u64 v = 0;

	if (n)
		v = (*n)++;
	h->flags |= RF_SEQ_PER_CPU;
	return v << SEQ_CPU_BITS | (h->cpu & ((1 << SEQ_CPU_BITS) - 1));
}
#else
static __always_inline __u64 next_seq_number(struct rec_header *h)
{
	return __sync_fetch_and_add(&next_seq, 1);
}
#endif

/* Send buf[0..size) as one record and free the slot. Legacy: the slot's owner is checked last;
 * if a program that preempted us on this CPU reused the slot, the record is garbage and is
 * counted, not sent. Every program that took the slot reaches this. */
static __always_inline void emit(struct scratch *s, struct rec_header *h, __u32 size, __u32 tid)
{
	__u32 kind = h->kind;

	h->size = bounded(size, sizeof(s->buf));
	h->seq = next_seq_number(h);
#ifdef TRACER_LEGACY
	if (s->owner != tid) {
		count_clash(kind);
		return;
	}
#endif
	if (bpf_ringbuf_output(&events, s->buf, bounded(size, sizeof(s->buf)), wakeup_flags(h->ts)))
		count_lost(kind);
	else
		count_emitted(kind);
#ifndef TRACER_LEGACY
	s->owner = 0;
#endif
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = p; /* the current task, as a BTF pointer on every kernel */
	__u32 tid = bpf_get_current_pid_tgid();
	struct scratch *s;
	struct exec_record *e;
	struct mm_struct *mm;
	struct file *f, *interp;
	bool secure = false;
	char *prev;
	__u32 off;

	if (!in_scope(task, KIND_EXEC)) {
		bpf_map_delete_elem(&exec_stash, &old_pid);
		bpf_map_delete_elem(&comm_before_rename, &tid);
		return 0;
	}
	s = claim_scratch(tid, KIND_EXEC);
	if (!s)
		return 0;
	e = &s->exec;
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(&e->h, task, KIND_EXEC);
	if (task->real_parent->flags & PF_KTHREAD)
		e->h.flags |= RF_KERNEL_INVOKED;

	off = sizeof(*e);
	off = put_header_strings(s, off, &e->h, task);
	off = put_kstr(s, off, &e->cmdpath, bprm->filename, &e->h.flags, RF_CMDPATH_CUT);
	off = put_kstr(s, off, &e->interp, bprm->interp, &e->h.flags, RF_INTERP_CUT);

	f = bprm->file;
	fill_file_id(&e->binary, f);
	s->walk_dentry = f->f_path.dentry;
	s->walk_mnt = f->f_path.mnt;
	off = put_path(s, off, &e->pathname, RF_PATHNAME_CUT);
	if (s->walk_pseudo)
		e->h.flags |= RF_EXE_PSEUDO;
	if (BPF_CORE_READ(f, f_inode, i_nlink) == 0)
		e->h.flags |= RF_EXE_DELETED;
	if (BPF_CORE_READ(f, f_inode, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC && exe_in_upper_layer(f))
		e->h.flags |= RF_EXE_UPPER;

	interp = elf_interpreter(task, &secure);
	if (secure)
		e->h.flags |= RF_SECURE_EXEC;
	e->interpreter_pathname.off = off;
	if (interp) {
		fill_file_id(&e->interpreter, interp);
		s->walk_dentry = BPF_CORE_READ(interp, f_path.dentry);
		s->walk_mnt = BPF_CORE_READ(interp, f_path.mnt);
		off = put_path(s, off, &e->interpreter_pathname, RF_INTERP_PATH_CUT);
	}

	off = put_stdin(s, off, &e->stdin_path, &e->stdin_type, &e->stdin_ino, &e->stdin_magic, task);
	s->walk_dentry = task->fs->pwd.dentry;
	s->walk_mnt = task->fs->pwd.mnt;
	off = put_path(s, off, &e->pwd, RF_PWD_CUT);

	off = put_who(s, off, &e->who, task, &e->h.flags);
	mm = task->mm;
	e->argc = bprm->argc;
	e->envc = bprm->envc;
	off = put_user_area(s, off, &e->argv, mm->arg_start, mm->arg_end,
			    tracer_cfg.max_args_size, &e->argv_size, &e->h.flags, RF_ARGV_FAULT);
	e->env.off = off;
	if (tracer_cfg.capture_env)
		off = put_user_area(s, off, &e->env, mm->env_start, mm->env_end,
				    tracer_cfg.max_env_size, &e->env_size, &e->h.flags, RF_ENV_FAULT);
	else
		e->env_size = mm->env_end - mm->env_start;

	e->syscall_nr = exec_syscall_nr(task, bprm, old_pid);
	prev = bpf_map_lookup_elem(&comm_before_rename, &tid);
	if (prev) {
		__builtin_memcpy(e->prev_comm, prev, TASK_COMM_LEN);
		e->h.flags |= RF_PREV_COMM;
	}
	emit(s, &e->h, off, tid);
	/* A successful exec from a non-leader thread returns with the leader's tid: its stash entry
	 * (keyed by the old tid) is dropped here. */
	bpf_map_delete_elem(&exec_stash, &old_pid);
	bpf_map_delete_elem(&comm_before_rename, &tid);
	return 0;
}

/* Every rename (an exec's, prctl(PR_SET_NAME), a write to /proc/PID/comm): the comm it replaces. */
SEC("tp_btf/task_rename")
int BPF_PROG(handle_rename, struct task_struct *task, const char *comm)
{
	char old[TASK_COMM_LEN];
	__u32 tid = BPF_CORE_READ(task, pid);

	BPF_CORE_READ_INTO(&old, task, comm);
	bpf_map_update_elem(&comm_before_rename, &tid, old, BPF_ANY);
	return 0;
}

/* Probe reads (BPF_CORE_READ) throughout, not direct BTF loads: direct loads here made this
 * program take 41 ms to verify (1.8 ms now) for ~0.6 µs less per fork. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct task_struct *pp;
	struct pid *cpid;
	struct pid_namespace *cns = 0;
	struct scratch *s;
	struct fork_record *e;
	__u32 level, off;

	__u32 child_tid = BPF_CORE_READ(child, pid), child_tgid = BPF_CORE_READ(child, tgid);
	bool thread = child_tid != child_tgid;

	if (tracer_cfg.follow_tree && !thread) {
		__u32 ptgid = bpf_get_current_pid_tgid() >> 32;
		if (bpf_map_lookup_elem(&traced, &ptgid)) {
			__u32 ctgid = child_tgid;
			__u8 one = 1;
			bpf_map_update_elem(&traced, &ctgid, &one, BPF_ANY);
		}
	}
	if (!(tracer_cfg.emit_kinds & (1 << KIND_FORK)))
		return 0;
	if (tracer_cfg.skip_threads && thread)
		return 0;
	if (!in_scope(parent, KIND_FORK))
		return 0;
	s = claim_scratch(tid, KIND_FORK);
	if (!s)
		return 0;
	e = &s->fork;
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(&e->h, parent, KIND_FORK);
	off = put_header_strings(s, sizeof(*e), &e->h, parent);

	e->child_start = BPF_CORE_READ(child, start_boottime);
	e->child_process_start = BPF_CORE_READ(child, group_leader, start_boottime);
	e->child_tid = child_tid;
	e->child_pid = child_tgid;
	cpid = BPF_CORE_READ(child, thread_pid);
	level = BPF_CORE_READ(cpid, level);
	e->child_ns_tid = pid_nr_at(cpid, level, &cns);
	e->child_ns_pid = pid_nr_at(BPF_CORE_READ(child, group_leader, thread_pid), level, 0);
	e->child_pid_ns = BPF_CORE_READ(cns, ns.inum);

	pp = BPF_CORE_READ(child, real_parent, group_leader);
	e->pp_pid = BPF_CORE_READ(pp, tgid);
	e->pp_start = BPF_CORE_READ(pp, start_boottime);
	cpid = BPF_CORE_READ(pp, thread_pid);
	e->pp_ns_pid = pid_nr_at(cpid, BPF_CORE_READ(cpid, level), 0);

	emit(s, &e->h, off, tid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct scratch *s;
	struct exit_record *e;
	__u32 group_dead, off;

	if (tracer_cfg.exit_has_group_dead)
		group_dead = (__u32)(ctx[1] & 0xff); /* bool group_dead, Linux 6.x+; pruned at load otherwise */
	else
		group_dead = claim_group_exit(task);
	if (!(tracer_cfg.emit_kinds & (1 << KIND_EXIT)))
		goto out;
	if (tracer_cfg.skip_threads && !group_dead)
		goto out;
	if (!in_scope(task, KIND_EXIT))
		goto out;
	s = claim_scratch(tid, KIND_EXIT);
	if (!s)
		goto out;
	e = &s->exit;
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(&e->h, task, KIND_EXIT);
	off = put_header_strings(s, sizeof(*e), &e->h, task);
	e->exit_code = task->exit_code;
	e->group_dead = group_dead;
	emit(s, &e->h, off, tid);
out:
	if (tracer_cfg.follow_tree && group_dead) {
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;

		if (bpf_map_lookup_elem(&traced, &tgid)) {
			__u64 now = bpf_ktime_get_boot_ns();

			bpf_map_update_elem(&dying, &tgid, &now, BPF_ANY);
			bpf_map_delete_elem(&traced, &tgid);
		}
	}
	return 0;
}

/* ---- process_execute_failed: per-syscall tracepoints, enter stashes pointers, exit reads ---- */

SEC("tracepoint/syscalls/sys_enter_execve")
int handle_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct exec_args a = {
		.filename = (const char *)ctx->args[0],
		.argv = (const char *const *)ctx->args[1],
		.envp = (const char *const *)ctx->args[2],
		.dirfd = -100, /* AT_FDCWD */
	};

	bpf_map_update_elem(&exec_stash, &tid, &a, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int handle_enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct exec_args a = {
		.dirfd = (__s32)ctx->args[0],
		.filename = (const char *)ctx->args[1],
		.argv = (const char *const *)ctx->args[2],
		.envp = (const char *const *)ctx->args[3],
		.flags = (__u32)ctx->args[4],
		.syscall = 1,
	};

	bpf_map_update_elem(&exec_stash, &tid, &a, BPF_ANY);
	return 0;
}

/* Pointers a failed exec's argv/env walk counts at most. The verifier walks every iteration of
 * a bounded loop: before bpf_loop() (5.17) the count stops much earlier, said by LF_COUNT_CUT. */
#ifdef TRACER_LEGACY
#define LIST_MAX LEGACY_ARGC_MAX
#else
#define LIST_MAX ARGC_MAX
#endif

/* Bytes of the user string at p, NUL included, measured in the last ARG_STRLEN_MAX bytes of the
 * scratch buffer (no record reaches them: SCRATCH_TAIL reserves them); < 0 if unreadable. */
static __always_inline long measure_user_str(struct scratch *s, const char *p)
{
	return bpf_probe_read_user_str(&s->buf[OFF_LIMIT - ARG_STRLEN_MAX], ARG_STRLEN_MAX, p);
}

/* One element of a user string list: count it, copy it while within the limit, measure it.
 * A string that cannot be read (its page not faulted in, a bad pointer) is counted but has no
 * bytes; from there on strings are only counted and measured, never copied, so the kept strings
 * stay the list's prefix and positions stay true (LF_STR_FAULT). */
LOOP_FN long list_cb(__u32 i, struct walk_ctx *w)
{
	struct scratch *s = w->s;
	const char *p = 0;
	__u32 off = s->list_off, end = s->list_end;
	long n;

	if (i >= LIST_MAX) {
		s->list_flags |= LF_COUNT_CUT;
		return 1;
	}
	if (bpf_probe_read_user(&p, sizeof(p), s->list_base + i)) {
		s->list_flags |= LF_FAULT;
		return 1;
	}
	if (!p)
		return 1;
	s->list_count++;
	if (!(s->list_flags & LF_STR_FAULT) && off < end && off <= OFF_LIMIT - ARGS_CAP) {
		__u32 room = end - off;

		n = bpf_probe_read_user_str(&s->buf[bounded(off, OFF_LIMIT - ARGS_CAP)], bounded(room, ARGS_CAP), p);
		if (n < 0) {
			s->list_flags |= LF_STR_FAULT;
			return 0;
		}
		if ((__u32)n == room) {
			/* It filled the room: whole only if its own last byte is the NUL (else the helper
			 * cut it and wrote a NUL of its own there). */
			char last = 1;

			bpf_probe_read_user(&last, 1, p + room - 1);
			if (last) {
				s->list_off = end;
				s->list_cut = 1;
				goto measure;
			}
		}
		s->list_off = off + n;
		s->list_bytes += n;
		return 0;
	}
measure:
	n = measure_user_str(s, p);
	if (n < 0) {
		s->list_flags |= LF_STR_FAULT;
		return 0;
	}
	if (n == ARG_STRLEN_MAX) {
		/* the measure is full: the string is longer unless its own last byte is the NUL */
		char last = 1;

		bpf_probe_read_user(&last, 1, p + ARG_STRLEN_MAX - 1);
		if (last)
			s->list_flags |= LF_MEASURE_CUT;
	}
	s->list_bytes += n;
	return 0;
}

/* Read a NULL-terminated array of user strings into buf[off..], at most limit bytes kept; count
 * every element and its bytes. The last kept string may be cut (then it does not end in NUL). */
LIST_FN __u32 walk_list(struct scratch *s, __u32 off, struct span *sp,
				      const char *const *base, __u32 limit)
{
	struct walk_ctx w = { .s = s };

	sp->off = off;
	sp->len = 0;
	s->list_base = base;
	s->list_off = off;
	s->list_end = off + (limit > ARGS_CAP ? ARGS_CAP : limit);
	s->list_count = 0;
	s->list_bytes = 0;
	s->list_flags = 0;
	s->list_cut = 0;
	if (!base)
		return off;
	LOOP(LIST_MAX + 1, list_cb, &w);
	if (s->list_off > s->list_end)
		return off;
	/* a cut string: drop the NUL that bpf_probe_read_user_str put at the limit */
	if (s->list_cut && s->list_off > off)
		s->list_off--;
	sp->len = s->list_off - off;
	return s->list_off;
}

#ifdef TRACER_LEGACY
/* A global function, for the reason given at put_path_here(). */
__noinline __u32 put_list_here(__u32 off, __u64 base, __u32 limit)
{
	struct scratch *s = cpu_slot();

	if (!s)
		return off;
	return walk_list(s, off, &s->ret, (const char *const *)base, limit);
}

static __always_inline __u32 put_user_list(struct scratch *s, __u32 off, struct span *sp,
					   const char *const *base, __u32 limit)
{
	off = put_list_here(off, (__u64)base, limit);
	*sp = s->ret;
	return off;
}
#else
#define put_user_list walk_list
#endif

static __always_inline int exec_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct task_struct *task = current_task();
	struct exec_args *a = bpf_map_lookup_elem(&exec_stash, &tid);
	struct exec_args args;
	struct exec_failed_record *e;
	struct scratch *s;
	struct file *dirf = 0;
	long ret = ctx->ret;
	__u32 off;

	if (!a)
		return 0;
	args = *a;
	bpf_map_delete_elem(&exec_stash, &tid);
	if (ret >= 0)
		return 0;
	if (!in_scope(task, KIND_EXEC_FAILED))
		return 0;
	s = claim_scratch(tid, KIND_EXEC_FAILED);
	if (!s)
		return 0;
	e = &s->failed;
	__builtin_memset(e, 0, sizeof(*e));
	fill_header(&e->h, task, KIND_EXEC_FAILED);
	if (BPF_CORE_READ(task, real_parent, flags) & PF_KTHREAD)
		e->h.flags |= RF_KERNEL_INVOKED;
	e->ret = ret;
	e->dirfd = args.dirfd;
	e->exec_flags = args.flags;
	e->syscall = args.syscall;

	off = put_header_strings(s, sizeof(*e), &e->h, task);
	e->path.off = off;
	if (!args.filename)
		e->h.flags |= RF_PATH_FAULT;
	if (args.filename && off <= OFF_LIMIT - PATH_CAP) {
		long n = bpf_probe_read_user_str(&s->buf[bounded(off, OFF_LIMIT - PATH_CAP)], PATH_CAP, args.filename);
		if (n < 0)
			e->h.flags |= RF_PATH_FAULT;
		if (n > 0) {
			e->path.len = n - 1;
			off += n - 1;
		}
		if (n == PATH_CAP) {
			char next = 0;
			bpf_probe_read_user(&next, 1, args.filename + PATH_CAP - 1);
			if (next)
				e->h.flags |= RF_CMDPATH_CUT;
		}
	}
	s->walk_dentry = BPF_CORE_READ(task, fs, pwd.dentry);
	s->walk_mnt = BPF_CORE_READ(task, fs, pwd.mnt);
	off = put_path(s, off, &e->pwd, RF_PWD_CUT);
	s->walk_dentry = BPF_CORE_READ(task, fs, root.dentry);
	s->walk_mnt = BPF_CORE_READ(task, fs, root.mnt);
	off = put_path(s, off, &e->root, RF_PATHNAME_CUT);
	e->dirfd_path.off = off;
	if (args.syscall == 1 && args.dirfd >= 0) {
		struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
		struct file **fds = BPF_CORE_READ(fdt, fd);

		if ((__u32)args.dirfd < BPF_CORE_READ(fdt, max_fds) &&
		    !bpf_probe_read_kernel(&dirf, sizeof(dirf), fds + args.dirfd) && dirf) {
			s->walk_dentry = BPF_CORE_READ(dirf, f_path.dentry);
			s->walk_mnt = BPF_CORE_READ(dirf, f_path.mnt);
			off = put_path(s, off, &e->dirfd_path, RF_INTERP_PATH_CUT);
		}
	}
	off = put_stdin(s, off, &e->stdin_path, &e->stdin_type, &e->stdin_ino, &e->stdin_magic, task);
	off = put_who(s, off, &e->who, task, &e->h.flags);

	off = put_user_list(s, off, &e->argv, args.argv, tracer_cfg.max_args_size);
	e->argc = s->list_count;
	e->argv_size = s->list_bytes;
	e->argv_flags = s->list_flags;
	e->env.off = off;
	if (tracer_cfg.capture_env) {
		off = put_user_list(s, off, &e->env, args.envp, tracer_cfg.max_env_size);
		e->envc = s->list_count;
		e->env_size = s->list_bytes;
		e->env_flags = s->list_flags;
	}
	emit(s, &e->h, off, tid);
	return 0;
}

/* One program for both syscalls' return (their tracepoints share one record layout, and the
 * stash says which syscall it was): user space attaches it to sys_exit_execveat as well, so it
 * is verified once (~15 ms of start-up each). */
SEC("tracepoint/syscalls/sys_exit_execve")
int handle_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return exec_exit(ctx);
}
