#!/bin/sh
# /init of the kernel-matrix guest (busybox sh, PID 1): mount what the tracer needs, run the
# end-to-end scenarios, print every result on the console as "@@TAG ..." lines for the host's
# checker (scripts/kernels/check.ts), then power off. The ground truth comes from the shell
# itself ($$, $!, $?), never from the tracer.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing
mount -t cgroup2 cgroup2 /sys/fs/cgroup
dmesg -n 1
hostname guest
out() { sed "s/^/@@$1 /" "$2"; }

echo "@@BOOT $(uname -r) $(uname -m)"
echo "@@CPU $(grep -m1 -E '^(flags|Features)' /proc/cpuinfo | grep -owE 'avx2|avx|sse4_2|asimd|sve' | sort -u | tr '\n' ' ')"
echo "@@BTF $([ -f /sys/kernel/btf/vmlinux ] && echo yes || echo no)"
echo "@@BUSYBOX $(readlink -f /bin/busybox)"
echo "@@INTERP $(cat /etc/interp)"

# 1. One command traced: an exec, a failed exec (ENOENT), forks, an exit with a code and one by
#    a signal. The shell reports each child's pid and status.
cat > /tmp/script <<'SCRIPT'
echo "shell $$"
cd /tmp && echo "pwd $(pwd)"
/tracer --version > /dev/null & p=$!; wait $p; echo "dynamic $p $?"
[ -f /tmp/lacks-group-dead ] && for i in 2 3 4 5 6; do /tracer --version > /dev/null & p=$!; wait $p; echo "dynamic$i $p $?"; done
/bin/busybox true & p=$!; wait $p; echo "exec $p $?"
/bin/sh -c 'exit 3' & p=$!; wait $p; echo "code $p $?"
/nonexistent/prog a1 & p=$!; wait $p; echo "enoent $p $?"
/nonexistent/many $(seq 600) & p=$!; wait $p; echo "many $p $?"
/bin/sh -c 'kill -9 $$' & p=$!; wait $p; echo "signal $p $?"
SCRIPT
# Kernels whose sched_process_exit lacks group_dead get five more multi-threaded exits (the BPF
# side then picks the one group exit itself).
gd=$(/tracer -v --json -o /dev/null -- /bin/busybox true 2>&1 | sed -n 's/.*sched_process_exit \([a-z]*\) group_dead.*/\1/p')
echo "@@GROUPDEAD $gd"
[ "$gd" = lacks ] && : > /tmp/lacks-group-dead
TRACER_DEBUG=1 /tracer --json -o /tmp/e2e.jsonl -- /bin/sh -c "$(cat /tmp/script)" > /tmp/truth 2> /tmp/e2e.err
st=$?
echo "tracer $st" >> /tmp/truth
# A failed start: the verifier's words, for the log (not a check).
if [ $st -ne 0 ]; then /tracer -v --json -- /bin/busybox true 2>&1 | tail -80 > /tmp/verbose; out VERBOSE /tmp/verbose; fi
out SCRIPT /tmp/script
out TRUTH /tmp/truth
out E2E /tmp/e2e.jsonl
out E2EERR /tmp/e2e.err

# 2. The whole system with --stats while a loop execs a known number of programs.
t0=$(cut -d' ' -f1 /proc/uptime)
TRACER_DEBUG=1 /tracer --json --stats -o /tmp/all.jsonl 2> /tmp/all.err &
tp=$!
i=0
while ! grep -q '^ready$' /tmp/all.err && [ $i -lt 600 ] && kill -0 $tp 2> /dev/null; do
  sleep 0.1
  i=$((i + 1))
done
echo "@@STARTUP $t0 $(cut -d' ' -f1 /proc/uptime)" # start → ready, for the table (not a check)
n=0
while [ $n -lt 200 ]; do
  /bin/busybox true "sysrun$n"
  n=$((n + 1))
done
echo "sysrun $n" > /tmp/systruth
kill -INT $tp
wait $tp
echo "tracer $?" >> /tmp/systruth
out SYSTRUTH /tmp/systruth
out SYS /tmp/all.jsonl
out SYSERR /tmp/all.err

# 3. (amd64: /threads) A mixed storm followed as one command, all events: sixty processes of
#    seventeen threads that exit together (exit_group), two at a time, with five execs beside
#    each pair. Every thread's exit and every exec is emitted or counted as lost, and no record is
#    malformed. On kernels whose tracepoints are preemptible (sid 7.2) the kernel skips runs of a
#    program already running on that CPU (~10% of the exits) and programs find the scratch
#    buffer held by a preempted one, in every run.
if [ -x /threads ]; then
  /tracer --json --stats -o /tmp/thr.jsonl -- /bin/sh -c 'for i in $(seq 30); do /threads 16 & for j in 1 2 3 4 5; do /bin/busybox true storm$i-$j & done; /threads 16; wait; done' > /tmp/thrtruth 2> /tmp/thr.err
  echo "tracer $?" >> /tmp/thrtruth
  out THRTRUTH /tmp/thrtruth
  out THR /tmp/thr.jsonl
  out THRERR /tmp/thr.err
fi

# 4. Without BTF (a tmpfs hides /sys/kernel/btf): the refusal must be one clear line.
mount -t tmpfs nobtf /sys/kernel/btf
/tracer --json -- /bin/busybox true > /dev/null 2> /tmp/refuse.err
echo "@@REFUSE $?"
umount /sys/kernel/btf
out REFUSEERR /tmp/refuse.err
echo "@@END"
poweroff -f
