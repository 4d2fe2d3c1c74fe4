// --exec matching on hand-made events: which path each event kind is matched on, and the
// include/exclude rules with Bun.Glob syntax.
import { describe, expect, test } from "bun:test";
import { execPathFilter, programPathOf } from "../../src/filter/exec-path";
import type { Arg, EventName, TraceEvent } from "../../src/event";

function ev(eventName: EventName, exe: string, args: Arg[] = []): TraceEvent {
  return {
    timestamp: 0n, threadStartTime: 0n, processorId: 0, processId: 1, threadId: 1, parentProcessId: 0,
    hostProcessId: 1, hostThreadId: 1, hostParentProcessId: 0, userId: 0, mountNamespace: 0, pidNamespace: 0,
    cgroupId: 0, processName: "x", executable: { path: exe }, hostName: "", containerId: "", eventName,
    returnValue: 0, syscall: "", threadEntityId: 0, processEntityId: 0, parentEntityId: 0, seq: 0, args,
  };
}
const failed = (caller: string, path: string, resolved: string) =>
  ev("process_execute_failed", caller, [
    { name: "path", type: "string", value: path },
    { name: "binary", type: "object", value: { path: resolved, device_id: 0, inode_number: 0, ctime: 0, inode_mode: 0 } },
  ]);

describe("programPathOf", () => {
  test("exec, fork, exit: executable.path", () => {
    for (const k of ["sched_process_exec", "sched_process_fork", "sched_process_exit"] as const) {
      expect(programPathOf(ev(k, "/usr/bin/make"))).toBe("/usr/bin/make");
    }
  });
  test("a failed exec: the program it tried (resolved, else as passed), not the caller", () => {
    expect(programPathOf(failed("/usr/bin/bash", "cc", "/usr/bin/x86_64-linux-gnu-gcc-12"))).toBe("/usr/bin/x86_64-linux-gnu-gcc-12");
    expect(programPathOf(failed("/usr/bin/bash", "./nothere", ""))).toBe("./nothere");
  });
});

describe("execPathFilter", () => {
  test("no patterns: no filter at all", () => {
    expect(execPathFilter({ include: [], exclude: [] })).toBeNull();
  });
  test("* stops at /, ** crosses directories, {a,b} alternatives", () => {
    const keep = execPathFilter({ include: ["/usr/bin/*"], exclude: [] })!;
    expect(keep(ev("sched_process_exec", "/usr/bin/gcc"))).toBe(true);
    expect(keep(ev("sched_process_exec", "/usr/bin/x/gcc"))).toBe(false);
    expect(keep(ev("sched_process_exec", "/usr/local/bin/gcc"))).toBe(false);
    const deep = execPathFilter({ include: ["/usr/**/python3*", "/opt/{a,b}/run"], exclude: [] })!;
    expect(deep(ev("sched_process_exec", "/usr/lib/x/bin/python3.11"))).toBe(true);
    expect(deep(ev("sched_process_exec", "/opt/b/run"))).toBe(true);
    expect(deep(ev("sched_process_exec", "/opt/c/run"))).toBe(false);
  });
  test("include OR include, minus exclude; lost_events always passes", () => {
    const keep = execPathFilter({ include: ["/usr/bin/*", "/bin/*"], exclude: ["/usr/bin/sh", "**/dash"] })!;
    expect(keep(ev("sched_process_fork", "/bin/ls"))).toBe(true);
    expect(keep(ev("sched_process_exit", "/usr/bin/sh"))).toBe(false);
    expect(keep(ev("sched_process_exit", "/usr/bin/dash"))).toBe(false);
    expect(keep(failed("/usr/bin/dash", "/usr/bin/nope", "/usr/bin/nope"))).toBe(true);
    expect(keep(ev("lost_events", ""))).toBe(true);
    const only = execPathFilter({ include: [], exclude: ["/usr/bin/*"] })!;
    expect(only(ev("sched_process_exec", "/usr/bin/ls"))).toBe(false);
    expect(only(ev("sched_process_exec", "/opt/ls"))).toBe(true);
  });
});
