/* exec_failed.c: process_execute_failed (KIND_EXEC_FAILED): execve/execveat stashed at entry, read at a failed exit. */

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
		.syscall = SYSCALL_EXECVEAT,
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

/* bpf_probe_read_user_str() of the user string at p into buf[off..off + room), room at most
 * ARGS_CAP. ONCE_FN though called once: what it returns is fresh, so list_cb's states do not split
 * on the clamps of off and room (list_cb: 110 instructions walked 284 times, 6.18). The legacy
 * object keeps the plain call: its loop is unrolled, and the function inlined there made the
 * verifier walk 184,518 instructions instead of 162,099 for handle_exit_execve. */
#ifdef TRACER_LEGACY
#define copy_user_str(s, off, room, p)                                                                  \
	bpf_probe_read_user_str(&(s)->buf[bounded(off, OFF_LIMIT - ARGS_CAP)], bounded(room, ARGS_CAP), \
	                        (const char *)(p))
#else
ONCE_FN long copy_user_str(struct scratch *s, __u32 off, __u32 room, __u64 p)
{
	if (!s || off > OFF_LIMIT - ARGS_CAP)
		return -1;
	return bpf_probe_read_user_str(&s->buf[bounded(off, OFF_LIMIT - ARGS_CAP)], bounded(room, ARGS_CAP),
	                               (const char *)p);
}
#endif

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

		n = copy_user_str(s, off, room, (__u64)p);
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
LIST_FN __u32 walk_list(struct scratch *s, __u32 off, struct span *sp, __u64 base, __u32 limit)
{
	struct walk_ctx w = { .s = s };

	if (!s || !sp) /* a global function in the default build: it checks its own pointers */
		return off;
	sp->off = off;
	sp->len = 0;
	s->list_base = (const char *const *)base;
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
	return walk_list(s, off, &s->ret, base, limit);
}

static __always_inline __u32 put_user_list(struct scratch *s, __u32 off, struct span *sp, const char *const *base,
                                           __u32 limit)
{
	off = put_list_here(off, (__u64)base, limit);
	*sp = s->ret;
	return off;
}
#else
static __always_inline __u32 put_user_list(struct scratch *s, __u32 off, struct span *sp, const char *const *base,
                                           __u32 limit)
{
	return walk_list(s, off, sp, (__u64)base, limit);
}
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
	__u32 off;

	if (!a)
		return 0;
	args = *a;
	bpf_map_delete_elem(&exec_stash, &tid);
	if (ctx->ret >= 0)
		return 0;
	s = begin_record(task, KIND_EXEC_FAILED, sizeof(*e), tid, &off);
	if (!s)
		return 0;
	e = &s->failed;
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
	if (args.syscall == SYSCALL_EXECVEAT && args.dirfd >= 0) {
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
	/* Set here, not before the walks: fewer values live across them (the verifier walked 2,774
	 * instructions instead of 2,795). */
	e->ret = ctx->ret;
	e->dirfd = args.dirfd;
	e->exec_flags = args.flags;
	e->syscall = args.syscall;
	if (BPF_CORE_READ(task, real_parent, flags) & PF_KTHREAD)
		e->h.flags |= RF_KERNEL_INVOKED;
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
