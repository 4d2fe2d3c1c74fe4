/* paths.h: files and paths: a file's identity, the dentry walk across mounts, fd 0. */

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

/* Walk dentries from (walk_dentry, walk_mnt) up to the root of the mount namespace, crossing
 * mounts, and write the absolute path at buf[off..]. Components are collected leaf first, then
 * written root first. If the walk hits PATH_DEPTH or the path PATH_CAP, the leaf side is kept and
 * cut_flag is set: never a silent cut. Both loops are bpf_loop() callbacks, verified once; their
 * state lives in the scratch map (not on the stack), so the verifier does not track it per
 * iteration and the states converge at once. */
struct walk_ctx {
	struct scratch *s;
};

/* A component's length, at most NAME_CAP - 1 (write_cb relies on it). */
static __always_inline __u32 name_len(struct dentry *dentry)
{
	__u32 len = BPF_CORE_READ(dentry, d_name.len);

	return len > NAME_CAP - 1 ? NAME_CAP - 1 : len;
}

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
				s->lens[n & (PATH_DEPTH - 1)] = name_len(dentry);
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
	s->lens[n & (PATH_DEPTH - 1)] = name_len(dentry);
	s->walk_n = n + 1;
	s->walk_dentry = parent;
	return 0;
}

#define DELETED_SUFFIX " (deleted)"
#define DELETED_LEN (sizeof(DELETED_SUFFIX) - 1)

/* Written with few branches on values held in registers: each such branch splits what the
 * verifier walks until the callback returns (write_cb was 81 instructions walked 369 times for
 * handle_exec on 6.18). So the room left, the slash and the clamped name lengths come from the
 * scratch slot (collect_cb clamps the lengths), and the slash is written every time: without one,
 * the name overwrites it (or, after an empty name, it lies past the path's end). */
_Static_assert((NAME_CAP & (NAME_CAP - 1)) == 0, "write_cb masks name lengths with NAME_CAP - 1");

LOOP_FN long write_cb(__u32 i, struct walk_ctx *w)
{
	struct scratch *s = w->s;
	__u32 k, len, n = s->walk_n, off = s->walk_off, slash = s->walk_slash & 1;

	if (i >= n)
		return 1;
	k = (n - 1 - i) & (PATH_DEPTH - 1);
	len = s->lens[k] & (NAME_CAP - 1); /* already at most NAME_CAP - 1: a mask, not a branch */
	if (off - s->walk_start + slash + len > s->walk_room) {
		s->walk_cut = 1;
		return 1;
	}
	if (off > OFF_LIMIT - NAME_CAP - 1)
		return 1;
	s->buf[bounded(off, OFF_LIMIT - NAME_CAP - 1)] = '/';
	off += slash;
	s->walk_slash = 1;
	bpf_probe_read_kernel(&s->buf[bounded(off, OFF_LIMIT - NAME_CAP)], len, s->names[k]);
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
	s->walk_slash = !s->walk_pseudo; /* a pseudo file's name stands alone */
	s->walk_room = PATH_CAP - (s->walk_deleted ? DELETED_LEN : 0);
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
static __always_inline __u32 put_stdin(struct scratch *s, __u32 off, struct span *sp, __u16 *type, __u64 *ino_out,
                                       __u64 *magic_out, struct task_struct *task)
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
		return put_kstr(s, off, sp, (__u64)BPF_CORE_READ(d, d_name.name), RF_STDIN_PATH_CUT);
	}
	s->walk_dentry = d;
	s->walk_mnt = BPF_CORE_READ(f, f_path.mnt);
	return put_path(s, off, sp, RF_STDIN_PATH_CUT);
}
