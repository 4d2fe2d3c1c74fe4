/* maps.h: the .rodata configuration, the maps, the scratch slot, the counters. */

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
	struct dentry *walk_dentry; /* put_path() input and loop state */
	struct vfsmount *walk_mnt;
	struct mount *walk_mount;
	__u32 walk_n;
	__u32 walk_off;
	__u32 walk_start;
	__u8 walk_done;
	__u8 walk_cut;
	__u8 walk_pseudo;  /* the walk ended on a disconnected dentry (memfd, ...) */
	__u8 walk_deleted; /* the leaf dentry is unhashed: " (deleted)" follows */
	__u8 list_flags;   /* put_user_list() loop state */
	__u8 list_cut;     /* the last kept string was cut at the limit */
	__u8 walk_slash;   /* write_cb: 1 when the next name follows a '/' */
	__u8 _pad2[1];
	__u32 walk_room; /* write_cb: PATH_CAP, less the room " (deleted)" needs */
	const char *const *list_base;
	void *auxv; /* elf_interpreter() loop state */
	unsigned long auxv_base;
	__u32 auxv_n;
	__u8 auxv_found;
	__u8 auxv_secure;
	__u8 _pad3[2];
	__u32 list_off;
	__u32 list_end;
	__u32 list_count;
	__u32 list_bytes;
	/* legacy: the tid using the slot; default: tid + 1 while taken, 0 when free (64 bits: the
	 * atomic compare-and-swap of BPF's v1 ISA) */
	__u64 owner;
	struct span ret; /* legacy: the span put_path_here()/put_list_here() wrote */
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
	__u8 syscall; /* enum exec_syscall */
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
const enum tracer_limits unused_tracer_limits __attribute__((unused));
const enum fs_magic unused_fs_magic __attribute__((unused));
const enum syscall_nr_x86_64 unused_syscall_nr_x86_64 __attribute__((unused));
const enum syscall_nr_arm64 unused_syscall_nr_arm64 __attribute__((unused));
const enum exec_syscall unused_exec_syscall __attribute__((unused));

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
