/* scope.h: the scope filters (enum filter_kind in tracer.h). */

static __always_inline bool just_died(__u32 tgid)
{
	__u64 *at = bpf_map_lookup_elem(&dying, &tgid);

	return at && bpf_ktime_get_boot_ns() - *at < DYING_NS;
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
			     (tracer_cfg.follow_tree &&
			      (bpf_map_lookup_elem(&traced, &tgid) || (kind == KIND_EXIT && just_died(tgid))));
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
