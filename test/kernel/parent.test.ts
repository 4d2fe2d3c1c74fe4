// Parent context against the real kernel: exec, failed exec and exit lines name the parent's
// program, comm, argv (redacted) and entity id, and exit lines the process's own argv, compared
// with what the processes report of themselves (test/fixtures/argv-report.c: /proc/self/exe, its
// comm, its argv, getppid()) and with /proc read by the test before the tracer started: a parent
// and its child, an exec that fails and its exit 127, a process that began before the tracer and
// its child after, and an orphan reparented to its subreaper.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arg, fixture, parseLine, TRACER, TracerRun, type Json } from "./harness";
import { encodeBytes } from "../../src/decode/text";

const MARK = "[REDACTED]";

interface Report {
  pid: number;
  ppid: number;
  comm: string;
  exe: string;
  argv: Buffer[];
}

/** What each argv-report run said of itself, by pid. */
function reports(file: string): Map<number, Report> {
  const out = new Map<number, Report>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^pid=(\d+) ppid=(\d+) comm=(\w*) exe=(\w*) argv=(.*)$/.exec(line);
    if (!m) continue;
    const hex = (h: string) => Buffer.from(h, "hex");
    out.set(Number(m[1]), {
      pid: Number(m[1]),
      ppid: Number(m[2]),
      comm: hex(m[3]!).toString(),
      exe: hex(m[4]!).toString(),
      argv: m[5]!.split(",").map(hex),
    });
  }
  return out;
}

const bytesOf = (list: string[]) => list.map((s) => Buffer.from(encodeBytes(s)));
const same = (got: string[], want: Buffer[]) => {
  expect(got.length).toBe(want.length);
  bytesOf(got).forEach((b, i) => {
    expect(b.equals(want[i]!)).toBe(true);
  });
};
const lines = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l)
    .map(parseLine);
const ofPid = (ls: Json[], name: string, pid: number) =>
  ls.filter((e) => e.eventName === name && e.hostProcessId === pid);

let top: string;
let exe: string;
beforeAll(() => {
  top = mkdtempSync(join(tmpdir(), "tracer-parent-"));
  exe = fixture("argv-report");
});
afterAll(() => rmSync(top, { recursive: true, force: true }));

/** pid → [ppid, exe] up the chain from pid, as /proc has it now. */
function procChain(pid: number): { pid: number; path: string }[] {
  const out: { pid: number; path: string }[] = [];
  for (let p = pid; p !== 0; ) {
    let path = "";
    try {
      path = readlinkSync(`/proc/${p}/exe`);
    } catch {}
    out.push({ pid: p, path });
    const stat = readFileSync(`/proc/${p}/stat`, "latin1");
    p = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  }
  return out;
}

