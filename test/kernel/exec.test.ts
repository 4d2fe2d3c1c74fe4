// sched_process_exec against the real kernel: every field compared with ground truth taken
// outside the tracer (/proc of the held process, stat(2), what the test itself passed).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
  writeFileSync,
  rmSync,
  openSync,
  closeSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import {
  arg,
  sharedTracer,
  fixture,
  kernelDev,
  marker,
  procCmdline,
  readUntil,
  TracerRun,
  withMarker,
  type Json,
} from "./harness";
import { encodeBytes } from "../../src/decode/text";

const S = sharedTracer("tracer-exec-");
let hold: string;
let holdStatic: string;

beforeAll(() => {
  hold = fixture("hold");
  holdStatic = fixture("hold", { static: true });
});

/** What /proc and stat(2) say about a live process: the ground truth for one exec. */
interface Truth {
  pid: number;
  exe: string;
  exeStat: ReturnType<typeof statSync>;
  cmdline: string[];
  cmdlineRaw: Buffer;
  cwd: string;
  stdinPath: string;
  stdinMode: number;
  loader: string | null;
  mntns: number;
  pidns: number;
  comm: string;
  cgroupIno: number;
}

function nsInode(pid: number, ns: string): number {
  return Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${ns}`))![1]);
}

function cgroup2Root(): string {
  const line = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .find((l) => / - cgroup2 /.test(l))!;
  return line.split(" ")[4]!;
}

function truthOf(pid: number): Truth {
  const exe = readlinkSync(`/proc/${pid}/exe`);
  const maps = readFileSync(`/proc/${pid}/maps`, "utf8");
  const loader = /\s(\/\S*ld-linux\S*\.so\S*)$/m.exec(maps)?.[1] ?? null;
  const cgPath = readFileSync(`/proc/${pid}/cgroup`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("0::"))!
    .slice(3);
  return {
    pid,
    exe,
    exeStat: statSync(exe, { bigint: true }) as any,
    cmdline: procCmdline(pid),
    cmdlineRaw: readFileSync(`/proc/${pid}/cmdline`),
    cwd: readlinkSync(`/proc/${pid}/cwd`),
    stdinPath: readlinkSync(`/proc/${pid}/fd/0`),
    stdinMode: statSync(`/proc/${pid}/fd/0`).mode,
    loader,
    mntns: nsInode(pid, "mnt"),
    pidns: nsInode(pid, "pid"),
    comm: readFileSync(`/proc/${pid}/comm`, "utf8").trim(),
    cgroupIno: statSync(join(cgroup2Root(), cgPath)).ino,
  };
}

/** Run `argv` with a pipe as stdin, wait for the fixture's "ready PID", take the truth, release it. */
async function runHeld(argv: string[], opts: { cwd?: string } = {}): Promise<{ truth: Truth; spawnPid: number }> {
  const p = Bun.spawn(argv, { stdin: "pipe", stdout: "ignore", stderr: "pipe", cwd: opts.cwd ?? S.dir });
  await readUntil(p.stderr, /ready \d+\n/);
  const truth = truthOf(p.pid);
  p.stdin.end();
  await p.exited;
  return { truth, spawnPid: p.pid };
}

/** The one exec event carrying marker m (of the fixture binary when several commands carry it). */
async function execOf(m: string, pathname?: string): Promise<Json> {
  const ok = (e: Json) => withMarker([e], m).length > 0 && (!pathname || arg(e, "pathname") === pathname);
  const hits = (await S.tracer.waitFor(ok)).filter(ok);
  expect(hits.length).toBe(1);
  return hits[0]!;
}

function expectBinaryFields(e: Json, t: Truth) {
  expect(arg(e, "pathname")).toBe(t.exe);
  expect(e.executable.path).toBe(t.exe);
  expect(arg(e, "inode")).toBe(Number(t.exeStat!.ino));
  expect(arg(e, "dev")).toBe(kernelDev(t.exeStat!.dev as unknown as bigint));
  expect(arg(e, "inode_mode")).toBe(Number(t.exeStat!.mode));
  expect(BigInt(arg(e, "ctime"))).toBe((t.exeStat! as any).ctimeNs);
}

function expectContext(e: Json, t: Truth, spawnPid: number) {
  expect(e.hostProcessId).toBe(spawnPid);
  expect(e.hostThreadId).toBe(spawnPid);
  expect(e.processId).toBe(spawnPid); // the test runs in the initial pid namespace
  expect(e.hostParentProcessId).toBe(process.pid);
  expect(e.parentProcessId).toBe(process.pid);
  expect(e.userId).toBe(process.getuid!());
  expect(e.mountNamespace).toBe(t.mntns);
  expect(e.pidNamespace).toBe(t.pidns);
  expect(e.cgroupId).toBe(t.cgroupIno);
  expect(e.processName).toBe(t.comm);
  expect(e.hostName).toBe(hostname());
  expect(e.eventName).toBe("sched_process_exec");
  expect(e.syscall).toBe("execve");
  expect(e.returnValue).toBe(0);
  const now = BigInt(Date.now()) * 1_000_000n;
  expect(e.timestamp).toBeGreaterThan(now - 60_000_000_000n);
  expect(e.timestamp).toBeLessThanOrEqual(now + 1_000_000_000n);
  expect(e.threadStartTime).toBeLessThanOrEqual(e.timestamp);
  expect(e.processEntityId).toBe(e.threadEntityId);
}

describe("sched_process_exec", () => {
  test("dynamic binary: binary, loader, argv, stdin pipe, pwd and context match /proc and stat", async () => {
    const m = marker("dyn");
    const { truth, spawnPid } = await runHeld([hold, m, "two words", "", "ünïcødé ✓"]);
    const e = await execOf(m);
    expectBinaryFields(e, truth);
    expectContext(e, truth, spawnPid);
    expect(arg(e, "cmdpath")).toBe(hold);
    expect(arg(e, "argv")).toEqual([hold, m, "two words", "", "ünïcødé ✓"]);
    expect(Buffer.from(encodeBytes(arg(e, "argv").join("\0") + "\0")).equals(truth.cmdlineRaw)).toBe(true);
    expect(truth.loader).not.toBeNull();
    const ld = statSync(truth.loader!, { bigint: true });
    expect(arg(e, "interpreter_pathname")).toBe(truth.loader);
    expect(arg(e, "interpreter_inode")).toBe(Number(ld.ino));
    expect(arg(e, "interpreter_dev")).toBe(kernelDev(ld.dev));
    expect(BigInt(arg(e, "interpreter_ctime"))).toBe(ld.ctimeNs);
    expect(arg(e, "stdin_path")).toBe(truth.stdinPath);
    expect(truth.stdinPath).toMatch(/^socket:\[\d+\]$/); // Bun's "pipe" is a socketpair
    expect(arg(e, "stdin_type")).toBe(truth.stdinMode);
    expect(arg(e, "pwd")).toBe(truth.cwd);
    expect(arg(e, "invoked_from_kernel")).toBe(false);
    expect(arg(e, "env")).toEqual([]); // not captured without --env
    expect(arg(e, "truncated")).toEqual([]);
    expect(arg(e, "argv_dropped_args")).toBe(0);
    expect(arg(e, "argv_dropped_bytes")).toBe(0);
  });

  test("static binary: no interpreter", async () => {
    const m = marker("static");
    const { truth, spawnPid } = await runHeld([holdStatic, m]);
    expect(truth.loader).toBeNull();
    const e = await execOf(m);
    expectBinaryFields(e, truth);
    expectContext(e, truth, spawnPid);
    expect(arg(e, "interpreter_pathname")).toBe("");
    expect(arg(e, "interpreter_inode")).toBe(0);
    expect(arg(e, "interpreter_dev")).toBe(0);
    expect(arg(e, "argv")).toEqual(truth.cmdline);
  });

  test("#!/bin/sh script: cmdpath is the script, interp /bin/sh, pathname the shell", async () => {
    const m = marker("script");
    const script = join(S.dir, "held script.sh");
    writeFileSync(script, "#!/bin/sh\nread x\n");
    chmodSync(script, 0o755);
    const p = Bun.spawn([script, m], { stdin: "pipe", stdout: "ignore", stderr: "ignore", cwd: S.dir });
    let truth: Truth | null = null;
    while (!truth) {
      // until the script's shell shows its argv (bun's test timeout bounds the wait)
      await Bun.sleep(10);
      try {
        const t = truthOf(p.pid);
        if (t.cmdline.includes(m)) truth = t;
      } catch {}
    }
    p.stdin.end();
    await p.exited;
    const e = await execOf(m);
    expect(arg(e, "cmdpath")).toBe(script);
    expect(arg(e, "interp")).toBe("/bin/sh");
    expect(arg(e, "pathname")).toBe(truth!.exe);
    expect(arg(e, "pathname")).toBe(realpathSync("/bin/sh"));
    expect(arg(e, "argv")).toEqual(truth!.cmdline); // ["/bin/sh", script, marker]
    expect(arg(e, "argv")).toEqual(["/bin/sh", script, m]);
    expectBinaryFields(e, truth!);
  });

  test("1000 arguments are all captured", async () => {
    const m = marker("many");
    const args = Array.from({ length: 1000 }, (_, i) => `a${i}`);
    const p = Bun.spawn([hold, m, ...args], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    await p.exited;
    const e = await execOf(m);
    expect(arg(e, "argv")).toEqual([hold, m, ...args]);
    expect(arg(e, "truncated")).toEqual([]);
  });

  test("non-UTF-8 bytes and control characters survive losslessly in valid JSON", async () => {
    const m = marker("bytes");
    // \377\376 is not UTF-8; a newline and a quote inside an argument
    const p = Bun.spawn(["/bin/sh", "-c", `exec ${hold} ${m} "$(printf 'x\\377\\376y')" "$(printf 'a\\nb"c')"`], {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
    });
    await p.exited;
    const e = await execOf(m, hold);
    const argv: string[] = arg(e, "argv");
    expect(argv.length).toBe(4);
    expect(Array.from(encodeBytes(argv[2]!))).toEqual([0x78, 0xff, 0xfe, 0x79]);
    expect(argv[3]).toBe('a\nb"c');
  });

  test("stdin from a real pipe", async () => {
    const m = marker("pipe");
    const p = Bun.spawn(["/bin/sh", "-c", `(read x) | exec ${hold} ${m}`], {
      stdin: "pipe",
      stdout: "ignore",
      stderr: "pipe",
      cwd: S.dir,
    });
    const pid = Number((await readUntil(p.stderr, /ready (\d+)\n/))[1]);
    const link = readlinkSync(`/proc/${pid}/fd/0`);
    const mode = statSync(`/proc/${pid}/fd/0`).mode;
    p.stdin.write("go\n");
    p.stdin.end();
    await p.exited;
    const e = await execOf(m, hold);
    expect(link).toMatch(/^pipe:\[\d+\]$/);
    expect(arg(e, "stdin_path")).toBe(link);
    expect(arg(e, "stdin_type")).toBe(mode);
    expect(e.hostProcessId).toBe(pid);
  });

  test("stdin from /dev/null and from a file", async () => {
    const m1 = marker("null");
    await Bun.spawn(["/bin/sh", "-c", `exec ${hold} ${m1} < /dev/null`], { stdout: "ignore", stderr: "ignore" }).exited;
    const e1 = await execOf(m1, hold);
    expect(arg(e1, "stdin_path")).toBe("/dev/null");
    expect(arg(e1, "stdin_type")).toBe(statSync("/dev/null").mode);

    const m2 = marker("file");
    const f = join(S.dir, "input file.txt");
    writeFileSync(f, "");
    chmodSync(f, 0o640);
    await Bun.spawn(["/bin/sh", "-c", `exec ${hold} ${m2} < "${f}"`], { stdout: "ignore", stderr: "ignore" }).exited;
    const e2 = await execOf(m2, hold);
    expect(arg(e2, "stdin_path")).toBe(f);
    expect(arg(e2, "stdin_type")).toBe(statSync(f).mode);
  });

  test("stdin from a terminal (pty)", async () => {
    const m = marker("tty");
    const p = Bun.spawn(["script", "-qec", `${hold} ${m}`, "/dev/null"], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "ignore",
    });
    const pid = Number((await readUntil(p.stdout, /ready (\d+)/))[1]);
    const ttyPath = readlinkSync(`/proc/${pid}/fd/0`);
    const ttyMode = statSync(`/proc/${pid}/fd/0`).mode;
    p.stdin.write("\n");
    p.stdin.end();
    p.kill();
    await p.exited;
    const e = await execOf(m, hold);
    expect(ttyPath).toMatch(/^\/dev\/pts\/\d+$/);
    expect(arg(e, "stdin_path")).toBe(ttyPath);
    expect(arg(e, "stdin_type")).toBe(ttyMode);
    expect(e.hostProcessId).toBe(pid);
  });

  test("an exec from another working directory reports it as pwd", async () => {
    const m = marker("pwd");
    const sub = join(S.dir, "sub dir");
    Bun.spawnSync(["mkdir", "-p", sub]);
    await Bun.spawn([hold, m], { cwd: sub, stdin: "ignore", stdout: "ignore", stderr: "ignore" }).exited;
    const e = await execOf(m);
    expect(arg(e, "pwd")).toBe(realpathSync(sub));
  });

  test("a removed file and a removed working directory read as /proc shows them: ' (deleted)', never '/'", async () => {
    const m = marker("deleted");
    const sub = join(realpathSync(S.dir), "gone");
    // readlink, run from a copy that is unlinked before it runs (through its open descriptor), in a
    // working directory removed before the exec: it prints its own exe and cwd as /proc has them
    const script = `mkdir -p '${sub}' && cd '${sub}' && cp /usr/bin/readlink ./rl && exec 3<./rl && rm ./rl && rmdir '${sub}' && exec /proc/self/fd/3 /proc/self/exe /proc/self/cwd ${m}`;
    const p = Bun.spawnSync(["/bin/sh", "-c", script], { stdout: "pipe", stderr: "pipe" });
    const [exe, cwd] = p.stdout.toString().trim().split("\n");
    expect(exe).toBe(`${sub}/rl (deleted)`);
    expect(cwd).toBe(`${sub} (deleted)`);
    const mine = (e: Json) =>
      e.eventName === "sched_process_exec" && arg(e, "argv")[0] === "/proc/self/fd/3" && arg(e, "argv").includes(m);
    const [e, ...more] = (await S.tracer.waitFor(mine)).filter(mine) as [Json, ...Json[]];
    expect(more).toEqual([]);
    expect(arg(e, "pathname")).toBe(exe);
    expect(e.executable.path).toBe(exe);
    expect(arg(e, "pwd")).toBe(cwd);
    expect(arg(e, "exe_deleted")).toBe(true);
    expect(arg(e, "exe_memfd")).toBe(false);
  });
});

