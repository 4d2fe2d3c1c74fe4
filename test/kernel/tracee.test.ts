// Tracee's consumers read every line we write: a real trace of the cases Tracee's signatures care
// about (a renamed process's exec, a memfd exec, a fork from a thread, exits by code and by signal,
// a failed exec) checked against what the processes report about themselves, and every line of a
// whole-system trace (with and without --env) decoded under Tracee's rules (test/tracee-rules.ts).
import { describe, expect, test } from "bun:test";
import { hashTaskId } from "../../src/decode/entity";
import { parseExact, traceeErrors } from "../tracee-rules";
import { arg, fixture, marker, rfc3339Ns, TRACER, TracerRun } from "./harness";

/** Tracee's HashTaskID, from the line's own host id and epoch-ns start. */
const hashOf = (id: number, start: bigint) => hashTaskId(id, Number(start >> 32n), Number(start & 0xffffffffn));

describe("the oracle refuses what Tracee's decoder refuses", () => {
  const ok =
    '{"timestamp":1,"threadStartTime":1,"processorId":0,"processId":1,"cgroupId":1,"threadId":1,"parentProcessId":0,"hostProcessId":1,"hostThreadId":1,"hostParentProcessId":0,"userId":0,"mountNamespace":1,"pidNamespace":1,"processName":"x","executable":{"path":""},"hostName":"h","containerId":"","container":{},"kubernetes":{},"eventId":"716","eventName":"sched_process_exit","argsNum":3,"returnValue":0,"syscall":"","contextFlags":{"containerStarted":false,"isCompat":false},"threadEntityId":1,"processEntityId":1,"parentEntityId":1,"args":[{"name":"exit_code","type":"int32","value":0},{"name":"signal_code","type":"int32","value":0},{"name":"process_group_exit","type":"bool","value":true}]}';
  test("a good line passes; each of our old mistakes fails it", () => {
    expect(traceeErrors(ok)).toEqual([]);
    expect(traceeErrors(ok.replace('"eventId":"716"', '"eventId":716')).join()).toContain("eventId");
    expect(traceeErrors(ok.replace('"type":"int32","value":0}', '"type":"int64","value":0}')).join()).toContain(
      "Tracee has exit_code int32",
    );
    expect(traceeErrors(ok.replace('"type":"int32","value":0}', '"type":"time.Time","value":0}')).join()).toContain(
      "unrecognized argument type time.Time",
    );
    expect(traceeErrors(ok.replace('"value":0}', '"value":4294967296}')).join()).toContain("does not fit int32");
    expect(
      traceeErrors(ok.replace(',"contextFlags":{"containerStarted":false,"isCompat":false}', "")).join(),
    ).toContain("contextFlags");
  });
});

