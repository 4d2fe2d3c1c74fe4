/* exit.c: sched_process_exit (KIND_EXIT), and the followed tree's shrinking. */

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
	s = begin_record(task, KIND_EXIT, sizeof(*e), tid, &off);
	if (!s)
		goto out;
	e = &s->exit;
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
