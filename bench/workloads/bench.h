/* bench.h: what every workload shares: "-d SECONDS | -n COUNT [-j WORKERS]" parsing, the
 * monotonic clock, the worker fan-out, and the one result line the runner parses:
 *   ops=N ns=ELAPSED procs=P threads=T execs=E
 * procs/threads/execs count the tasks and execs the workload caused itself (workers included),
 * so the runner can say how many fork/exec/exit events a tracer must report. */
#ifndef BENCH_H
#define BENCH_H

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

struct counts {
	long ops, procs, threads, execs;
};

struct opts {
	double seconds; /* run until this many seconds have passed (0: use count) */
	long count;     /* or do this many operations in all */
	int workers;
	char **rest;    /* arguments after the options */
};

static inline long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static inline struct opts parse_opts(int argc, char **argv)
{
	struct opts o = { 0, 0, 1, 0 };
	int i = 1;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "-d") && i + 1 < argc)
			o.seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			o.count = atol(argv[++i]);
		else if (!strcmp(argv[i], "-j") && i + 1 < argc)
			o.workers = atoi(argv[++i]);
		else
			break;
	}
	if ((o.seconds <= 0 && o.count <= 0) || o.workers < 1) {
		fprintf(stderr, "usage: %s (-d SECONDS | -n COUNT) [-j WORKERS] [ARGS...]\n", argv[0]);
		exit(2);
	}
	o.rest = argv + i;
	return o;
}

/* One worker's loop: do operations until the deadline (or `count` of them), add to c. */
typedef void (*worker_fn)(long long deadline, long count, struct opts *o, struct counts *c);

/* Run fn in o->workers processes (in this one when there is only one worker), print the line. */
static inline int run_workers(struct opts *o, worker_fn fn)
{
	struct counts *shared = mmap(0, sizeof(struct counts) * o->workers, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct counts total = { 0 };
	long long t0, t1, deadline;
	int w;

	if (shared == MAP_FAILED)
		return perror("mmap"), 1;
	memset(shared, 0, sizeof(struct counts) * o->workers);
	t0 = now_ns();
	deadline = o->seconds > 0 ? t0 + (long long)(o->seconds * 1e9) : 0;
	if (o->workers == 1) {
		fn(deadline, o->count, o, &shared[0]);
	} else {
		for (w = 0; w < o->workers; w++) {
			pid_t pid = fork();
			if (pid < 0)
				return perror("fork"), 1;
			if (pid == 0) {
				fn(deadline, o->count / o->workers, o, &shared[w]);
				_exit(0);
			}
			total.procs++;
		}
		while (wait(0) > 0)
			;
	}
	t1 = now_ns();
	for (w = 0; w < o->workers; w++) {
		total.ops += shared[w].ops;
		total.procs += shared[w].procs;
		total.threads += shared[w].threads;
		total.execs += shared[w].execs;
	}
	printf("ops=%ld ns=%lld procs=%ld threads=%ld execs=%ld\n", total.ops, t1 - t0, total.procs,
	       total.threads, total.execs);
	return 0;
}

/* Loop condition shared by the workers: count mode, or deadline checked every `every` ops. */
static inline int keep_going(long long deadline, long count, long done, long every)
{
	if (!deadline)
		return done < count;
	return done % every || now_ns() < deadline;
}

#endif
