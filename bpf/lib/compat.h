/* compat.h: the two builds of the program (default, TRACER_LEGACY) and what differs between them. */

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
#define PATH_FN static __always_inline /* the walk is wrapped in a global function: see put_path_here() */
#define LIST_FN static __always_inline
/* no pointers to a global function before 5.12; a static one is verified at each call, yet fewer
 * instructions are walked than inlined */
#define ONCE_FN static __noinline
/* a call per iteration: loops stay in the shape 5.10 accepts (no fall-through back-edge) */
#define LOOP_FN static __noinline
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
/* A helper called more than once in a program: global, so verified once per program rather than at
 * each call site, and what it returns is a fresh value (the states after each call do not split on
 * how it got there). */
#define ONCE_FN __noinline
#define LIST_FN __noinline /* global: verified once, also when it reads both argv and env */
#define task_user_regs(task) ((struct pt_regs *)bpf_task_pt_regs(task))
#endif

/* for (i = 0; i < n && !cb(i, ctx); i++): a bpf_loop() or, before 5.17, a bounded loop. */
#ifdef TRACER_LEGACY
#define LOOP(n, cb, ctx)                           \
	do {                                       \
		for (__u32 _i = 0; _i < (n); _i++) \
			if (cb(_i, ctx))           \
				break;             \
	} while (0)
#else
#define LOOP(n, cb, ctx) bpf_loop(n, cb, ctx, 0)
#endif

/* Number of the syscall the task is in (orig_ax / syscallno of its user registers). */
#if defined(__TARGET_ARCH_arm64)
#define PT_REGS_PARM_SYSCALL_NR(task)                     \
	({                                                \
		struct pt_regs *r = task_user_regs(task); \
		(__s32) BPF_CORE_READ(r, syscallno);      \
	})
#define NR_EXECVE ARM64_NR_EXECVE
#define NR_EXECVEAT ARM64_NR_EXECVEAT
#else
#define PT_REGS_PARM_SYSCALL_NR(task)                     \
	({                                                \
		struct pt_regs *r = task_user_regs(task); \
		(__s32) BPF_CORE_READ(r, orig_ax);        \
	})
#define NR_EXECVE X86_64_NR_EXECVE
#define NR_EXECVEAT X86_64_NR_EXECVEAT
#endif