describe("capture limits and --env", () => {
  test("argv larger than --max-args-size is cut, and the event says how much was dropped", async () => {
    const t = await TracerRun.start(["--json", "--max-args-size", "65536"]);
    try {
      const m = marker("big");
      const big = "x".repeat(100_000);
      const argv = [hold, m, big, "tail1", "tail2"];
      await Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "ignore" }).exited;
      const hits = withMarker(await t.waitFor((e) => withMarker([e], m).length > 0), m);
      const e = hits[0]!;
      const total = argv.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
      const got: string[] = arg(e, "argv");
      expect(got.slice(0, 2)).toEqual([hold, m]);
      expect(got.length).toBe(3);
      expect(big.startsWith(got[2]!)).toBe(true);
      expect(got.join("\0").length).toBe(65536); // exactly the limit, the cut item has no NUL
      expect(arg(e, "argv_dropped_bytes")).toBe(total - 65536);
      expect(arg(e, "argv_dropped_args")).toBe(3); // big (cut), tail1, tail2
      expect(arg(e, "truncated")).toContain("argv");
    } finally {
      expect(await t.stop()).toBe(0);
    }
  });

  test("execveat is named execveat, also without the failed-exec programs", async () => {
    const ef = fixture("execfail");
    for (const events of ["sched_process_exec", "sched_process_exec,process_execute_failed"]) {
      const t = await TracerRun.start(["--json", "-e", events]);
      try {
        const m = marker("execveat");
        const bin = join(S.dir, "true-copy");
        Bun.spawnSync(["cp", "/usr/bin/true", bin]);
        const p = Bun.spawn([ef, "emptypath", bin, m], { stdout: "pipe" });
        expect(await new Response(p.stdout).text()).toBe(""); // it did not fail
        expect(await p.exited).toBe(0);
        const viaFd = (e: Json) => withMarker([e], m).length > 0 && arg(e, "pathname") === bin;
        const [e] = (await t.waitFor(viaFd)).filter(viaFd);
        expect(e!.syscall).toBe("execveat");
        expect(e!.hostProcessId).toBe(p.pid);
        expect(arg(e!, "pathname")).toBe(bin);
      } finally {
        expect(await t.stop()).toBe(0);
      }
    }
  });

  test("--env captures the environment exactly (with --no-redact: TRACER_SECRET is a secret's name)", async () => {
    const t = await TracerRun.start(["--json", "--env", "--no-redact"]);
    try {
      const m = marker("env");
      const env = { TRACER_SECRET: "s3cr3t value", PATH: "/usr/bin:/bin", EMPTY: "" };
      await Bun.spawn([hold, m], { env, stdin: "ignore", stdout: "ignore", stderr: "ignore" }).exited;
      const hits = withMarker(await t.waitFor((e) => withMarker([e], m).length > 0), m);
      const got: string[] = arg(hits[0]!, "env");
      expect([...got].sort()).toEqual(
        Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .sort(),
      );
    } finally {
      expect(await t.stop()).toBe(0);
    }
  });
});
