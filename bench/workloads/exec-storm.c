/* exec-storm (-d S | -n N) [-j W] PATH ARG1 ARG2 ARG3: posix_spawn PATH with its arguments and
 * wait for it, one after the other, in each of W worker processes. */
#include "bench.h"
#include <spawn.h>

extern char **environ;

static void worker(long long deadline, long count, struct opts *o, struct counts *c)
{
	char **argv = o->rest;
	long done = 0;

	while (keep_going(deadline, count, done, 1)) {
		pid_t pid;
		int st;
		done++;
		if (posix_spawn(&pid, argv[0], 0, 0, argv, environ) != 0)
			continue;
		c->procs++;
		waitpid(pid, &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			c->execs++;
	}
	c->ops = c->execs;
}

int main(int argc, char **argv)
{
	struct opts o = parse_opts(argc, argv);
	if (!o.rest[0])
		return fprintf(stderr, "exec-storm: PATH missing\n"), 2;
	return run_workers(&o, worker);
}
