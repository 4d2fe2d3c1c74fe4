// The real ./tracer as an operator runs it: privileges, missing BTF, signals, a closed stdout,
// output file mode and planted files, idle wake-ups, and an exec started by the kernel itself (usermode helper).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  arg,
  heldBpfIds,
  marker,
  parseLine,
  procEntries,
  readUntil,
  readyAndSummary,
  TRACER,
  TracerRun,
  withMarker,
} from "./harness";
import { DOCKER, down, IMAGE, randomId, sh, up } from "../containers/daemons";

const BPFTOOL = Bun.which("bpftool") ?? "/usr/sbin/bpftool";

let dir: string;
let copy: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tracer-prog-"));
  chmodSync(dir, 0o755);
  copy = join(dir, "tracer");
  copyFileSync(TRACER, copy);
  chmodSync(copy, 0o755);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("errors an operator meets", () => {
  test("not root: one line that says what is needed, exit 1", () => {
    const r = Bun.spawnSync(
      ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", copy, "--json"],
      {
        cwd: dir,
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    expect(r.exitCode).toBe(1);
    const err = r.stderr.toString();
    expect(err.trim().split("\n").length).toBe(1);
    expect(err).toMatch(/root|CAP_BPF/);
    expect(r.stdout.toString()).toBe("");
  });

  test("no kernel BTF: a clear error, exit 1", () => {
    // hide /sys/kernel/btf in a private mount namespace
    const r = Bun.spawnSync(
      ["unshare", "-m", "sh", "-c", `mount -t tmpfs none /sys/kernel/btf && exec "${copy}" --json`],
      {
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    expect(r.exitCode).toBe(1);
    const err = r.stderr.toString();
    expect(err).toMatch(/BTF/);
    expect(err.trim().split("\n").length).toBe(1);
  });
});

describe("an output file planted by another user is refused, untouched", () => {
  // A sticky world-writable directory, as /tmp; what "nobody" makes there, it makes itself.
  const asNobody = (...cmd: string[]) => {
    const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...cmd], {
      stderr: "pipe",
    });
    if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} as nobody: ${r.stderr}`);
  };
  let sticky: string;
  beforeAll(() => {
    sticky = join(dir, "sticky");
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
  });
  /** tracer --json --env -o PATH -- COMMAND that would leave a mark; its result. */
  const traceInto = (path: string) => {
    const ran = join(dir, `ran-${Math.random().toString(36).slice(2)}`);
    const r = Bun.spawnSync(
      ["timeout", "30", TRACER, "--json", "--env", "-o", path, "--", "/bin/sh", "-c", `touch "${ran}"`],
      { stdout: "pipe", stderr: "pipe" },
    );
    return { code: r.exitCode, err: r.stderr.toString(), ran: existsSync(ran) };
  };
  const refused = (r: ReturnType<typeof traceInto>, why: RegExp) => {
    expect(r.code).toBe(1);
    expect(r.err.trim().split("\n")).toEqual([expect.stringMatching(why)]);
    expect(r.ran).toBe(false); // refused before COMMAND ran
  };

  test("a file another user created: refused, not truncated, not chmod'ed", () => {
    const f = join(sticky, "planted.jsonl");
    asNobody("sh", "-c", `echo nobody-wrote-this > "${f}"; chmod 644 "${f}"`);
    const r = traceInto(f);
    refused(
      r,
      /^tracer: open output .*planted\.jsonl: exists and belongs to uid 65534, not to the tracer's user \(uid 0\)/,
    );
    expect(readFileSync(f, "utf8")).toBe("nobody-wrote-this\n");
    expect(statSync(f).mode & 0o777).toBe(0o644);
    expect(statSync(f).uid).toBe(65534);
  });

  test("a file with a second hard link: refused, untouched", () => {
    const f = join(dir, "linked.jsonl");
    writeFileSync(f, "kept\n");
    linkSync(f, join(dir, "linked-too.jsonl"));
    const r = traceInto(f);
    refused(r, /^tracer: open output .*linked\.jsonl: has 2 hard links/);
    expect(readFileSync(f, "utf8")).toBe("kept\n");
  });

  test("a FIFO another user created, directly or through a symlink: refused at once", () => {
    const fifo = join(sticky, "planted.fifo");
    const link = join(sticky, "planted-link.jsonl");
    asNobody("mkfifo", fifo);
    asNobody("ln", "-s", fifo, link);
    refused(traceInto(fifo), /^tracer: open output .*planted\.fifo: exists and belongs to uid 65534/);
    refused(
      traceInto(link),
      /^tracer: open output .*planted-link\.jsonl: a symlink owned by uid 65534 in a directory others can write/,
    );
  });
});

describe("nothing is taken from the working directory (the tracer runs as root)", () => {
  test("a bunfig.toml preload and a .env there are ignored", async () => {
    const cwd = join(dir, "hostile");
    mkdirSync(cwd);
    const ran = join(cwd, "preload-ran");
    writeFileSync(join(cwd, "bunfig.toml"), 'preload = ["./evil.ts"]\n');
    writeFileSync(join(cwd, "evil.ts"), `require("fs").writeFileSync(${JSON.stringify(ran)}, "x");\n`);
    writeFileSync(join(cwd, ".env"), "TRACER_TEST_FROM_DOTENV=1\n");
    // COMMAND inherits the tracer's environment: env(1) shows whether .env was loaded into it.
    const p = Bun.spawn([TRACER, "--json", "-o", join(dir, "hostile.jsonl"), "--", "/usr/bin/env"], {
      cwd,
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = await new Response(p.stdout).text();
    expect(await p.exited).toBe(0);
    expect(out).toContain("PATH="); // env(1) did run and print
    expect(out).not.toContain("TRACER_TEST_FROM_DOTENV");
    expect(existsSync(ran)).toBe(false);
  });
});

describe("nor from Bun's runtime variables in the environment (BUN_OPTIONS=--preload …)", () => {
  test("a preload given through BUN_OPTIONS or BUN_INSPECT_PRELOAD does not run; BUN_BE_BUN does not turn it into bun; COMMAND still gets them", async () => {
    const ran = join(dir, "env-preload-ran");
    const evil = join(dir, "env-evil.js");
    writeFileSync(evil, `require("fs").writeFileSync(${JSON.stringify(ran)}, "x");\n`);
    const env = { PATH: "/usr/bin:/bin", BUN_OPTIONS: `--preload ${evil}`, BUN_INSPECT_PRELOAD: evil, BUN_BE_BUN: "1" };
    const p = Bun.spawn([TRACER, "--json", "-o", join(dir, "env-preload.jsonl"), "--", "/usr/bin/env"], {
      env,
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = await new Response(p.stdout).text();
    expect(await p.exited).toBe(0);
    readyAndSummary(await new Response(p.stderr).text()); // it ran as the tracer
    expect(existsSync(ran)).toBe(false);
    // what env(1) printed: the environment exactly as the tracer got it
    expect(out.trim().split("\n").sort()).toEqual(
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .sort(),
    );
  });
});

describe("running", () => {
  test("SIGTERM stops it with status 0 after draining", async () => {
    const t = await TracerRun.start(["--json"]);
    const m = marker("term");
    await Bun.spawn(["/bin/true", m]).exited;
    await t.waitFor((e) => withMarker([e], m).length > 0);
    expect(await t.stop("SIGTERM")).toBe(0);
  });

  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    test(`${sig} right after an exec: status 0, and the exec is in the -o file (drained, flushed)`, async () => {
      const out = join(dir, `${sig}.jsonl`);
      const t = await TracerRun.start(["--json", "-o", out]);
      const m = marker(sig);
      await Bun.spawn(["/bin/true", m]).exited;
      expect(await t.stop(sig)).toBe(0); // no waiting: the record may still be in the ring
      const lines = readFileSync(out, "utf8").trim().split("\n").map(parseLine);
      expect(withMarker(lines, m).map((e) => arg(e, "argv"))).toEqual([["/bin/true", m]]);
    });
  }

  test("--stats counts each attached program's runs the kernel skipped: the programs the tracer holds, with bpftool's recursion_misses", async () => {
    // The command waits on the tracer's stdin, so the programs are read while attached.
    const p = Bun.spawn(
      [TRACER, "--json", "--stats", "-e", "sched_process_exit", "-o", "/dev/null", "--", "/bin/sh", "-c", "read line"],
      {
        stdin: "pipe",
        stdout: "ignore",
        stderr: "pipe",
      },
    );
    await readUntil(p.stderr, /ready\n/);
    const ids = heldBpfIds(p.pid, "prog_id");
    const shown = JSON.parse(Bun.spawnSync([BPFTOOL, "-j", "prog", "show"], { stdout: "pipe" }).stdout.toString()) as {
      id: number;
      name: string;
      recursion_misses?: number;
    }[];
    const held = shown.filter((q) => ids.has(q.id));
    p.stdin.write("\n");
    p.stdin.end();
    expect(await p.exited).toBe(0);
    let err = "";
    const rest = p.stderr.getReader();
    for (let r = await rest.read(); !r.done; r = await rest.read()) err += Buffer.from(r.value).toString();
    const stats = JSON.parse(err.split("\n").find((l) => l.startsWith("{"))!);
    // bpftool shows program names cut to 15 characters; it omits recursion_misses while it is 0.
    const counted = Object.entries(stats.summary.skippedRuns as Record<string, number>);
    expect(counted.map(([name]) => name.slice(0, 15)).sort()).toEqual(held.map((q) => q.name).sort());
    for (const [name, n] of counted)
      expect(n).toBeGreaterThanOrEqual(held.find((q) => q.name === name.slice(0, 15))!.recursion_misses ?? 0);
    expect(held.length).toBeGreaterThan(0);
  });

  test("a closed stdout (| head -1) ends it quietly with status 0", async () => {
    const p = Bun.spawn(["sh", "-c", `"${TRACER}" --json | head -1 > /dev/null`], { stdout: "ignore", stderr: "pipe" });
    // keep exec events coming until the pipeline ends
    const stopAt = Date.now() + 60000;
    let done = false;
    p.exited.then(() => (done = true));
    while (!done && Date.now() < stopAt) {
      await Bun.spawn(["/bin/true"]).exited;
      await Bun.sleep(20);
    }
    expect(done).toBe(true);
    expect(await p.exited).toBe(0);
    const err = await new Response(p.stderr).text();
    expect(err).toBe("ready\n");
  });

  // A 32 KiB tmpfs in a private mount namespace stands in for a full disk.
  const onFullDisk = (full: string, tracerArgs: string) =>
    Bun.spawn(
      [
        "unshare",
        "-m",
        "sh",
        "-c",
        `mount -t tmpfs -o size=32k tmpfs "${full}" && exec "${TRACER}" --json -o "${full}/events.jsonl" ${tracerArgs}`,
      ],
      {
        stdout: "ignore",
        stderr: "pipe",
      },
    );

  test("a full disk with -- COMMAND: the command runs to its end, then exit 1 saying why", async () => {
    const full = join(dir, "full-cmd");
    mkdirSync(full);
    const done = join(dir, "cmd-done");
    const script = `i=0; while [ $i -lt 400 ]; do /bin/true; i=$((i+1)); done; touch "${done}"; exit 3`;
    const p = onFullDisk(full, `-- sh -c '${script}'`);
    expect(await p.exited).toBe(1);
    // The command's own side effect: it was not abandoned when the output failed.
    expect(existsSync(done)).toBe(true);
    const err = await new Response(p.stderr).text();
    expect(err).toMatch(
      /^tracer: write .*events\.jsonl: No space left on device \(ENOSPC\); events from then on were not written; the command exited with status 3$/m,
    );
  });

  test("a full disk without COMMAND: exit 1 at once with one line", async () => {
    const full = join(dir, "full-sys");
    mkdirSync(full);
    const p = onFullDisk(full, "");
    let ended = false;
    p.exited.then(() => (ended = true));
    const stopAt = Date.now() + 60000;
    while (!ended && Date.now() < stopAt) {
      await Bun.spawn(["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done"]).exited;
    }
    expect(ended).toBe(true);
    expect(await p.exited).toBe(1);
    const err = await new Response(p.stderr).text();
    expect(err.split("\n").filter((l) => l.startsWith("tracer:"))).toEqual([
      expect.stringMatching(/^tracer: write .*events\.jsonl: No space left on device \(ENOSPC\)$/),
    ]);
  });

  test("-o FILE is created with mode 0600 and holds the events", async () => {
    const out = join(dir, "events.jsonl");
    writeFileSync(out, "old content that must go\n");
    chmodSync(out, 0o644);
    const t = await TracerRun.start(["--json", "-o", out]);
    const m = marker("file");
    await Bun.spawn(["/bin/true", m]).exited;
    await Bun.sleep(300);
    expect(await t.stop()).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const lines = readFileSync(out, "utf8").trim().split("\n").map(parseLine);
    expect(withMarker(lines, m).length).toBe(1);
    expect(t.stdout).toBe("");
  });

  describe("wake-ups: idle, it sleeps in the kernel (a few a second at most); busy, it wakes at its bound", () => {
    // Counted, not timed: a voluntary context switch is a thread going to sleep (each wake-up
    // ends in one); another job's CPU load adds involuntary ones only. A uid nobody has keeps
    // other processes' events (the host is shared) out, in the kernel.
    const QUIET = ["--json", "-e", "sched_process_exec", "--uid", "3999999"];

    /** Wake-ups of the tracer's main thread and of all its threads in 3 s, once start-up settled;
     * with `windows` > 1, the quietest of that many 3 s windows in a row (by the main thread's). */
    async function idleWakeups(t: TracerRun, windows = 1): Promise<{ main: number; all: number }> {
      const pid = t.proc.pid;
      const wakeups = () =>
        procEntries(pid, "task", (tid) =>
          Number(
            /^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8"))![1],
          ),
        );
      await Bun.sleep(1000); // start-up's JIT and GC work settle
      let best: { main: number; all: number } | null = null;
      for (let i = 0; i < windows; i++) {
        const before = wakeups();
        await Bun.sleep(3000);
        const after = wakeups();
        const delta = (tid: string) => after.get(tid)! - (before.get(tid) ?? 0);
        const w = { main: delta(String(pid)), all: [...after.keys()].reduce((n, tid) => n + delta(tid), 0) };
        if (best === null || w.main < best.main) best = w;
      }
      return best!;
    }

    /** The poll loop (main thread) sleeps in epoll_wait for 1 s at a time: ~3 in 3 s; on a loaded
     * host its garbage collector's hand-offs with its helper threads add a few (9 seen beside a
     * test suite and a CPU hog). A loop that polled every 100 ms would make 30, every 50 ms 60.
     * The runtime's own threads (GC helpers, JIT workers) wake up on their timers. */
    function expectIdle(w: { main: number; all: number }): void {
      console.log(`idle: ${w.main} wake-ups of the main thread, ${w.all} of all threads in 3 s`);
      expect(w.main).toBeLessThanOrEqual(20);
      expect(w.all).toBeLessThanOrEqual(100);
    }

    test("with no container runtime", async () => {
      const t = await TracerRun.start([
        ...QUIET,
        "--runtime-socket",
        "docker=",
        "--runtime-socket",
        "podman=",
        "--runtime-socket",
        "containerd=",
      ]);
      const w = await idleWakeups(t);
      expect(await t.stop()).toBe(0);
      expectIdle(w);
    });

    // A Docker daemon that merely answered once made the loop poll every 50 ms for good (61
    // wake-ups in 3 s): the loop polls fast only while a runtime is heard from. A runtime may
    // still speak for a moment after start (its event stream: containers of earlier tests going
    // away; 24 wake-ups seen in one window): the quietest of three windows, which a loop polling
    // fast for good fails in every one.
    test("beside container runtimes that answer (docker, containerd, podman); a container's exec after the quiet still carries its name", async () => {
      await up();
      try {
        const t = await TracerRun.start(QUIET);
        const w = await idleWakeups(t, 3);
        const name = `tracer-idle-${randomId().slice(0, 8)}`;
        const m = marker("idle");
        sh([
          DOCKER,
          "run",
          "--rm",
          "--network",
          "none",
          "--user",
          "3999999:3999999",
          "--name",
          name,
          IMAGE.docker,
          "/bin/sh",
          "-c",
          `true ${m}`,
        ]);
        const [exec] = await t.waitFor(
          (e) => e.eventName === "sched_process_exec" && JSON.stringify(arg(e, "argv")).includes(m),
        );
        expect(await t.stop()).toBe(0);
        expect(exec!.container?.name).toBe(name); // the runtime answered the tracer
        expect(exec!.container?.image).toBe(IMAGE.docker);
        expectIdle(w);
      } finally {
        await down();
      }
    }, 600_000); // installs and starts the runtimes when missing

    // Counted, not timed, as above. A build's pace (an exec every ~25 ms) keeps the loop busy: it
    // reads the ring at the wake-up bound, 200 ms when rows go to a file or pipe (each wake-up
    // costs ~0.26 ms of CPU at that pace): ~15 poll wake-ups in 3 s, with the kernel's own forced
    // wake-ups at most as many again, where the 50 ms bound of a terminal made 60 or more.
    test("busy at a build's pace, rows to a pipe: the main thread wakes at the 200 ms bound, not every 50 ms", async () => {
      const gate = join(dir, `paced-gate-${marker("g")}`);
      const t = await TracerRun.start(["--json", "-e", "sched_process_exec", "--uid", "3999998"]);
      const loop = Bun.spawn([
        "setpriv",
        "--reuid=3999998",
        "--regid=3999998",
        "--clear-groups",
        "sh",
        "-c",
        `while [ ! -e ${gate} ]; do /bin/true; sleep 0.02; done`,
      ]);
      try {
        const pid = t.proc.pid;
        await t.waitFor((e) => e.eventName === "sched_process_exec" && e.processName === "true"); // the loop runs
        const w = await idleWakeups(t);
        const execs = () => t.events().filter((e) => e.eventName === "sched_process_exec").length;
        const seen = execs();
        console.log(`paced: ${w.main} wake-ups of the main thread (pid ${pid}) in 3 s, ${seen} execs so far`);
        expect(seen).toBeGreaterThan(40); // the loop did run at a build's pace meanwhile
        expect(w.main).toBeLessThanOrEqual(50);
      } finally {
        writeFileSync(gate, "");
        await loop.exited;
        expect(await t.stop()).toBe(0);
      }
    });
  });

  test("an exec started by the kernel (core_pattern pipe helper) has invoked_from_kernel true", async () => {
    const m = marker("umh");
    const handler = join(dir, "core-handler.sh");
    const report = join(dir, "umh-report");
    writeFileSync(
      handler,
      `#!/bin/sh\necho "pid=$$ ppid=$PPID" > "${report}"\ncat /proc/$PPID/stat >> "${report}"\ncat > /dev/null\n`,
    );
    chmodSync(handler, 0o755);
    const saved = readFileSync("/proc/sys/kernel/core_pattern", "utf8");
    const t = await TracerRun.start(["--json", "-e", "sched_process_exec"]);
    try {
      writeFileSync("/proc/sys/kernel/core_pattern", `|${handler} ${m} %p`);
      const crash = Bun.spawn(["/bin/sh", "-c", "ulimit -c unlimited; kill -SEGV $$"], { cwd: dir });
      await crash.exited;
      const [e] = withMarker(await t.waitFor((e) => withMarker([e], m).length > 0), m);
      // the handler's two writes (its pids, then its parent's stat line) are both there
      const lines = () => (existsSync(report) ? readFileSync(report, "utf8").split("\n").length : 0);
      while (lines() < 3) await Bun.sleep(20);
      const rep = readFileSync(report, "utf8");
      const pid = Number(/pid=(\d+)/.exec(rep)![1]);
      const parentStat = rep.split("\n")[1]!;
      const parentFlags = Number(parentStat.split(") ")[1]!.split(" ")[6]);
      expect(parentFlags & 0x00200000).toBeTruthy(); // PF_KTHREAD: the parent is a kernel thread
      // not in the walk at start (kernel threads are read when first met), named all the same
      expect(e!.parentProcessId).toBe(Number(/ppid=(\d+)/.exec(rep)![1]));
      expect(arg(e!, "parent_comm")).toBe(parentStat.slice(parentStat.indexOf("(") + 1, parentStat.lastIndexOf(")")));
      expect(arg(e!, "parent_path")).toBe("");
      expect(e!.hostProcessId).toBe(pid);
      expect(arg(e!, "invoked_from_kernel")).toBe(true);
      expect(arg(e!, "cmdpath")).toBe(handler);
      expect(arg(e!, "argv")).toEqual(["/bin/sh", handler, m, String(crash.pid)]); // a #! script
    } finally {
      writeFileSync("/proc/sys/kernel/core_pattern", saved);
      expect(await t.stop()).toBe(0);
    }
    expect(readFileSync("/proc/sys/kernel/core_pattern", "utf8")).toBe(saved);
  });
});
