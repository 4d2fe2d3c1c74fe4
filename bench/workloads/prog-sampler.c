// prog-sampler INTERVAL_US ID...: every INTERVAL_US, one line "NS CNT1 RUNNS1 CNT2 RUNNS2 ..."
// (CLOCK_MONOTONIC, then run_cnt and run_time_ns of each BPF program by id, from
// BPF_OBJ_GET_INFO_BY_FD; kernel.bpf_stats_enabled must be on), until SIGTERM or SIGINT; the
// lines are written at the end. The bench takes the median of per-window ns per run: a run that
// was preempted (tracepoint programs are preemptible on recent kernels) counts the time it waited
// in run_time_ns, and a few such runs in a loaded round would otherwise make a program look
// several times dearer than it is.
#include <errno.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static long sys_bpf(int cmd, union bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: prog-sampler INTERVAL_US ID...\n");
		return 2;
	}
	long interval = strtol(argv[1], NULL, 10);
	int n = argc - 2;
	int *fds = calloc(n, sizeof(int));
	for (int i = 0; i < n; i++) {
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.prog_id = (uint32_t)strtoul(argv[i + 2], NULL, 10);
		fds[i] = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
		if (fds[i] < 0) {
			fprintf(stderr, "prog-sampler: program %s: %s\n", argv[i + 2], strerror(errno));
			return 1;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	size_t cap = 1 << 20, len = 0;
	char *out = malloc(cap);
	struct timespec pause = { interval / 1000000, (interval % 1000000) * 1000 };
	while (!stop) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (cap - len < 64 + 48 * (size_t)n) {
			cap *= 2;
			out = realloc(out, cap);
		}
		len += sprintf(out + len, "%lld", (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
		for (int i = 0; i < n; i++) {
			struct bpf_prog_info info;
			union bpf_attr a;
			memset(&info, 0, sizeof(info));
			memset(&a, 0, sizeof(a));
			a.info.bpf_fd = fds[i];
			a.info.info_len = sizeof(info);
			a.info.info = (uint64_t)(uintptr_t)&info;
			if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0) info.run_cnt = info.run_time_ns = 0;
			len += sprintf(out + len, " %llu %llu", (unsigned long long)info.run_cnt, (unsigned long long)info.run_time_ns);
		}
		out[len++] = '\n';
		nanosleep(&pause, NULL);
	}
	fwrite(out, 1, len, stdout);
	return 0;
}
