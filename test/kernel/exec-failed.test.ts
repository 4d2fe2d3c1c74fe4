// process_execute_failed against the real kernel. Ground truth: the errno the failing process
// itself saw (it prints pid, tid and errno after each failed call), the argv it passed, and
// stat(2) of the file it named.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes as rnd } from "node:crypto";
import { arg, sharedTracer, fixture, kernelDev, marker, TracerRun, type Json } from "./harness";

const S = sharedTracer("tracer-fail-", (dir) => Bun.spawnSync(["umount", join(dir, "noexec")]));
let ef: string;

beforeAll(() => {
  ef = fixture("execfail");
});

interface Attempt {
  pid: number;
  tid: number;
  errno: number;
}

/** Run the fixture; each failed attempt it reports. */
async function attempt(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<Attempt[]> {
  const p = Bun.spawn([ef, ...args], {
    stdout: "pipe",
    stderr: "ignore",
    stdin: "ignore",
    env: opts.env,
    cwd: opts.cwd ?? S.dir,
  });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return [...out.matchAll(/pid=(\d+) tid=(\d+) errno=(\d+)/g)].map((m) => ({
    pid: +m[1]!,
    tid: +m[2]!,
    errno: +m[3]!,
  }));
}

/** The failed-exec events of a process, in order; waits until `count` arrived. */
async function failures(pid: number, count = 1): Promise<Json[]> {
  const end = Date.now() + 60000;
  for (;;) {
    const hits = S.tracer.events().filter((e) => e.eventName === "process_execute_failed" && e.hostProcessId === pid);
    if (hits.length >= count || Date.now() > end) return hits;
    await Bun.sleep(20);
  }
}

async function one(args: string[], errno: number, opts = {}) {
  const a = await attempt(args, opts);
  expect(a.length).toBe(1);
  expect(a[0]!.errno).toBe(errno);
  const evs = await failures(a[0]!.pid);
  expect(evs.length).toBe(1);
  const e = evs[0]!;
  expect(e.returnValue).toBe(-errno);
  expect(e.hostThreadId).toBe(a[0]!.tid);
  return e;
}

function expectBinary(e: Json, file: string) {
  const st = statSync(file, { bigint: true });
  const b = arg(e, "binary");
  expect(b.inode_number).toBe(Number(st.ino));
  expect(b.device_id).toBe(kernelDev(st.dev));
  expect(b.inode_mode).toBe(Number(st.mode));
  expect(BigInt(b.ctime)).toBe(st.ctimeNs);
}

describe("process_execute_failed", () => {
  test("ENOENT, absolute path: arguments as passed, error name", async () => {
    const m = marker("enoent");
    const e = await one(["path", "/nonexistent/tool", m, "arg with space", ""], 2);
    expect(arg(e, "path")).toBe("/nonexistent/tool");
    expect(arg(e, "arguments")).toEqual(["/nonexistent/tool", m, "arg with space", ""]);
    expect(arg(e, "error")).toBe("ENOENT");
    expect(e.syscall).toBe("execve");
    expect(arg(e, "binary")).toEqual({
      path: "/nonexistent/tool",
      device_id: 0,
      inode_number: 0,
      ctime: 0,
      inode_mode: 0,
    });
    expect(arg(e, "kernel_invoked")).toBe(false);
    expect(e.executable.path).toBe(ef);
  });

  test("ENOENT, relative path", async () => {
    const e = await one(["path", "./missing-rel", marker("rel")], 2);
    expect(arg(e, "path")).toBe("./missing-rel");
    expect(arg(e, "pwd")).toBe(S.dir);
  });

  test("PATH search through execvp: one event per directory tried", async () => {
    const dirs = ["a", "b", "c"].map((d) => join(S.dir, "path-" + d));
    for (const d of dirs) mkdirSync(d, { recursive: true });
    const name = marker("execvp");
    const a = await attempt(["execvp", name], { env: { PATH: dirs.join(":") } });
    expect(a.length).toBe(1);
    expect(a[0]!.errno).toBe(2);
    const evs = await failures(a[0]!.pid, 3);
    expect(evs.map((e) => arg(e, "path"))).toEqual(dirs.map((d) => join(d, name)));
    for (const e of evs) expect(e.returnValue).toBe(-2);
  });

  test("EACCES: a file without the execute bit, with its binary details", async () => {
    const f = join(S.dir, "noexec-file");
    writeFileSync(f, "#!/bin/sh\n");
    chmodSync(f, 0o644);
    const e = await one(["path", f, marker("eacces")], 13);
    expectBinary(e, f);
    expect(arg(e, "binary").path).toBe(f);
    expect(arg(e, "binary_resolved_in")).toBe("userspace");
  });

  test("EACCES: a directory", async () => {
    const e = await one(["path", S.dir, marker("dir")], 13);
    expectBinary(e, S.dir);
  });

  test("EACCES: a noexec mount", async () => {
    const mnt = join(S.dir, "noexec");
    mkdirSync(mnt, { recursive: true });
    const r = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "noexec", "tracer-test", mnt]);
    expect(r.exitCode).toBe(0);
    const f = join(mnt, "tool");
    writeFileSync(f, "#!/bin/sh\n");
    chmodSync(f, 0o755);
    const e = await one(["path", f, marker("noexec")], 13);
    expectBinary(e, f);
  });

  test("ENOEXEC: random bytes", async () => {
    const f = join(S.dir, "random.bin");
    writeFileSync(f, Buffer.concat([Buffer.from("XX"), rnd(4096)]));
    chmodSync(f, 0o755);
    const e = await one(["path", f, marker("enoexec")], 8);
    expectBinary(e, f);
    expect(arg(e, "error")).toBe("ENOEXEC");
  });

  test("ENOTDIR, ELOOP, ENAMETOOLONG", async () => {
    await one(["path", "/etc/passwd/x", marker("enotdir")], 20);
    symlinkSync(join(S.dir, "loop-b"), join(S.dir, "loop-a"));
    symlinkSync(join(S.dir, "loop-a"), join(S.dir, "loop-b"));
    const e = await one(["path", join(S.dir, "loop-a"), marker("eloop")], 40);
    expect(arg(e, "binary").inode_number).toBe(0);
    const long = "/" + "x".repeat(5000);
    const e2 = await one(["path", long, marker("long")], 36);
    expect(long.startsWith(arg(e2, "path"))).toBe(true);
    expect(arg(e2, "path").length).toBe(4095);
  });

  test("E2BIG: what could be read is reported", async () => {
    const m = marker("e2big");
    const big = "y".repeat(200_000); // > MAX_ARG_STRLEN (128 KiB): the fixture builds it
    const e = await one(["big", "/bin/true", m, String(big.length)], 7);
    const got: string[] = arg(e, "arguments");
    expect(got.slice(0, 2)).toEqual(["/bin/true", m]);
    // a string is measured up to MAX_ARG_STRLEN (128 KiB, NUL included): the kernel refuses longer ones
    const measured = ["/bin/true", m, big].reduce((n, a) => n + Math.min(a.length + 1, 128 * 1024), 0);
    expect(arg(e, "arguments_dropped_bytes") + Buffer.byteLength(got.join("\0")) + (got.length === 3 ? 0 : 1)).toBe(
      measured,
    );
    expect(arg(e, "truncated")).toContain("arguments");
  });

  for (const size of [200 * 1024, 1024 * 1024]) {
    test(`E2BIG with a ${size / 1024} KiB argument: its bytes past 128 KiB are not measured, and the event says the count is a lower bound`, async () => {
      const m = marker("lowerbound");
      const e = await one(["big", "/bin/true", m, String(size)], 7);
      const got: string[] = arg(e, "arguments");
      const truth = ["/bin/true", m].reduce((n, a) => n + a.length + 1, 0) + size + 1; // every string and its NUL
      const area = Buffer.byteLength(got.join("\0")) + (got.length === 3 && got[2]!.length === size ? 1 : 0);
      expect(arg(e, "arguments_dropped_bytes")).toBeLessThan(truth - area);
      expect(arg(e, "arguments_dropped_bytes_lower_bound")).toBe(true);
    });
  }

  test("EFAULT: a bad argv pointer still gives an event", async () => {
    const e = await one(["efault", "/bin/true"], 14);
    expect(arg(e, "path")).toBe("/bin/true");
    expect(arg(e, "arguments")).toEqual([]);
    expect(arg(e, "arguments_unreadable")).toBe(true);
  });

  test("more than 65,536 arguments: every one counted (dropped = passed - captured)", async () => {
    const m = marker("many");
    const n = 100_000;
    const e = await one(["many", "/nonexistent/many", m, String(n)], 2);
    const got: string[] = arg(e, "arguments");
    const passed = n + 2;
    const lastCut = got.at(-1) !== "a";
    expect(got.slice(0, 2)).toEqual(["/nonexistent/many", m]);
    expect(got.length - (lastCut ? 1 : 0) + arg(e, "arguments_dropped_args")).toBe(passed);
    const total = "/nonexistent/many".length + 1 + m.length + 1 + 2 * n; // every string and its NUL
    const area = Buffer.byteLength(got.join("\0")) + (lastCut ? 0 : 1); // a cut last string has no NUL
    expect(arg(e, "arguments_dropped_bytes")).toBe(total - area);
    expect(arg(e, "arguments_dropped_bytes_lower_bound")).toBe(false);
    expect(arg(e, "truncated")).toContain("arguments");
  });

  test("a string that cannot be read (its page not in memory): it and those after are dropped, counted, said", async () => {
    const m = marker("untouched");
    const e = await one(["untouched", "/nonexistent/untouched", m], 2);
    expect(arg(e, "arguments")).toEqual(["/nonexistent/untouched", m]);
    expect(arg(e, "arguments_dropped_args")).toBe(2); // the unreadable one and "after"
    expect(arg(e, "arguments_unreadable")).toBe(true);
    expect(arg(e, "arguments_dropped_bytes_lower_bound")).toBe(true); // the unreadable string has no measure
    expect(arg(e, "truncated")).toContain("arguments");
  });

  test("strings that end exactly at the capture limit are whole: nothing dropped", async () => {
    const m = marker("exact");
    const e = await one(["exact", "/nonexistent/exact", m, String(128 * 1024)], 2);
    const got: string[] = arg(e, "arguments");
    expect(got.length).toBe(3);
    expect(Buffer.byteLength(got.join("\0")) + 1).toBe(128 * 1024);
    expect(arg(e, "arguments_dropped_args")).toBe(0);
    expect(arg(e, "arguments_dropped_bytes")).toBe(0);
    expect(arg(e, "arguments_dropped_bytes_lower_bound")).toBe(false);
    expect(arg(e, "truncated")).toEqual([]);
  });

  test("EFAULT on the path: nothing is resolved (not the caller's cwd), and the event says the path is missing", async () => {
    const m = marker("badpath");
    const e = await one(["badpath", m], 14);
    expect(arg(e, "path")).toBe("");
    expect(arg(e, "binary")).toEqual({ path: "", device_id: 0, inode_number: 0, ctime: 0, inode_mode: 0 });
    expect(arg(e, "truncated")).toContain("path");
    expect(arg(e, "arguments")).toEqual([m]);
  });

  test("execveat: bad dirfd (EBADF) and AT_EMPTY_PATH on a non-executable fd", async () => {
    const e = await one(["badfd", "rel-name", marker("badfd")], 9);
    expect(e.syscall).toBe("execveat");
    expect(arg(e, "dirfd")).toBe(999);
    const f = join(S.dir, "plain.txt");
    writeFileSync(f, "data");
    chmodSync(f, 0o644);
    const e2 = await one(["emptypath", f, marker("empty")], 13);
    expect(e2.syscall).toBe("execveat");
    expect(arg(e2, "flags")).toBe(0x1000);
    expect(arg(e2, "path")).toBe("");
    expectBinary(e2, f);
  });

  test("execveat AT_SYMLINK_NOFOLLOW on a symlink (ELOOP): binary is the link the kernel refused to follow, not its target", async () => {
    const sub = join(S.dir, "nofollow");
    mkdirSync(sub);
    const link = join(sub, "tool");
    symlinkSync("/bin/true", link);
    // named through a symlinked directory: that part the kernel did follow
    const via = join(S.dir, "nofollow-dir");
    symlinkSync(sub, via);
    const e = await one(["nofollow", join(via, "tool"), marker("nofollow")], 40);
    expect(e.syscall).toBe("execveat");
    expect(arg(e, "flags")).toBe(0x100);
    const st = lstatSync(link, { bigint: true });
    expect(st.isSymbolicLink()).toBe(true);
    const b = arg(e, "binary");
    expect(b.path).toBe(link);
    expect(b.inode_number).toBe(Number(st.ino));
    expect(b.device_id).toBe(kernelDev(st.dev));
    expect(b.inode_mode).toBe(Number(st.mode));
    expect(BigInt(b.ctime)).toBe(st.ctimeNs);
    expect(arg(e, "interpreter_path")).toBe("");
  });

  test("#! script whose interpreter does not exist: interpreter_path names it", async () => {
    const f = join(S.dir, "orphan.sh");
    writeFileSync(f, "#!/nonexistent/interp -x\necho\n");
    chmodSync(f, 0o755);
    const e = await one(["path", f, marker("interp")], 2);
    expect(arg(e, "interpreter_path")).toBe("/nonexistent/interp");
    expectBinary(e, f);
  });

  test("a failed exec from a second thread is attributed to that thread", async () => {
    const a = await attempt(["thread", "/nonexistent/t", marker("thread")]);
    expect(a[0]!.tid).not.toBe(a[0]!.pid);
    const [e] = await failures(a[0]!.pid);
    expect(e!.hostThreadId).toBe(a[0]!.tid);
    expect(e!.hostProcessId).toBe(a[0]!.pid);
  });

  test("two failures give exactly two events; a success gives none", async () => {
    const a = await attempt(["twice", "/nonexistent/twice"]);
    expect(a.length).toBe(2);
    await Bun.sleep(300);
    expect((await failures(a[0]!.pid, 2)).length).toBe(2);
    const m = marker("ok");
    const p = Bun.spawn(["/bin/true", m]);
    await p.exited;
    await S.tracer.waitFor((e) => e.eventName === "sched_process_exec" && e.hostProcessId === p.pid);
    await Bun.sleep(200);
    expect(
      S.tracer.events().filter((e) => e.eventName === "process_execute_failed" && e.hostProcessId === p.pid),
    ).toEqual([]);
  });
});
