/* task.h: the task an event is about: pid-namespace numbers, the common header, credentials. */

#define PF_KTHREAD 0x00200000

/* The struct upid (number and namespace) of a struct pid at a pid-namespace level; its number, or
 * 0 (and *up untouched) when the pid has no such level. ONCE_FN: a program looks up 3 to 6 (inlined,
 * handle_fork's six copies were 182 instructions walked 298 times on 6.18). */
ONCE_FN int upid_at(__u64 pid, __u32 level, struct upid *up)
{
	if (!up || !pid || BPF_CORE_READ((struct pid *)pid, level) < level)
		return 0;
	bpf_probe_read_kernel(up, sizeof(*up),
	                      (void *)pid + bpf_core_field_offset(struct pid, numbers) +
	                              level * bpf_core_type_size(struct upid));
	return up->nr;
}

/* Number (and namespace) of a struct pid at a given pid-namespace level. */
static __always_inline int pid_nr_at(struct pid *pid, __u32 level, struct pid_namespace **ns)
{
	struct upid up = {};
	int nr = upid_at((__u64)pid, level, &up);

	if (ns)
		*ns = up.ns;
	return nr;
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
		n = bpf_probe_read_kernel_str(&s->buf[bounded(off, OFF_LIMIT - TTY_NAME_CAP)], TTY_NAME_CAP,
		                              &tty->name);
		if (n > 0) {
			w->tty.len = n - 1;
			off += n - 1;
		}
	}
	return off;
}

/* hostname and cgroup name go first in every tail: the kernel strings at hostname and cgroup. A
 * global function (ONCE_FN) though called once: the offset it returns is a fresh value, so the
 * rest of the program is not walked again for each way the strings ended (handle_fork: 1,026 → 871
 * instructions walked, 6.18). */
ONCE_FN __u32 put_header_strings(struct scratch *s, __u32 off, __u64 hostname, __u64 cgroup)
{
	struct rec_header *h;
	long n;

	if (!s)
		return off;
	h = &s->exec.h; /* every record starts with rec_header */
	h->hostname.off = off;
	h->hostname.len = 0;
	if (off < OFF_LIMIT - HOSTNAME_CAP) {
		n = bpf_probe_read_kernel_str(&s->buf[bounded(off, OFF_LIMIT - HOSTNAME_CAP)], HOSTNAME_CAP,
		                              (const char *)hostname);
		if (n > 0) {
			h->hostname.len = n - 1;
			off += n - 1;
		}
	}
	h->cgroup.off = off;
	h->cgroup.len = 0;
	if (off < OFF_LIMIT - CGROUP_NAME_CAP) {
		n = bpf_probe_read_kernel_str(&s->buf[bounded(off, OFF_LIMIT - CGROUP_NAME_CAP)], CGROUP_NAME_CAP,
		                              (const char *)cgroup);
		if (n > 0) {
			h->cgroup.len = n - 1;
			off += n - 1;
		}
	}
	return off;
}
