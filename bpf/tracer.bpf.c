// SPDX-License-Identifier: GPL-2.0
/* tracer.bpf.c: tracepoint programs that turn process lifecycle events into records
 * (layout: tracer.h) on one BPF ring buffer, so events keep their order across CPUs. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "tracer.h"

char LICENSE[] SEC("license") = "GPL";

/* One translation unit (both builds: scripts/build-bpf.sh): shared helpers in lib/, in the order
 * they depend on each other, then one file per event with its programs. */
#include "lib/compat.h"
#include "lib/maps.h"
#include "lib/strings.h"
#include "lib/paths.h"
#include "lib/task.h"
#include "lib/scope.h"
#include "lib/record.h"
#include "events/exec.c"
#include "events/exec_failed.c"
#include "events/fork.c"
#include "events/exit.c"