function runCommand(name: string, command: string[], extra: string[] = []) {
  const out = join(top, name + ".jsonl");
  const report = join(top, name + ".report");
  const p = Bun.spawnSync([TRACER, "--json", "-o", out, ...extra, "--", ...command], {
    env: { PATH: "/usr/bin:/bin", ARGV_REPORT: report },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(p.exitCode).toBe(3);
  return { events: lines(out), seen: reports(report) };
}

describe("a parent and its child, a failed exec and its exit 127", () => {
  const secret = "Zq" + Math.random().toString(36).slice(2);
  let events: Json[];
  let seen: Map<number, Report>;
  beforeAll(() => {
    ({ events, seen } = runCommand("spawn", [exe, "--spawn", exe, "child", `--password=${secret}`], ["--ancestors"]));
  });

  test("the child's exec and exit lines name the parent as it reports itself; its secret redacted there too", () => {
    const child = [...seen.values()].find((r) => r.argv.length === 3)!;
    const parent = seen.get(child.ppid)!;
    expect(parent).toBeDefined();
    const [exec] = ofPid(events, "sched_process_exec", child.pid);
    const [pexec] = ofPid(events, "sched_process_exec", parent.pid);
    const redacted = (argv: Buffer[]) =>
      argv.map((a) => (a.toString() === `--password=${secret}` ? Buffer.from(`--password=${MARK}`) : a));
    for (const line of [exec!, ofPid(events, "sched_process_exit", child.pid)[0]!]) {
      expect(arg(line, "parent_path")).toBe(parent.exe);
      expect(arg(line, "parent_comm")).toBe(parent.comm);
      same(arg(line, "parent_argv"), redacted(parent.argv));
      expect(arg(line, "parent_entity_id")).toBe(line.parentEntityId);
      expect(arg(line, "parent_entity_id")).toBe(pexec!.processEntityId);
      expect(arg(line, "redacted")).toContain(`parent_argv[${parent.argv.length - 1}]:option`);
    }
    const exit = ofPid(events, "sched_process_exit", child.pid).find((e) => arg(e, "process_group_exit"))!;
    expect(exit.executable.path).toBe(child.exe);
    same(arg(exit, "argv"), redacted(child.argv));
    expect(arg(exit, "exit_code")).toBe(3);
    expect(arg(exit, "redacted")).toContain("argv[2]:option");
    // --ancestors: the parent first
    expect(arg(exec!, "ancestors")[0]).toEqual({ pid: parent.pid, entityId: pexec!.processEntityId, path: parent.exe });
    // nothing of the secret anywhere
    expect(readFileSync(join(top, "spawn.jsonl"), "utf8").includes(secret)).toBe(false);
  });
});

describe("a failed exec's line and its exit 127 say what the process was", () => {
  test("execfail's parent is the forking program; the exit 127 carries the argv fork gave it", () => {
    const missing = join(top, "no-such-program");
    const { events, seen } = runCommand("fail", [exe, "--spawn", missing, "x"]);
    const parent = [...seen.values()][0]!;
    const fail = events.find((e) => e.eventName === "process_execute_failed" && arg(e, "path") === missing)!;
    expect(fail).toBeDefined();
    expect(fail.hostParentProcessId).toBe(parent.pid);
    expect(arg(fail, "parent_path")).toBe(parent.exe);
    same(arg(fail, "parent_argv"), parent.argv);
    expect(arg(fail, "parent_entity_id")).toBe(fail.parentEntityId);
    const exit = ofPid(events, "sched_process_exit", fail.hostProcessId).find((e) => arg(e, "process_group_exit"))!;
    expect(arg(exit, "exit_code")).toBe(127);
    expect(exit.executable.path).toBe(parent.exe); // it never exec'd: the forked program
    same(arg(exit, "argv"), parent.argv);
    expect(arg(exit, "parent_path")).toBe(parent.exe);
  });
});

describe("a process that began before the tracer, and its child after", () => {
  test("the child's exec names it as /proc had it; its fork and exit lines too", async () => {
    const go = join(top, "go");
    const report = join(top, "before.report");
    const script = join(top, "before.sh");
    writeFileSync(script, `#!/bin/sh\nwhile [ ! -e '${go}' ]; do sleep 0.02; done\n'${exe}' after-child\ntrue\n`);
    chmodSync(script, 0o755);
    const p0 = Bun.spawn(["/bin/sh", script, "--token", "Zq-secret-before"], {
      env: { PATH: "/usr/bin:/bin", ARGV_REPORT: report },
      stdout: "ignore",
      stderr: "ignore",
    });
    while (
      !existsSync(`/proc/${p0.pid}/cmdline`) ||
      readFileSync(`/proc/${p0.pid}/cmdline`).length === 0 ||
      !readFileSync(`/proc/${p0.pid}/cmdline`, "latin1").includes(script)
    )
      await Bun.sleep(5);
    // what /proc says of it, read before the tracer runs
    const path = readlinkSync(`/proc/${p0.pid}/exe`);
    const cmdline = readFileSync(`/proc/${p0.pid}/cmdline`);
    const comm = readFileSync(`/proc/${p0.pid}/comm`, "utf8").trim();
    const argv = cmdline
      .subarray(0, cmdline.length - 1)
      .toString("latin1")
      .split("\0")
      .map((s) => Buffer.from(s, "latin1"));
    const expectArgv = argv.map((a) => (a.toString() === "Zq-secret-before" ? Buffer.from(MARK) : a));
    const t = await TracerRun.start(["--json", "--pid-tree", String(p0.pid)]);
    try {
      writeFileSync(go, "");
      await p0.exited;
      await t.waitFor(
        (e) => e.eventName === "sched_process_exit" && e.hostProcessId === p0.pid && arg(e, "process_group_exit"),
      );
    } finally {
      expect(await t.stop()).toBe(0);
    }
    const events = t.events();
    const child = [...reports(report).values()][0]!;
    expect(child.ppid).toBe(p0.pid);
    const [exec] = ofPid(events, "sched_process_exec", child.pid);
    expect(arg(exec!, "parent_path")).toBe(path);
    expect(arg(exec!, "parent_comm")).toBe(comm);
    same(arg(exec!, "parent_argv"), expectArgv);
    expect(arg(exec!, "parent_entity_id")).toBe(exec!.parentEntityId);
    const fork = ofPid(events, "sched_process_fork", p0.pid).find((e) => arg(e, "child_pid") === child.pid)!;
    expect(fork.executable.path).toBe(path);
    const exit = ofPid(events, "sched_process_exit", p0.pid).find((e) => arg(e, "process_group_exit"))!;
    expect(exit.executable.path).toBe(path);
    same(arg(exit, "argv"), expectArgv);
    expect(exit.processEntityId).toBe(exec!.parentEntityId);
  });
});

describe("an orphan reparented to its subreaper", () => {
  test("its exec line names the subreaper, as the orphan's getppid() and the subreaper report", () => {
    const inner = join(top, "inner.sh");
    const outer = join(top, "outer.sh");
    // the inner shell says it runs (so its exec came while outer was its parent), then waits until
    // outer is gone and it has been reparented; outer exits only once the inner shell has said so
    const ran = join(top, "inner.ran");
    writeFileSync(
      inner,
      `#!/bin/sh\n: > '${ran}'\nwhile [ "$(cut -d' ' -f4 /proc/$$/stat)" = "$1" ]; do sleep 0.01; done\nexec '${exe}' orphan\n`,
    );
    writeFileSync(outer, `#!/bin/sh\n/bin/sh '${inner}' $$ &\nwhile [ ! -e '${ran}' ]; do sleep 0.01; done\nexit 0\n`);
    const { events, seen } = runCommand("orphan", [exe, "--subreaper", "--spawn", "/bin/sh", outer]);
    const orphan = [...seen.values()].find((r) => r.argv[1]?.toString() === "orphan")!;
    const reaper = [...seen.values()].find((r) => r.argv[1]?.toString() === "--subreaper")!;
    expect(orphan.ppid).toBe(reaper.pid); // the kernel reparented it
    const execs = ofPid(events, "sched_process_exec", orphan.pid); // the inner shell's, then the report's
    const exec = execs.find((e) => arg(e, "argv")[1] === "orphan");
    expect(exec!.hostParentProcessId).toBe(reaper.pid);
    expect(arg(exec!, "parent_path")).toBe(reaper.exe);
    expect(arg(exec!, "parent_comm")).toBe(reaper.comm);
    same(arg(exec!, "parent_argv"), reaper.argv);
    const [rexec] = ofPid(events, "sched_process_exec", reaper.pid);
    expect(arg(exec!, "parent_entity_id")).toBe(rexec!.processEntityId);
    expect(exec!.parentEntityId).toBe(rexec!.processEntityId);
  });
});

describe("the /proc walk at start: processes that began before the tracer", () => {
  test("a child's --ancestors go up to PID 1 as /proc has the chain; an exit read after its process was reaped still says what it was", async () => {
    const fifo = join(top, "walk-fifo");
    const fifo2 = join(top, "walk-fifo2");
    const report = join(top, "walk.report");
    Bun.spawnSync(["mkfifo", fifo, fifo2]);
    // p0 forks a child once told; p1 only waits (a builtin read: no fork, no event before its exit)
    const p0 = Bun.spawn(["/bin/sh", "-c", `read x < '${fifo}'; '${exe}' walk-child; true`, "p0"], {
      env: { PATH: "/usr/bin:/bin", ARGV_REPORT: report },
      stdout: "ignore",
      stderr: "ignore",
    });
    const p1 = Bun.spawn(["/bin/sh", "-c", `read x < '${fifo2}'`, "p1", "--api-key", "Zq-walk-secret"], {
      stdout: "ignore",
      stderr: "ignore",
    });
    const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`);
    while (
      !cmdline(p0.pid).includes(Buffer.from("walk-child")) ||
      !cmdline(p1.pid).includes(Buffer.from("Zq-walk-secret"))
    )
      await Bun.sleep(5);
    const chain = procChain(p0.pid);
    const p1Path = readlinkSync(`/proc/${p1.pid}/exe`);
    const p1Argv = cmdline(p1.pid)
      .toString("latin1")
      .replace(/\0$/, "")
      .split("\0")
      .map((s) => (s === "Zq-walk-secret" ? MARK : s));
    const t = await TracerRun.start([
      "--json",
      "--ancestors",
      "--pid-tree",
      String(p0.pid),
      "--pid-tree",
      String(p1.pid),
    ]);
    try {
      writeFileSync(fifo2, "go\n"); // p1 exits, and is reaped at once
      await p1.exited;
      writeFileSync(fifo, "go\n");
      await p0.exited;
      await t.waitFor(
        (e) => e.eventName === "sched_process_exit" && e.hostProcessId === p0.pid && arg(e, "process_group_exit"),
      );
      await t.waitFor(
        (e) => e.eventName === "sched_process_exit" && e.hostProcessId === p1.pid && arg(e, "process_group_exit"),
      );
    } finally {
      expect(await t.stop()).toBe(0);
    }
    const events = t.events();
    const child = [...reports(report).values()][0]!;
    const exec = ofPid(events, "sched_process_exec", child.pid).find((e) => arg(e, "argv")[1] === "walk-child")!;
    const ancestors = arg(exec, "ancestors") as { pid: number; entityId: number; path: string }[];
    expect(ancestors.map((a) => ({ pid: a.pid, path: a.path }))).toEqual(chain);
    expect(ancestors[0]!.entityId).toBe(exec.parentEntityId);
    const exit1 = ofPid(events, "sched_process_exit", p1.pid).find((e) => arg(e, "process_group_exit"))!;
    expect(exit1.executable.path).toBe(p1Path);
    expect(arg(exit1, "argv")).toEqual(p1Argv);
    expect(arg(exit1, "redacted")).toEqual([`argv[${p1Argv.indexOf(MARK)}]:option`]);
  });
});

describe("COMMAND's tree: what began before the tracer is read from /proc when first met", () => {
  test("the grandchild's --ancestors: the parent as it reports itself, the tracer, then the test's own chain up to PID 1 as /proc has it", () => {
    const above = procChain(process.pid); // the tracer's parent and up, read before the run
    const { events, seen } = runCommand("command-ancestors", [exe, "--spawn", exe, "grandchild"], ["--ancestors"]);
    const child = [...seen.values()].find((r) => r.argv.length === 2 && r.argv[1]!.toString() === "grandchild")!;
    const parent = seen.get(child.ppid)!;
    expect(parent).toBeDefined();
    const exec = ofPid(events, "sched_process_exec", child.pid)[0]!;
    const ancestors = arg(exec, "ancestors") as { pid: number; path: string }[];
    expect(ancestors.map((a) => ({ pid: a.pid, path: a.path }))).toEqual([
      { pid: parent.pid, path: parent.exe },
      { pid: parent.ppid, path: realpathSync(TRACER) },
      ...above,
    ]);
  });
});

describe("an exec whose parent exits at the same moment", () => {
  test("40 times: each child's line names the process its record says is its parent (the one that forked it, or the subreaper)", () => {
    const loop = `for i in $(seq 40); do '${exe}' --nowait --spawn '${exe}' child-$i; done`;
    const { events, seen } = runCommand("racing", [exe, "--subreaper", "--spawn", "/bin/sh", "-c", loop]);
    const reaper = [...seen.values()].find((r) => r.argv[1]?.toString() === "--subreaper")!;
    const parents = new Map(
      [...seen.values()].filter((r) => r.argv[1]?.toString() === "--nowait").map((r) => [r.pid, r]),
    );
    const children = [...seen.values()].filter((r) => /^child-\d+$/.test(r.argv[1]?.toString() ?? ""));
    expect(children.length).toBe(40);
    let reparented = 0;
    for (const c of children) {
      const exec = ofPid(events, "sched_process_exec", c.pid).find((e) => arg(e, "argv")[1] === c.argv[1]!.toString())!;
      const named = exec.hostParentProcessId === reaper.pid ? reaper : parents.get(exec.hostParentProcessId)!;
      expect(named).toBeDefined(); // its forker, or the subreaper it was given to
      if (named === reaper) reparented++;
      expect(arg(exec, "parent_path")).toBe(named.exe);
      same(arg(exec, "parent_argv"), named.argv);
      expect(arg(exec, "parent_entity_id")).toBe(exec.parentEntityId);
    }
    console.log(`racing: ${reparented} of 40 execs after the parent's exit`);
  });
});
