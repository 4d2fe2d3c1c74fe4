// --exec matching on hand-made events: which path each event kind is matched on, and the
// include/exclude rules with Bun.Glob syntax.
import { describe, expect, test } from "bun:test";
import { execPathFilter, programPathsOf } from "../../src/filter/exec-path";
import { exec_failed_record as XF, record_kind as K } from "../../src/decode/layout.gen";
import { fixedRecord, RANDOM, prng, viewOf } from "../records";

const g = prng(3);
const MAKE = {
  sched_process_exec: RANDOM.exec,
  sched_process_fork: RANDOM.fork,
  sched_process_exit: RANDOM.exit,
  lost_events: RANDOM.lost,
};

/** An event of that kind whose process runs `exe` (executable.path, as enrichment sets it). */
function ev(name: keyof typeof MAKE, exe: string) {
  const e = viewOf(MAKE[name](g));
  e.x.exePath = exe;
  return e;
}
/** A failed exec by a process running `caller` of `path`, resolved by user space to `resolved`. */
const failed = (caller: string, path: string, resolved: string) => {
  const e = viewOf(
    fixedRecord(K.KIND_EXEC_FAILED, XF.$size, 9, [[XF.path, path]], (dv) => dv.setBigInt64(XF.ret, -2n, true)),
  );
  e.x.exePath = caller;
  if (resolved) e.x.binary = { path: resolved, device_id: 0, inode_number: 0n, ctime: 0n, inode_mode: 0 };
  return e;
};

describe("programPathsOf", () => {
  test("exec, fork, exit: executable.path, and the path the exec was called with when seen", () => {
    for (const k of ["sched_process_exec", "sched_process_fork", "sched_process_exit"] as const) {
      expect(programPathsOf(ev(k, "/usr/bin/make"))).toEqual(["/usr/bin/make"]);
      const e = ev(k, "/usr/bin/x86_64-linux-gnu-gcc-12");
      e.x.exeTyped = "/usr/bin/gcc";
      expect(programPathsOf(e)).toEqual(["/usr/bin/x86_64-linux-gnu-gcc-12", "/usr/bin/gcc"]);
    }
  });
  test("a failed exec: the program it tried (resolved, and as passed), not the caller", () => {
    expect(programPathsOf(failed("/usr/bin/bash", "cc", "/usr/bin/x86_64-linux-gnu-gcc-12"))).toEqual([
      "/usr/bin/x86_64-linux-gnu-gcc-12",
      "cc",
    ]);
    expect(programPathsOf(failed("/usr/bin/bash", "./nothere", ""))).toEqual(["./nothere", "./nothere"]);
  });
  test("--exec /usr/bin/gcc keeps gcc's events although its file is x86_64-linux-gnu-gcc-12; ! of either leaves them out", () => {
    const gcc = ev("sched_process_exit", "/usr/bin/x86_64-linux-gnu-gcc-12");
    gcc.x.exeTyped = "/usr/bin/gcc";
    expect(execPathFilter({ include: ["/usr/bin/gcc"], exclude: [] })!(gcc)).toBe(true);
    expect(execPathFilter({ include: ["/usr/bin/x86_64-*"], exclude: [] })!(gcc)).toBe(true);
    expect(execPathFilter({ include: [], exclude: ["/usr/bin/gcc"] })!(gcc)).toBe(false);
    expect(execPathFilter({ include: ["/usr/bin/cc"], exclude: [] })!(gcc)).toBe(false);
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
