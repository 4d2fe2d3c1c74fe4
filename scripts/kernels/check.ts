// Checks one kernel-matrix guest's console log (scripts/kernels/init.sh) against the ground truth
// its shell reported: pids from $$ / $!, statuses from $?, argv as the script wrote it.
// Prints "PASS name" / "FAIL name: why" lines, then "@@COUNT passed failed".
// Usage: bun scripts/kernels/check.ts CONSOLE_LOG ROW_NAME [QEMU_CPU]
import { readFileSync } from "node:fs";

const [logPath, row = "?", cpu = "max"] = process.argv.slice(2);
if (!logPath) {
  console.error("usage: check.ts CONSOLE_LOG ROW_NAME");
  process.exit(2);
}

/** "@@TAG rest" lines of the console, by tag, in order (a console line may end in \r). */
const tagged = new Map<string, string[]>();
for (const raw of readFileSync(logPath, "latin1").split("\n")) {
  // The console may put terminal escapes (a reset) before a line, after a BIOS line that did not end.
  const m = /^@@([A-Z0-9]+)(?: (.*))?$/.exec(
    raw.replace(/\r$/, "").replace(/^(.*?\x1b(c|\[[?0-9;]*[a-zA-Z]))+(?=@@)/, ""),
  );
  if (!m) continue;
  const list = tagged.get(m[1]!) ?? [];
  list.push(Buffer.from(m[2] ?? "", "latin1").toString("utf8"));
  tagged.set(m[1]!, list);
}
const lines = (tag: string) => tagged.get(tag) ?? [];

let passed = 0,
  failed = 0;
function check(name: string, ok: boolean, why = ""): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "PASS" : "FAIL"} ${row}: ${name}${ok ? "" : `: ${why}`}`);
}
function finish(): never {
  // Start-up of the whole-system run (start → "ready", /proc/uptime's 10 ms steps): information.
  const [t0, t1] = (lines("STARTUP")[0] ?? "").split(" ").map(Number);
  if (t0 !== undefined && t1 !== undefined && !Number.isNaN(t1)) console.log(`@@STARTUP ${(t1 - t0).toFixed(1)}`);
  // A tracer that did not start left the end of its -v log: show it with the failures.
  if (failed && lines("VERBOSE").length)
    console.log(
      lines("VERBOSE")
        .map((l) => `  | ${l}`)
        .join("\n"),
    );
  console.log(`@@COUNT ${passed} ${failed}`);
  process.exit(failed ? 1 : 0);
}

type Arg = { name: string; value: unknown };
type Ev = { eventName: string; hostProcessId: number; hostThreadId: number; returnValue: number; args: Arg[] };
function events(tag: string): Ev[] {
  return lines(tag).map((l, i) => {
    try {
      return JSON.parse(l) as Ev;
    } catch {
      return {
        eventName: `unparsable line ${i + 1}: ${l.slice(0, 80)}`,
        hostProcessId: -1,
        hostThreadId: -1,
        returnValue: 0,
        args: [],
      };
    }
  });
}
const arg = (e: Ev, name: string) => e.args.find((a) => a.name === name)?.value;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const show = (v: unknown) => JSON.stringify(v);

// ---- boot --------------------------------------------------------------------------------------
const boot = lines("BOOT")[0];
check("guest booted into its init", boot !== undefined, "no @@BOOT line (kernel did not reach /init)");
if (boot === undefined) finish();
check("kernel has BTF (/sys/kernel/btf/vmlinux)", lines("BTF")[0] === "yes", `BTF: ${lines("BTF")[0]}`);
if (cpu !== "max" && boot.endsWith(" x86_64")) {
  // An x86-64 row on an older CPU model must really lack AVX2 in the guest.
  const flags = (lines("CPU")[0] ?? "").split(" ");
  check(
    `guest CPU (${cpu}) has no AVX2`,
    lines("CPU").length === 1 && !flags.includes("avx2"),
    `flags: ${lines("CPU")[0]}`,
  );
}
check(
  "guest ran to its end",
  lines("END").length === 1,
  "no @@END line (guest hung or crashed); last lines in the log",
);

// ---- 1. one command traced ----------------------------------------------------------------
const truthLines = lines("TRUTH").map((l) => l.split(" "));
const truth = new Map(truthLines.map(([k, ...v]) => [k!, v.map(Number)] as const));
const pwd = truthLines.find(([k]) => k === "pwd")?.[1];
const interp = lines("INTERP")[0];
const busybox = lines("BUSYBOX")[0] ?? "/bin/busybox";
const script = lines("SCRIPT").join("\n");
const e2e = events("E2E");
const shellPid = truth.get("shell")?.[0];
check(
  "traced command: tracer exits with the command's status 0",
  same(truth.get("tracer"), [0]),
  `tracer status ${show(truth.get("tracer"))}; stderr: ${lines("E2EERR").join(" | ")}`,
);
check(
  "traced command: every line is a known event",
  e2e.length > 0 &&
    e2e.every((e) => /^(sched_process_(exec|fork|exit)|process_execute_failed|lost_events)$/.test(e.eventName)),
  `${e2e.length} events: ${[...new Set(e2e.map((e) => e.eventName))].join(", ")}`,
);

// A run of a program the kernel skipped (one already running on that CPU) or a record dropped
// because a preempted program held the scratch buffer (kernels whose tracepoints are
// preemptible, sid 7.2) is an event the tracer reports lost, in a lost_events line. An event
// missing below passes only when such a line accounts for it, one each.
const lostBudget = new Map<string, number>();
for (const e of e2e.filter((e) => e.eventName === "lost_events")) {
  for (const name of ["sched_process_exec", "sched_process_fork", "sched_process_exit"]) {
    lostBudget.set(name, (lostBudget.get(name) ?? 0) + Number(arg(e, name) ?? 0));
  }
}
function reportedLost(name: string, found: number, what: string): boolean {
  const left = lostBudget.get(name) ?? 0;
  if (found !== 0 || left <= 0) return false;
  lostBudget.set(name, left - 1);
  console.log(`INFO ${row}: ${what}: not emitted, reported lost in a lost_events line`);
  return true;
}

// Events of the process's main thread (the dynamic one, a Bun program, starts threads too).
const find = (name: string, pid: number | undefined) =>
  e2e.filter((e) => e.eventName === name && e.hostThreadId === pid);
{
  const ex = find("sched_process_exec", shellPid);
  check(
    "exec of the shell: its pid ($$) and argv",
    (ex.length === 1 && same(arg(ex[0]!, "argv"), ["/bin/sh", "-c", script])) ||
      reportedLost("sched_process_exec", ex.length, "exec of the shell"),
    `shell pid ${shellPid}: ${ex.length} exec events; argv ${show(ex[0] && arg(ex[0], "argv"))}`,
  );
}
check(
  "the tracer says whether sched_process_exit passes group_dead",
  ["passes", "lacks"].includes(lines("GROUPDEAD")[0] ?? ""),
  `@@GROUPDEAD ${show(lines("GROUPDEAD")[0])}`,
);
type Child = {
  tag: string;
  argv?: string[];
  path?: string;
  interpreter?: string;
  failedPath?: string;
  failedArgv?: string[];
};
const children: Child[] = [
  // A dynamically linked program: its ELF interpreter is found in the kernel (AT_BASE's VMA).
  { tag: "dynamic", argv: ["/tracer", "--version"], path: "/tracer", interpreter: interp },
  // Five more where sched_process_exit lacks group_dead: a Bun program's threads end together in
  // its exit_group, which must still give exactly one process_group_exit.
  ...(lines("GROUPDEAD")[0] === "lacks" ? [2, 3, 4, 5, 6] : []).map((i) => ({
    tag: `dynamic${i}`,
    argv: ["/tracer", "--version"],
    path: "/tracer",
    interpreter: interp,
  })),
  { tag: "exec", argv: ["/bin/busybox", "true"] },
  { tag: "code", argv: ["/bin/sh", "-c", "exit 3"] },
  { tag: "enoent", failedPath: "/nonexistent/prog", failedArgv: ["/nonexistent/prog", "a1"] },
  // 601 strings: more than a kernel before 5.17 counts (512), which must then say "truncated".
  {
    tag: "many",
    failedPath: "/nonexistent/many",
    failedArgv: ["/nonexistent/many", ...Array.from({ length: 600 }, (_, i) => String(i + 1))],
  },
  { tag: "signal", argv: ["/bin/sh", "-c", "kill -9 $$"] },
];
for (const c of children) {
  const [pid, status] = truth.get(c.tag) ?? [];
  if (pid === undefined || status === undefined) {
    check(`${c.tag}: the shell reported it`, false, `no "${c.tag}" line from the shell`);
    continue;
  }
  const forks = e2e.filter((e) => e.eventName === "sched_process_fork" && arg(e, "child_tid") === pid);
  check(
    `${c.tag}: fork of pid ${pid} by the shell`,
    (forks.length === 1 && forks[0]!.hostProcessId === shellPid) ||
      reportedLost("sched_process_fork", forks.length, `${c.tag}: fork`),
    `${forks.length} fork events for child ${pid}, parent ${forks[0]?.hostProcessId} (shell ${shellPid})`,
  );
  if (c.argv) {
    const ex = find("sched_process_exec", pid);
    const e = ex[0] ?? ({ args: [] } as unknown as Ev);
    const want = { pathname: c.path ?? busybox, interpreter_pathname: c.interpreter ?? "", pwd };
    const got = {
      pathname: arg(e, "pathname"),
      interpreter_pathname: arg(e, "interpreter_pathname"),
      pwd: arg(e, "pwd"),
    };
    check(
      `${c.tag}: exec in pid ${pid} with argv ${show(c.argv)}, ${show(want)}`,
      (ex.length === 1 && same(arg(e, "argv"), c.argv) && same(got, want)) ||
        reportedLost("sched_process_exec", ex.length, `${c.tag}: exec`),
      `${ex.length} exec events; argv ${show(arg(e, "argv"))}; ${show(got)}`,
    );
  }
  if (c.failedPath) {
    const fe = find("process_execute_failed", pid);
    const got = (fe[0] && arg(fe[0], "arguments")) as string[] | undefined;
    const cut = ((fe[0] && arg(fe[0], "truncated")) as string[] | undefined)?.includes("arguments");
    // All of argv, or a prefix of it that says so ("truncated": never a silent cut).
    const argsOk =
      !!got &&
      same(got, c.failedArgv!.slice(0, got.length)) &&
      (got.length === c.failedArgv!.length ? !cut : cut === true);
    check(
      `${c.tag}: failed exec (ENOENT) in pid ${pid}, all ${c.failedArgv!.length} arguments or a cut that says so`,
      fe.length >= 1 && fe[0]!.returnValue === -2 && arg(fe[0]!, "path") === c.failedPath && argsOk,
      `${fe.length} events; return ${fe[0]?.returnValue}, path ${show(fe[0] && arg(fe[0], "path"))}, ${got?.length} arguments ${show(got?.slice(0, 4))}..., truncated: ${cut}`,
    );
  }
  // The process's exit: the one exit event of its last thread (process_group_exit).
  const ex = e2e.filter(
    (e) => e.eventName === "sched_process_exit" && e.hostProcessId === pid && arg(e, "process_group_exit") === true,
  );
  const code = ex[0] && arg(ex[0], "exit_code"),
    sig = ex[0] && arg(ex[0], "signal_code");
  // $? is the exit code, or 128 + the signal's number.
  const ok =
    (ex.length === 1 && (status > 128 ? sig === status - 128 : code === status && sig === 0)) ||
    reportedLost("sched_process_exit", ex.length, `${c.tag}: exit`);
  check(
    `${c.tag}: exit of pid ${pid} (shell's $? = ${status})`,
    ok,
    `${ex.length} exit events; exit_code ${show(code)}, signal_code ${show(sig)}`,
  );
}

