/* thread-storm (-d S | -n N) [-j W]: pthread_create a thread that returns at once, join it. */
#include "bench.h"
#include <pthread.h>

static void *nothing(void *arg)
{
	return arg;
}

static void worker(long long deadline, long count, struct opts *o, struct counts *c)
{
	long done = 0;

	(void)o;
	while (keep_going(deadline, count, done, 1)) {
		pthread_t t;
		done++;
		if (pthread_create(&t, 0, nothing, 0) != 0)
			continue;
		c->threads++;
		pthread_join(t, 0);
	}
	c->ops = c->threads;
}

int main(int argc, char **argv)
{
	struct opts o = parse_opts(argc, argv);
	return run_workers(&o, worker);
}
