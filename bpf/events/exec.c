/* exec.c: sched_process_exec (KIND_EXEC), and task_rename for the comm an exec replaces. */

#define AT_NULL 0
#define AT_BASE 7
#define AT_SECURE 23

/* execve or execveat (NR_EXECVE, NR_EXECVEAT). The syscall entry stash knows for sure (when process_execute_failed
 * is traced); else bprm->filename is "/dev/fd/N..." for an execveat relative to a descriptor; else
 * the task's orig_ax (which recent kernels already report as execve for execveat). */
static __always_inline __s32 exec_syscall_nr(struct task_struct *task, struct linux_binprm *bprm, pid_t old_pid)
{
	__u32 key = old_pid;
	struct exec_args *a = bpf_map_lookup_elem(&exec_stash, &key);
	char head[9] = {};

	if (a)
		return a->syscall == SYSCALL_EXECVE ? NR_EXECVE : NR_EXECVEAT;
	bpf_probe_read_kernel_str(head, sizeof(head), BPF_CORE_READ(bprm, filename));
	if (head[0] == '/' && head[1] == 'd' && head[2] == 'e' && head[3] == 'v' && head[4] == '/' && head[5] == 'f' &&
	    head[6] == 'd' && head[7] == '/')
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
 * it walked for the program and 427 of its 682 states: most of the start-up's verification). Its
 * state lives in the scratch slot, as the path walks' does: kept on the stack, the values found so
 * far made 7 distinct states at the loop's end, each walked through the rest of the program
 * (handle_exec: 3,754 → 3,305 instructions walked, 6.18). */
LOOP_FN long auxv_cb(__u32 i, struct walk_ctx *w)
{
	struct scratch *s = w->s;
	unsigned long pair[2];

	if (i >= s->auxv_n || s->auxv_found == 2)
		return 1;
	if (bpf_probe_read_kernel(pair, sizeof(pair), s->auxv + i * sizeof(pair)))
		return 1;
	if (pair[0] == AT_NULL)
		return 1;
	if (pair[0] == AT_BASE) {
		s->auxv_base = pair[1];
		s->auxv_found++;
	} else if (pair[0] == AT_SECURE) {
		s->auxv_secure = pair[1] != 0;
		s->auxv_found++;
	}
	return 0;
}

/* The ELF interpreter (dynamic loader) mapped at AT_BASE (NULL for a static binary); AT_SECURE of
 * the new program's auxiliary vector in s->auxv_secure. */
static __always_inline struct file *elf_interpreter(struct scratch *s, struct task_struct *task)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	struct walk_ctx w = { .s = s };
	unsigned long base;

	s->auxv_base = 0;
	s->auxv_found = 0;
	s->auxv_secure = 0;
	if (!mm)
		return 0;
	s->auxv = (void *)mm + bpf_core_field_offset(struct mm_struct, saved_auxv);
	s->auxv_n = bpf_core_field_size(struct mm_struct, saved_auxv) / (2 * sizeof(unsigned long));
	LOOP(64, auxv_cb, &w);
	base = s->auxv_base;
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

/* Probe reads (BPF_CORE_READ) throughout, not direct BTF loads: each direct load through a BTF
 * pointer costs the verifier a linear name search over vmlinux's BTF (check_ptr_to_btf_access);
 * the 15 of them here took handle_exec's load from 8 to 21 ms (strace -T, 6.18). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = p; /* the current task, as a BTF pointer on every kernel */
	__u32 tid = bpf_get_current_pid_tgid();
	struct scratch *s;
	struct exec_record *e;
	struct mm_struct *mm;
	struct file *f, *interp;
	char *prev;
	__u32 off;

	s = begin_record(task, KIND_EXEC, sizeof(*e), tid, &off);
	if (!s)
		goto out;
	e = &s->exec;
	if (BPF_CORE_READ(task, real_parent, flags) & PF_KTHREAD)
		e->h.flags |= RF_KERNEL_INVOKED;

	off = put_kstr(s, off, &e->cmdpath, (__u64)BPF_CORE_READ(bprm, filename), RF_CMDPATH_CUT);
	off = put_kstr(s, off, &e->interp, (__u64)BPF_CORE_READ(bprm, interp), RF_INTERP_CUT);

	f = BPF_CORE_READ(bprm, file);
	fill_file_id(&e->binary, f);
	s->walk_dentry = BPF_CORE_READ(f, f_path.dentry);
	s->walk_mnt = BPF_CORE_READ(f, f_path.mnt);
	off = put_path(s, off, &e->pathname, RF_PATHNAME_CUT);
	if (s->walk_pseudo)
		e->h.flags |= RF_EXE_PSEUDO;
	if (BPF_CORE_READ(f, f_inode, i_nlink) == 0)
		e->h.flags |= RF_EXE_DELETED;
	if (BPF_CORE_READ(f, f_inode, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC && exe_in_upper_layer(f))
		e->h.flags |= RF_EXE_UPPER;

	interp = elf_interpreter(s, task);
	if (s->auxv_secure)
		e->h.flags |= RF_SECURE_EXEC;
	e->interpreter_pathname.off = off;
	if (interp) {
		fill_file_id(&e->interpreter, interp);
		s->walk_dentry = BPF_CORE_READ(interp, f_path.dentry);
		s->walk_mnt = BPF_CORE_READ(interp, f_path.mnt);
		off = put_path(s, off, &e->interpreter_pathname, RF_INTERP_PATH_CUT);
	}

	off = put_stdin(s, off, &e->stdin_path, &e->stdin_type, &e->stdin_ino, &e->stdin_magic, task);
	s->walk_dentry = BPF_CORE_READ(task, fs, pwd.dentry);
	s->walk_mnt = BPF_CORE_READ(task, fs, pwd.mnt);
	off = put_path(s, off, &e->pwd, RF_PWD_CUT);

	off = put_who(s, off, &e->who, task, &e->h.flags);
	mm = BPF_CORE_READ(task, mm);
	e->argc = BPF_CORE_READ(bprm, argc);
	e->envc = BPF_CORE_READ(bprm, envc);
	off = put_user_area(s, off, &e->argv, BPF_CORE_READ(mm, arg_start), BPF_CORE_READ(mm, arg_end),
	                    tracer_cfg.max_args_size, &e->argv_size, &e->h.flags, RF_ARGV_FAULT);
	e->env.off = off;
	if (tracer_cfg.capture_env)
		off = put_user_area(s, off, &e->env, BPF_CORE_READ(mm, env_start), BPF_CORE_READ(mm, env_end),
		                    tracer_cfg.max_env_size, &e->env_size, &e->h.flags, RF_ENV_FAULT);
	else
		e->env_size = BPF_CORE_READ(mm, env_end) - BPF_CORE_READ(mm, env_start);

	e->syscall_nr = exec_syscall_nr(task, bprm, old_pid);
	prev = bpf_map_lookup_elem(&comm_before_rename, &tid);
	if (prev) {
		__builtin_memcpy(e->prev_comm, prev, TASK_COMM_LEN);
		e->h.flags |= RF_PREV_COMM;
	}
	emit(s, &e->h, off, tid);
out:
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