// ---- 2. whole system with --stats ---------------------------------------------------------
const systruth = new Map(
  lines("SYSTRUTH").map((l) => {
    const [k, v] = l.split(" ");
    return [k!, Number(v)] as const;
  }),
);
const sys = events("SYS");
check(
  "whole system: tracer exits 0 after SIGINT",
  systruth.get("tracer") === 0,
  `status ${systruth.get("tracer")}; stderr: ${lines("SYSERR").join(" | ")}`,
);
const runs = sys.filter(
  (e) =>
    e.eventName === "sched_process_exec" && /^sysrun\d+$/.test(String((arg(e, "argv") as string[] | undefined)?.[2])),
);
const wanted = systruth.get("sysrun") ?? -1;
const statsLine = lines("SYSERR").find((l) => l.startsWith("{"));
type Stats = {
  summary: {
    events: Record<string, { emitted: number; lost: number; skipped: number }>;
    scratchClash: number;
    malformed: number;
    skippedRuns: Record<string, number>;
  };
};
let stats: Stats | null = null;
try {
  stats = statsLine ? JSON.parse(statsLine) : null;
} catch {
  /* reported below */
}
check("whole system: --stats printed", stats !== null, `stderr: ${lines("SYSERR").join(" | ")}`);
if (stats) {
  const ev = stats.summary.events;
  // Runs the kernel skipped (a program already running on that CPU) and records dropped because
  // a preempted program held the scratch buffer (both: preemptible tracepoints) are lost events
  // the tracer reports; the ring itself must lose nothing.
  const skipped = Object.values(ev).reduce((a, v) => a + v.skipped, 0);
  const clashes = stats.summary.scratchClash;
  const lost = Object.values(ev).reduce((a, v) => a + v.lost, 0) - skipped - clashes;
  if (skipped || clashes)
    console.log(
      `INFO ${row}: whole system: ${skipped} runs skipped by the kernel (${show(stats.summary.skippedRuns)}), ${clashes} scratch clashes`,
    );
  check(
    "whole system: 0 lost from the ring, 0 malformed",
    lost === 0 && stats.summary.malformed === 0,
    `lost ${lost}, malformed ${stats.summary.malformed}`,
  );
  const execLost = ev.sched_process_exec?.lost ?? 0;
  check(
    `whole system: all ${wanted} execs of the loop seen once each, or counted as lost`,
    runs.length <= wanted &&
      runs.length + execLost >= wanted &&
      new Set(runs.map((e) => (arg(e, "argv") as string[])[2])).size === runs.length,
    `${runs.length} exec events of the loop, ${execLost} exec records lost`,
  );
  // Nothing lost: the sequence numbers are exactly 0..n-1 (the default object's one counter, or
  // the legacy object's per-CPU counts made global in user space).
  const seqs = sys.map((e) => (e as unknown as { seq: number }).seq).sort((a, b) => a - b);
  check(
    "whole system: seq runs 0..n-1 without a gap or a repeat",
    seqs.length > 0 && seqs.every((v, i) => v === i),
    `${seqs.length} records, first gap/repeat at index ${seqs.findIndex((v, i) => v !== i)} (value ${seqs[seqs.findIndex((v, i) => v !== i)]})`,
  );
  const bad = Object.entries(ev).filter(([name, v]) => v.emitted !== sys.filter((e) => e.eventName === name).length);
  check(
    "whole system: every emitted record is in the output",
    bad.length === 0,
    bad.map(([n, v]) => `${n}: emitted ${v.emitted}, output ${sys.filter((e) => e.eventName === n).length}`).join("; "),
  );
}