describe("a real trace, as Tracee's consumers read it", async () => {
  const m = marker("tracee");
  const prog = fixture("tracee-cases");
  const p = Bun.spawnSync([TRACER, "--json", "-o", "/dev/stderr", "--", prog, m], { stdout: "pipe", stderr: "pipe" });
  const kv = Object.fromEntries(
    p.stdout
      .toString()
      .trim()
      .split("\n")
      .map((l) => l.split("=") as [string, string]),
  );
  const lines = p.stderr
    .toString()
    .split("\n")
    .filter((l) => l.startsWith("{"));
  const events = lines.map(parseExact);
  const pid = (k: string) => Number(kv[k]!);
  const of = (name: string, hostPid: number) =>
    events.filter((e) => e.eventName === name && e.hostProcessId === hostPid);

  test("the workload ran and every line decodes under Tracee's rules", () => {
    expect(p.exitCode).toBe(0);
    expect(Object.keys(kv).sort()).toEqual([
      "failed_errno",
      "failed_pid",
      "killed_pid",
      "memfd_name",
      "memfd_pid",
      "renamed_comm",
      "renamed_pid",
      "thread_child",
      "thread_tid",
    ]);
    expect(lines.length).toBeGreaterThan(10);
    for (const l of lines) expect(traceeErrors(l)).toEqual([]);
  });

  test("prev_comm is the name the process gave itself before exec (illegitimate-shell signature)", () => {
    const [x] = of("sched_process_exec", pid("renamed_pid"));
    expect(arg(x!, "prev_comm")).toBe(kv.renamed_comm);
    expect(x!.processName).toBe("true");
  });

  test("a memfd exec names the memfd, never '/' (fileless-execution signature)", () => {
    const [x] = of("sched_process_exec", pid("memfd_pid"));
    expect(arg(x!, "pathname")).toBe(`memfd:${kv.memfd_name}`);
    expect(x!.executable.path).toBe(`memfd:${kv.memfd_name}`);
    expect(x!.syscall).toBe("execveat");
    expect(arg(x!, "argv")).toEqual(["payload", m]);
    expect(arg(x!, "exe_memfd")).toBe(true);
    expect(arg(x!, "exe_deleted")).toBe(true); // a memfd has no links
  });

  test("a fork from a thread: the thread is the parent, its process the parent process; start_time is the child's threadStartTime", () => {
    const [f] = events.filter(
      (e) => e.eventName === "sched_process_fork" && arg(e, "child_pid") === Number(kv.thread_child),
    );
    expect(arg(f!, "parent_tid")).toBe(pid("thread_tid"));
    expect(f!.hostThreadId).toBe(pid("thread_tid"));
    const [x] = of("sched_process_exit", pid("thread_child"));
    expect(rfc3339Ns(arg(f!, "start_time"))).toBe(x!.threadStartTime);
    expect(rfc3339Ns(arg(f!, "leader_start_time"))).toBe(x!.threadStartTime);
    expect(arg(f!, "leader_pid")).toBe(Number(kv.thread_child));
    // the child's ids in the fork are the ones its own events carry, and are Tracee's hashes
    expect(arg(f!, "child_process_entity_id")).toBe(x!.processEntityId);
    expect(x!.processEntityId).toBe(hashOf(x!.hostProcessId, x!.threadStartTime));
    expect(arg(x!, "exit_code")).toBe(3);
    expect(arg(x!, "signal_code")).toBe(0);
  });

  test("exits: by code and by signal", () => {
    const [k] = of("sched_process_exit", pid("killed_pid"));
    expect(arg(k!, "signal_code")).toBe(9);
    expect(arg(k!, "exit_code")).toBe(9);
    expect(arg(k!, "process_group_exit")).toBe(true);
  });

  test("a failed exec: our spec's names, the errno the caller saw", () => {
    const [f] = of("process_execute_failed", pid("failed_pid"));
    expect(f!.returnValue).toBe(-Number(kv.failed_errno!));
    expect(f!.eventId).toBe("779");
    expect(arg(f!, "path")).toBe(`/nonexistent/${m}`);
  });

  test("entity ids are Tracee's HashTaskID of each line's own ids and start times", () => {
    for (const e of events.filter((x) => x.eventName !== "lost_events")) {
      expect(e.threadEntityId).toBe(hashOf(e.hostThreadId, e.threadStartTime));
    }
  });
});

describe("a whole-system trace decodes line by line", () => {
  for (const env of [false, true]) {
    test(`every line, all four events${env ? ", with --env" : ""}`, async () => {
      const t = await TracerRun.start(env ? ["--json", "--env"] : ["--json"]);
      const m = marker("system");
      Bun.spawnSync([fixture("tracee-cases"), m], { stdout: "ignore" });
      Bun.spawnSync(["/bin/sh", "-c", "ls / >/dev/null; /nonexistent-x 2>/dev/null; true"]);
      await t.waitFor((e) => e.eventName === "process_execute_failed" && JSON.stringify(e.args).includes(m));
      expect(await t.stop()).toBe(0);
      const lines = t.stdout.split("\n").filter((l) => l !== "");
      const names = new Set(lines.map((l) => JSON.parse(l).eventName));
      expect([...names].sort()).toEqual([
        "process_execute_failed",
        "sched_process_exec",
        "sched_process_exit",
        "sched_process_fork",
      ]);
      for (const l of lines) expect(traceeErrors(l)).toEqual([]);
      const withEnv = lines
        .map(parseExact)
        .filter((e) => e.eventName === "sched_process_exec" && arg(e, "argv").includes(m));
      expect(withEnv.length).toBeGreaterThan(0);
      // the fixture's own exec inherits this environment; without --env none is captured
      expect(withEnv.some((e) => arg(e, "env").length > 0)).toBe(env);
    });
  }
});
