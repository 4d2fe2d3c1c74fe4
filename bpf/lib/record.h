/* record.h: a record's life: claim the CPU's scratch slot, number it, send it into the ring. */

/* The CPU's scratch slot for building one record. Where tracepoints run preemptible (after 6.18;
 * sid 7.2 in the matrix), a program preempted on this CPU can hold it while another program runs
 * there: the slot is then taken only when free (compare-and-swap; emit() frees it), and the
 * program that finds it taken counts a clash (and a lost record of its kind) and sends nothing,
 * so two programs never write into one buffer (sharing it made a record from the bytes of two in
 * a mixed storm on sid: 2 malformed records per run, and no way to tell a mix that still parsed).
 * The legacy object (before 5.17, tracepoints never preemptible) takes the slot and checks it was
 * not reused at emit(). Counters are atomic adds for the same reason: two increments on one CPU
 * can interleave. */
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

/* The one start of every record: the scope check, the CPU's scratch slot, the record's fixed part
 * (size bytes) cleared, the common header filled, and its strings (hostname, cgroup) first in the
 * tail. NULL when the event is out of scope or the slot is held (both counted); else the slot,
 * with *off where the tail goes on. emit() ends what this begins. */
static __always_inline struct scratch *begin_record(struct task_struct *task, __u32 kind, __u32 size, __u32 tid,
                                                    __u32 *off)
{
	struct scratch *s;
	struct rec_header *h;
	struct uts_namespace *uts;

	if (!in_scope(task, kind))
		return 0;
	s = claim_scratch(tid, kind);
	if (!s)
		return 0;
	h = &s->exec.h; /* every record starts with rec_header */
	__builtin_memset(h, 0, size);
	fill_header(h, task, kind);
	uts = BPF_CORE_READ(task, nsproxy, uts_ns);
	/* nodename is an array inside uts_ns: its (relocated) address */
	*off = put_header_strings(s, size, (__u64)&uts->name.nodename,
	                          (__u64)BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, name));
	return s;
}

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