// ---- 3. a mixed storm: threads that exit together, execs beside (amd64 rows: /threads) -------
if (boot.endsWith(" x86_64")) {
  const thrTruth = lines("THRTRUTH").map((l) => l.split(" "));
  const procs = thrTruth.filter(([k]) => k === "threads").map(([, ...ids]) => ids.map(Number));
  const thr = events("THR");
  check(
    "storm: tracer exits 0, 60 processes of 17 threads reported themselves",
    same(
      thrTruth.find(([k]) => k === "tracer"),
      ["tracer", "0"],
    ) &&
      procs.length === 60 &&
      procs.every((p) => p.length === 18),
    `truth: ${show(lines("THRTRUTH").slice(-3))}; stderr: ${lines("THRERR").join(" | ")}`,
  );
  let st: Stats | null = null;
  try {
    st = JSON.parse(lines("THRERR").find((l) => l.startsWith("{")) ?? "null");
  } catch {
    /* reported below */
  }
  check(
    "storm: --stats printed, no malformed record (no record made of two)",
    st !== null && st.summary.malformed === 0,
    `stderr: ${lines("THRERR").join(" | ")}`,
  );
  const lostOf = (name: string) => st?.summary.events[name]?.lost ?? 0;
  // lost_events lines say what --stats says, as it happens.
  const names = ["sched_process_exec", "process_execute_failed", "sched_process_fork", "sched_process_exit"];
  const lostLines = thr.filter((e) => e.eventName === "lost_events");
  const streamed = Object.fromEntries(names.map((n) => [n, lostLines.reduce((a, e) => a + Number(arg(e, n) ?? 0), 0)]));
  check(
    "storm: the lost_events lines add up to --stats' lost counts",
    st !== null && names.every((n) => streamed[n] === lostOf(n)),
    `lost_events ${show(streamed)}, --stats ${show(Object.fromEntries(names.map((n) => [n, lostOf(n)])))}`,
  );
  const exits = new Set(
    thr.filter((e) => e.eventName === "sched_process_exit").map((e) => `${e.hostProcessId}/${e.hostThreadId}`),
  );
  const missing = procs.flatMap(([pid, ...tids]) =>
    tids.filter((t) => !exits.has(`${pid}/${t}`)).map((t) => `${pid}/${t}`),
  );
  const execs = thr.filter(
    (e) =>
      e.eventName === "sched_process_exec" &&
      /^storm\d+-\d$/.test(String((arg(e, "argv") as string[] | undefined)?.[2])),
  );
  const execNames = new Set(execs.map((e) => (arg(e, "argv") as string[])[2]));
  if (st && (lostOf("sched_process_exit") || lostOf("sched_process_exec") || missing.length)) {
    console.log(
      `INFO ${row}: storm: ${missing.length} of ${procs.length * 17} exits missing, ${lostOf("sched_process_exit")} exits lost; ${150 - execs.length} of 150 execs missing, ${lostOf("sched_process_exec")} lost; skipped runs ${show(st.summary.skippedRuns)}, scratch clashes ${st.summary.scratchClash}`,
    );
  }
  check(
    "storm: every thread's exit is emitted, or counted as lost",
    st !== null && missing.length <= lostOf("sched_process_exit"),
    `${missing.length} exits missing (${missing.slice(0, 5).join(", ")}), ${lostOf("sched_process_exit")} counted as lost`,
  );
  check(
    "storm: each of the 150 execs is emitted once, or counted as lost",
    st !== null &&
      execNames.size === execs.length &&
      execs.length <= 150 &&
      execs.length + lostOf("sched_process_exec") >= 150,
    `${execs.length} exec events (${execNames.size} distinct), ${lostOf("sched_process_exec")} counted as lost`,
  );
  const groupExits = thr.filter((e) => e.eventName === "sched_process_exit" && arg(e, "process_group_exit") === true);
  const wrong = procs.filter(([pid]) => groupExits.filter((e) => e.hostProcessId === pid).length > 1);
  check(
    "storm: never two group exits for one process",
    wrong.length === 0,
    `pids ${wrong.map((p) => p[0]).join(", ")}`,
  );
}

// ---- 4. refusal without BTF ---------------------------------------------------------------
const refuse = lines("REFUSEERR");
const release = boot.split(" ")[0]!;
check(
  "without BTF: exit 1 and one line naming the kernel and BTF",
  lines("REFUSE")[0] === "1" && refuse.length === 1 && refuse[0]!.includes(release) && /BTF/.test(refuse[0]!),
  `status ${lines("REFUSE")[0]}; stderr: ${refuse.join(" | ")}`,
);
finish();
