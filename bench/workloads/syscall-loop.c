/* syscall-loop (-d S | -n N) [-j W]: syscall(SYS_getppid) in a tight loop; never execs. What it
 * measures is the cost every syscall pays once any syscall tracepoint has a program attached. */
#include "bench.h"
#include <sys/syscall.h>

static void worker(long long deadline, long count, struct opts *o, struct counts *c)
{
	long done = 0;

	(void)o;
	while (keep_going(deadline, count, done, 4096)) {
		syscall(SYS_getppid);
		done++;
	}
	c->ops = done;
}

int main(int argc, char **argv)
{
	struct opts o = parse_opts(argc, argv);
	return run_workers(&o, worker);
}
