/* fork-storm (-d S | -n N) [-j W]: fork, the child _exits at once, the parent waits for it. */
#include "bench.h"

static void worker(long long deadline, long count, struct opts *o, struct counts *c)
{
	long done = 0;

	(void)o;
	while (keep_going(deadline, count, done, 1)) {
		pid_t pid = fork();
		done++;
		if (pid == 0)
			_exit(0);
		if (pid < 0)
			continue;
		c->procs++;
		waitpid(pid, 0, 0);
	}
	c->ops = c->procs;
}

int main(int argc, char **argv)
{
	struct opts o = parse_opts(argc, argv);
	return run_workers(&o, worker);
}
