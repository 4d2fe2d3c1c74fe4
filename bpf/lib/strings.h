/* strings.h: kernel strings and user memory areas copied into the scratch slot's tail. */

/* Copy a NUL-terminated kernel string (at address src) to buf[off..]; the span excludes the NUL.
 * Returns the new offset; sets cut_flag in the record's flags when the string did not fit in
 * PATH_CAP. ONCE_FN: handle_exec calls it three times (inlined, 125 instructions walked 318 times
 * on 6.18). */
ONCE_FN __u32 put_kstr(struct scratch *s, __u32 off, struct span *sp, __u64 src, __u32 cut_flag)
{
	long n;

	if (!s || !sp)
		return off;
	sp->off = off;
	sp->len = 0;
	if (!src || off > OFF_LIMIT - PATH_CAP)
		return off;
	n = bpf_probe_read_kernel_str(&s->buf[bounded(off, OFF_LIMIT - PATH_CAP)], PATH_CAP, (const char *)src);
	if (n <= 0)
		return off;
	if (n == PATH_CAP) {
		/* Did it end exactly there? A longer string was cut at PATH_CAP - 1. */
		char next = 0;
		bpf_probe_read_kernel(&next, 1, (const char *)src + PATH_CAP - 1);
		if (next)
			s->exec.h.flags |= cut_flag; /* every record starts with rec_header */
	}
	sp->len = n - 1;
	return off + n - 1;
}

/* Copy [start, end) of the task's user memory (argv or env area) into buf[off..], at most limit
 * bytes. Returns the new offset. */
static __always_inline __u32 put_user_area(struct scratch *s, __u32 off, struct span *sp, unsigned long start,
                                           unsigned long end, __u32 limit, __u32 *total, __u32 *flags, __u32 fault_flag)
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
