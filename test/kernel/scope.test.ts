// Scope filters in the kernel, tracer -- COMMAND, and honest loss accounting, against the real
// kernel. Ground truth: the pids and ids the workloads report or the test gave them, the exit
// status the test observes, and the kernel's own sequence numbers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  rmdirSync,
  writeFileSync,
  chmodSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arg, fixture, heldBpfIds, marker, parseLine, TRACER, TracerRun, withMarker, type Json } from "./harness";

let dir: string;
let lc: string;
let storm: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tracer-scope-"));
  chmodSync(dir, 0o755);
  lc = fixture("lifecycle");
  storm = fixture("storm");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const nsInode = (pid: number | "self", ns: string) =>
  Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${ns}`))![1]);

/** Start a tracer with args, run the workload, stop, return the events. */
async function traced(args: string[], workload: () => Promise<unknown>, settleMs = 300): Promise<Json[]> {
  const t = await TracerRun.start(["--json", ...args]);
  try {
    await workload();
    await Bun.sleep(settleMs);
  } finally {
    expect(await t.stop()).toBe(0);
  }
  return t.events();
}

/** Pids in one tracer's "traced" map (bpftool's view, not the tracer's): the map the tracer
 * running as `tracerPid` holds, found through its descriptors (other tracers on the host, of
 * other users of the machine, have maps of that name too). */
function tracedPids(tracerPid: number): number[] {
  const ids = [...heldBpfIds(tracerPid, "map_id")].map(String);
  const id = ids.find(
    (id) => JSON.parse(Bun.spawnSync(["bpftool", "map", "show", "id", id, "-j"]).stdout.toString()).name === "traced",
  );
  if (!id) throw new Error(`tracer ${tracerPid} holds no map named traced`);
  const maps = JSON.parse(Bun.spawnSync(["bpftool", "map", "dump", "id", id, "-j"]).stdout.toString() || "[]");
  const list =
    Array.isArray(maps) && maps.length && "elements" in maps[0] ? maps.flatMap((m: any) => m.elements) : maps;
  return list.map((el: any) => Buffer.from(el.key.map((b: string) => parseInt(b, 16))).readUInt32LE(0));
}

const sh = (cmd: string, opts: { cwd?: string } = {}) =>
  Bun.spawn(["/bin/sh", "-c", cmd], { stdout: "pipe", stderr: "ignore", cwd: opts.cwd }).exited;
const execs = (evs: Json[], m: string) => withMarker(evs, m).filter((e) => arg(e, "pathname") === "/usr/bin/true");

describe("scope filters (in the kernel)", () => {
  test("--uid keeps that user's processes, !uid leaves them out", async () => {
    const mA = marker("uidA"),
      mB = marker("uidB");
    const work = async () => {
      await sh(`setpriv --reuid=65534 --regid=65534 --clear-groups /bin/true ${mA}`);
      await sh(`/bin/true ${mB}`);
    };
    let evs = await traced(["--uid", "65534"], work);
    expect(execs(evs, mA).length).toBe(1);
    expect(execs(evs, mA)[0]!.userId).toBe(65534);
    expect(execs(evs, mB).length).toBe(0);
    expect(evs.every((e) => e.userId === 65534)).toBe(true);
    evs = await traced(["--uid", "!65534"], work);
    expect(execs(evs, mA).length).toBe(0);
    expect(execs(evs, mB).length).toBe(1);
  });

  test("--comm keeps processes by name (the name after exec), AND with --uid", async () => {
    const name = "tcomm" + Math.random().toString(36).slice(2, 8);
    const bin = join(dir, name);
    copyFileSync("/usr/bin/true", bin);
    chmodSync(bin, 0o755);
    const mA = marker("commA"),
      mB = marker("commB");
    const evs = await traced(["--comm", name, "-e", "sched_process_exec"], async () => {
      await sh(`${bin} ${mA}; /bin/true ${mB}`);
    });
    expect(withMarker(evs, mA).length).toBe(1);
    expect(withMarker(evs, mA)[0]!.processName).toBe(name);
    expect(withMarker(evs, mB).length).toBe(0);
    const none = await traced(["--comm", name, "--uid", "65534", "-e", "sched_process_exec"], async () => {
      await sh(`${bin} ${mA}`);
    });
    expect(withMarker(none, mA).length).toBe(0); // comm matches, uid does not: AND across kinds
  });

  test("--pid keeps one process (started before the tracer), !pid leaves it out", async () => {
    const p = Bun.spawn(["/bin/sh", "-c", "read x; /bin/true $1; read y", "sh", marker("pidchild")], {
      stdin: "pipe",
      stdout: "ignore",
    });
    const mOther = marker("pidother");
    const evs = await traced(["--pid", String(p.pid)], async () => {
      p.stdin.write("go\n");
      await Bun.sleep(200);
      await sh(`/bin/true ${mOther}`);
      p.stdin.write("go\n");
      p.stdin.end();
      await p.exited;
    });
    expect(evs.length).toBeGreaterThan(0);
    expect(evs.every((e) => e.hostProcessId === p.pid)).toBe(true);
    expect(evs.some((e) => e.eventName === "sched_process_fork")).toBe(true); // sh forked /bin/true
    expect(evs.some((e) => e.eventName === "sched_process_exit")).toBe(true);
    expect(withMarker(evs, mOther).length).toBe(0);

    const q = Bun.spawn(["/bin/sh", "-c", "read x; exit 0"], { stdin: "pipe", stdout: "ignore" });
    const mOther2 = marker("pidother2");
    const evs2 = await traced(["--pid", `!${q.pid}`], async () => {
      await sh(`/bin/true ${mOther2}`);
      q.stdin.write("go\n");
      q.stdin.end();
      await q.exited;
    });
    expect(evs2.some((e) => e.hostProcessId === q.pid)).toBe(false);
    expect(execs(evs2, mOther2).length).toBe(1);
  });

  test("--pid-tree follows grandchildren started after the tracer, and forgets exited ones", async () => {
    const mGrand = marker("grand"),
      mOther = marker("treeother");
    const p = Bun.spawn(["/bin/sh", "-c", `read x; sh -c '/bin/true ${mGrand}; exit 0'`], {
      stdin: "pipe",
      stdout: "ignore",
    });
    const t = await TracerRun.start(["--json", "--pid-tree", String(p.pid)]);
    try {
      expect(tracedPids(t.proc.pid)).toContain(p.pid); // seeded in the kernel's follow set
      p.stdin.write("go\n");
      p.stdin.end();
      await p.exited;
      await sh(`/bin/true ${mOther}`);
      await Bun.sleep(300);
      const evs = t.events();
      const grand = execs(evs, mGrand);
      expect(grand.length).toBe(1);
      expect(execs(evs, mOther).length).toBe(0);
      // the middle sh (child of p) forked the grandchild
      const forks = evs.filter((e) => e.eventName === "sched_process_fork");
      expect(forks.some((f) => f.hostProcessId === p.pid)).toBe(true);
      expect(forks.some((f) => arg(f, "child_pid") === grand[0]!.hostProcessId)).toBe(true);
      // every traced process has exited: the kernel's follow set is empty again
      expect(tracedPids(t.proc.pid)).toEqual([]);
    } finally {
      expect(await t.stop()).toBe(0);
    }
  });

  test("--cgroup keeps processes in that cgroup and below it", async () => {
    const root = readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .find((l) => / - cgroup2 /.test(l))!
      .split(" ")[4]!;
    const cg = join(root, "tracer-test-" + process.pid);
    const sub = join(cg, "sub");
    mkdirSync(sub, { recursive: true });
    try {
      const mIn = marker("cgin"),
        mSub = marker("cgsub"),
        mOut = marker("cgout");
      const evs = await traced(["--cgroup", cg, "-e", "sched_process_exec"], async () => {
        await sh(`echo $$ > ${cg}/cgroup.procs; /bin/true ${mIn}`);
        await sh(`echo $$ > ${sub}/cgroup.procs; /bin/true ${mSub}`);
        await sh(`/bin/true ${mOut}`);
      });
      expect(execs(evs, mIn).length).toBe(1);
      expect(execs(evs, mSub).length).toBe(1);
      expect(execs(evs, mOut).length).toBe(0);
    } finally {
      await Bun.sleep(100);
      rmdirSync(sub);
      rmdirSync(cg);
    }
  });

  test("--mntns / --container / --host split by mount namespace", async () => {
    const host = nsInode("self", "mnt");
    const mNew = marker("mntnew"),
      mHost = marker("mnthost");
    const work = async () => {
      await sh(`unshare -m /bin/true ${mNew}`);
      await sh(`/bin/true ${mHost}`);
    };
    for (const args of [["--mntns", `!${host}`], ["--container"]]) {
      const evs = await traced([...args, "-e", "sched_process_exec"], work);
      expect(execs(evs, mNew).length).toBe(1);
      expect(execs(evs, mNew)[0]!.mountNamespace).not.toBe(host);
      expect(execs(evs, mHost).length).toBe(0);
    }
    for (const args of [["--mntns", String(host)], ["--host"]]) {
      const evs = await traced([...args, "-e", "sched_process_exec"], work);
      expect(execs(evs, mNew).length).toBe(0);
      expect(execs(evs, mHost).length).toBe(1);
    }
  });

  test("--pidns", async () => {
    const host = nsInode("self", "pid");
    const mNew = marker("pidnsnew"),
      mHost = marker("pidnshost");
    const evs = await traced(["--pidns", `!${host}`, "-e", "sched_process_exec"], async () => {
      await sh(`unshare --pid --fork /bin/true ${mNew}`);
      await sh(`/bin/true ${mHost}`);
    });
    expect(execs(evs, mNew).length).toBe(1);
    expect(execs(evs, mNew)[0]!.processId).toBe(1);
    expect(execs(evs, mHost).length).toBe(0);
  });

  test("--no-threads leaves thread creation and thread exits out", async () => {
    let pid = 0,
      tid = 0;
    const evs = await traced(["--no-threads", "-e", "sched_process_fork,sched_process_exit"], async () => {
      const p = Bun.spawn([lc, "thread", marker("nothr")], { stdout: "pipe" });
      const out = await new Response(p.stdout).text();
      await p.exited;
      pid = Number(/pid=(\d+)/.exec(out)![1]);
      tid = Number(/tid=(\d+)/.exec(out)![1]);
    });
    expect(evs.some((e) => e.eventName === "sched_process_fork" && arg(e, "child_tid") === tid)).toBe(false);
    expect(evs.some((e) => e.eventName === "sched_process_exit" && e.hostThreadId === tid)).toBe(false);
    expect(evs.some((e) => e.eventName === "sched_process_exit" && e.hostProcessId === pid)).toBe(true);
  });
});

describe("--exec (in user space)", () => {
  // Two copies of true under paths the test owns, and a path that does not exist.
  const programs = () => {
    const bin = join(dir, "exec-bin"),
      other = join(dir, "exec-other");
    mkdirSync(bin, { recursive: true });
    mkdirSync(other, { recursive: true });
    copyFileSync("/usr/bin/true", join(bin, "mytrue"));
    copyFileSync("/usr/bin/true", join(other, "mytrue"));
    chmodSync(join(bin, "mytrue"), 0o755);
    chmodSync(join(other, "mytrue"), 0o755);
    return { bin, other };
  };
  const pathOf = (e: Json): string =>
    e.eventName === "process_execute_failed" ? arg(e, "binary").path || arg(e, "path") : e.executable.path;

  test("keeps events whose program matches, including failed execs and the program's exit", async () => {
    const { bin, other } = programs();
    const m = marker("exec");
    const work = () => sh(`${bin}/mytrue ${m}; ${other}/mytrue ${m}; ${bin}/missing ${m} 2>/dev/null; exit 0`);
    const t = await TracerRun.start(["--json", "--stats", "--exec", `${bin}/*`]);
    try {
      await work();
      await Bun.sleep(300);
    } finally {
      expect(await t.stop()).toBe(0);
    }
    const evs = t.events();
    expect(evs.length).toBeGreaterThan(0);
    // Every event is about a program under bin/: nothing of sh, of other/, or of the system.
    expect(evs.filter((e) => !pathOf(e).startsWith(`${bin}/`))).toEqual([]);
    const ok = withMarker(evs, m);
    expect(ok.map((e) => arg(e, "pathname"))).toEqual([`${bin}/mytrue`]);
    const failed = evs.filter((e) => e.eventName === "process_execute_failed" && arg(e, "arguments")?.includes(m));
    expect(failed.map((e) => [arg(e, "path"), e.returnValue])).toEqual([[`${bin}/missing`, -2]]);
    // The exit of the process that ran bin/mytrue, by its pid.
    const exits = evs.filter((e) => e.eventName === "sched_process_exit" && e.hostProcessId === ok[0]!.hostProcessId);
    expect(exits.length).toBe(1);
    // --stats says how many decoded events were left out.
    const summary = JSON.parse(t.stderr.split("\n").find((l) => l.startsWith('{"summary"'))!).summary;
    expect(summary.excludedInUserSpace).toBeGreaterThan(0);
  });

  test("!GLOB leaves matching programs out", async () => {
    const { bin, other } = programs();
    const m = marker("noexec");
    const evs = await traced(["--exec", `!${bin}/*`], () => sh(`${bin}/mytrue ${m}; ${other}/mytrue ${m}`));
    expect(evs.filter((e) => pathOf(e).startsWith(`${bin}/`))).toEqual([]);
    // The shell (its argv holds the marker too) is not under bin/ either, so it stays.
    const ours = withMarker(evs, m)
      .map((e) => arg(e, "pathname"))
      .filter((p: string) => p.startsWith(dir));
    expect(ours).toEqual([`${other}/mytrue`]);
  });
});

describe("tracer -- COMMAND", () => {
  test("sees the whole script tree, nothing of others, and exits with its status", async () => {
    const out = join(dir, "cmd.jsonl");
    const pids = join(dir, "pids");
    const mScript = marker("script"),
      mOther = marker("other");
    const script = `echo shell=$$ > ${pids}; /bin/true ${mScript}-a; (/bin/true ${mScript}-sub); /bin/true ${mScript}-bg & echo bg=$! >> ${pids}; wait; exit 3`;
    // another process execs in a loop the whole time
    const other = Bun.spawn(["/bin/sh", "-c", `while :; do /bin/true ${mOther}; done`], { stdout: "ignore" });
    const p = Bun.spawn([TRACER, "--json", "-o", out, "--", "/bin/sh", "-c", script], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const code = await p.exited;
    other.kill();
    await other.exited;
    expect(code).toBe(3);
    const evs = readFileSync(out, "utf8").trim().split("\n").map(parseLine);
    const ids = Object.fromEntries(
      readFileSync(pids, "utf8")
        .trim()
        .split("\n")
        .map((l) => l.split("="))
        .map(([k, v]) => [k, Number(v)]),
    );
    expect(withMarker(evs, mOther).length).toBe(0);
    // the shell itself: its exec is the first event, its exit status 3
    const first = evs[0]!;
    expect(first.eventName).toBe("sched_process_exec");
    expect(first.hostProcessId).toBe(ids.shell);
    expect(arg(first, "argv")).toEqual(["/bin/sh", "-c", script]);
    const shellExit = evs.find((e) => e.eventName === "sched_process_exit" && e.hostProcessId === ids.shell)!;
    expect(arg(shellExit, "exit_code")).toBe(3);
    for (const s of ["a", "sub", "bg"])
      expect(withMarker(evs, `${mScript}-${s}`).filter((e) => arg(e, "pathname") === "/usr/bin/true").length).toBe(1);
    const bg = withMarker(evs, `${mScript}-bg`).find((e) => arg(e, "pathname") === "/usr/bin/true")!;
    expect(bg.hostProcessId).toBe(ids.bg);
    // every event belongs to the command's tree
    const tree = new Set<number>([ids.shell]);
    for (const e of evs)
      if (e.eventName === "sched_process_fork" && tree.has(e.hostProcessId)) tree.add(arg(e, "child_pid"));
    expect(evs.every((e) => tree.has(e.hostProcessId))).toBe(true);
    // the command's stdout is the tracer's stdout: untouched by events
    expect(await new Response(p.stdout).text()).toBe("");
  });

  test("a command given by name is resolved through PATH: no failed execs of a search, argv as given", async () => {
    const out = join(dir, "name.jsonl");
    const p = Bun.spawn([TRACER, "--json", "-o", out, "--", "true", marker("byname")], {
      stdout: "ignore",
      stderr: "ignore",
    });
    expect(await p.exited).toBe(0);
    const evs = readFileSync(out, "utf8").trim().split("\n").map(parseLine);
    expect(evs.filter((e) => e.eventName === "process_execute_failed")).toEqual([]);
    const found = Bun.spawnSync([
      "sh",
      "-c",
      'IFS=:; for d in $PATH; do [ -x "$d/true" ] && { echo "$d/true"; break; }; done',
    ])
      .stdout.toString()
      .trim();
    expect(evs[0]!.eventName).toBe("sched_process_exec");
    expect(arg(evs[0]!, "pathname")).toBe(found);
    expect(arg(evs[0]!, "argv")[0]).toBe("true"); // as a shell runs it: the name as typed
  });

  test("children are followed even when fork and exit events are not selected", async () => {
    const out = join(dir, "e.jsonl");
    const m = marker("eonly");
    const p = Bun.spawn(
      [TRACER, "--json", "-o", out, "-e", "sched_process_exec", "--", "/bin/sh", "-c", `/bin/true ${m}; exit 0`],
      { stdout: "ignore", stderr: "ignore" },
    );
    expect(await p.exited).toBe(0);
    const evs = readFileSync(out, "utf8").trim().split("\n").map(parseLine);
    expect(evs.every((e) => e.eventName === "sched_process_exec")).toBe(true);
    expect(execs(evs, m).length).toBe(1); // the grandchild of the tracer, found through the kernel's fork program
  });

  test("a command killed by SIGKILL gives 137; SIGTERM is forwarded", async () => {
    const out = join(dir, "kill.jsonl");
    const killed = Bun.spawn([TRACER, "--json", "-o", out, "--", "/bin/sh", "-c", "kill -9 $$"], {
      stdout: "ignore",
      stderr: "ignore",
    });
    expect(await killed.exited).toBe(137);
    const p = Bun.spawn([TRACER, "--json", "-o", out, "--", lc, "sleep", marker("term")], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = p.stdout.getReader();
    await reader.read(); // the command printed its pid: it runs
    p.kill("SIGTERM");
    expect(await p.exited).toBe(128 + 15);
    const evs = readFileSync(out, "utf8").trim().split("\n").map(parseLine);
    const x = evs.find((e) => e.eventName === "sched_process_exit" && arg(e, "signal_code") === 15);
    expect(x).toBeDefined();
  });

  test("Ctrl-C on a terminal reaches COMMAND once (not again through the tracer); SIGINT from elsewhere is forwarded", async () => {
    const counter = fixture("sigcount");
    const out = join(dir, "ctrlc.jsonl");
    // A pty from script(1): the tracer and COMMAND are its foreground process group, and the
    // ^C written to script's stdin becomes a SIGINT from the pty's line discipline. script runs
    // $SHELL -c (or /bin/sh where SHELL is unset, as in CI): exec, so that no shell waits in that
    // group to die of the same SIGINT (dash does) and hide the tracer's exit status.
    const p = Bun.spawn(["script", "-qfec", `exec "${TRACER}" --json -o "${out}" -- "${counter}" 3`, "/dev/null"], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "ignore",
    });
    const reader = p.stdout.getReader();
    let text = "";
    const dec = new TextDecoder();
    while (!text.includes("armed")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value);
    }
    p.stdin.write("\x03");
    p.stdin.flush();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value);
    }
    expect(await p.exited).toBe(0);
    expect(text).toMatch(/sigint 1\r?\n/); // what the command itself counted
    // Without a terminal, a SIGINT sent to the tracer alone is forwarded: the command counts one.
    const q = Bun.spawn([TRACER, "--json", "-o", out, "--", counter, "2"], { stdout: "pipe", stderr: "ignore" });
    const r2 = q.stdout.getReader();
    await r2.read(); // "armed"
    q.kill("SIGINT");
    let rest = "";
    for (;;) {
      const { value, done } = await r2.read();
      if (done) break;
      rest += dec.decode(value);
    }
    expect(await q.exited).toBe(0);
    expect(rest).toContain("sigint 1");
  });

  test("in a terminal's foreground, a SIGINT sent from elsewhere is not forwarded (it looks like Ctrl-C); SIGTERM is", async () => {
    // Decided and documented (docs/usage.md, -- COMMAND): the tracer cannot tell a kill -INT from the
    // terminal's Ctrl-C, which reached COMMAND already; SIGTERM is always forwarded.
    const counter = fixture("sigcount");
    const inPty = async (sig: "SIGINT" | "SIGTERM") => {
      const out = join(dir, `fg-${sig}.jsonl`);
      const p = Bun.spawn(["script", "-qfec", `exec "${TRACER}" --json -o "${out}" -- "${counter}" 2`, "/dev/null"], {
        stdin: "pipe",
        stdout: "pipe",
        stderr: "ignore",
      });
      const reader = p.stdout.getReader();
      const dec = new TextDecoder();
      let text = "";
      while (!text.includes("armed")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += dec.decode(value);
      }
      // script's child is the tracer (script -c exec'd it)
      const tracer = Number(readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, "utf8").trim().split(" ")[0]);
      expect(readFileSync(`/proc/${tracer}/comm`, "utf8").trim()).toBe("tracer");
      process.kill(tracer, sig);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += dec.decode(value);
      }
      return { code: await p.exited, text };
    };
    const int = await inPty("SIGINT");
    expect(int.code).toBe(0); // the command ran to its end
    expect(int.text).toMatch(/sigint 0\r?\n/);
    const term = await inPty("SIGTERM");
    expect(term.code).toBe(128 + 15);
    expect(term.text).not.toContain("sigint");
  });

  test("a --tree file that cannot be written fails before COMMAND runs", async () => {
    const ran = join(dir, "tree-cmd-ran");
    const p = Bun.spawn(
      [
        TRACER,
        "--json",
        "-o",
        join(dir, "x.jsonl"),
        "--tree",
        join(dir, "no", "such", "dir", "tree.txt"),
        "--",
        "/bin/sh",
        "-c",
        `touch "${ran}"`,
      ],
      {
        stdout: "ignore",
        stderr: "pipe",
      },
    );
    expect(await p.exited).toBe(1);
    expect(await new Response(p.stderr).text()).toMatch(
      /^tracer: --tree: open output .*tree\.txt: No such file or directory \(ENOENT\)$/m,
    );
    expect(existsSync(ran)).toBe(false);
  });

  test("--tree writes the process tree with command lines and exit status", async () => {
    const out = join(dir, "tree.jsonl");
    const treeFile = join(dir, "tree.txt");
    const pids = join(dir, "tree-pids");
    const script = `echo shell=$$ > ${pids}; sh -c 'echo mid=$$ >> ${pids}; /bin/true leaf; exit 4'; exit 0`;
    const p = Bun.spawn([TRACER, "--json", "-o", out, "--tree", treeFile, "--", "/bin/sh", "-c", script], {
      stdout: "ignore",
      stderr: "ignore",
    });
    expect(await p.exited).toBe(0);
    const ids = Object.fromEntries(
      readFileSync(pids, "utf8")
        .trim()
        .split("\n")
        .map((l) => l.split("="))
        .map(([k, v]) => [k, Number(v)]),
    );
    const lines = readFileSync(treeFile, "utf8").trimEnd().split("\n");
    expect(lines[0]).toStartWith(`${ids.shell} /bin/sh -c `);
    expect(lines[0]).toEndWith("[exit 0]");
    expect(lines[1]).toStartWith(`└─ ${ids.mid} sh -c `);
    expect(lines[1]).toEndWith("[exit 4]");
    expect(lines[2]).toMatch(/^ {3}└─ \d+ \/bin\/true leaf \[exit 0\]$/);
    expect(lines.length).toBe(3);
  });

  test("--user runs the command as that user", async () => {
    const out = join(dir, "user.jsonl");
    const p = Bun.spawn([TRACER, "--json", "-o", out, "--user", "nobody", "--", "/usr/bin/id", "-u"], {
      stdout: "pipe",
      stderr: "ignore",
    });
    expect((await new Response(p.stdout).text()).trim()).toBe("65534");
    expect(await p.exited).toBe(0);
    const evs = readFileSync(out, "utf8").trim().split("\n").map(parseLine);
    expect(evs.find((e) => e.eventName === "sched_process_exec")!.userId).toBe(65534);
  });
});

describe("honest accounting", () => {
  test("a tiny ring under an exec storm: lost_events counts equal the missing sequence numbers", async () => {
    const t = await TracerRun.start([
      "--json",
      "--buffer-size",
      "64K",
      "--max-args-size",
      "4K",
      "--stats",
      "-e",
      "sched_process_exec,sched_process_fork,sched_process_exit",
    ]);
    const m = marker("storm");
    try {
      t.proc.kill("SIGSTOP"); // the consumer stops; the kernel keeps producing
      const r = Bun.spawn([storm, "2000", "/bin/true", m], { stdout: "pipe" });
      expect(await new Response(r.stdout).text()).toBe("spawned=2000\n");
      t.proc.kill("SIGCONT");
      await Bun.sleep(500);
      const end = marker("end");
      await Bun.spawn(["/bin/true", end]).exited;
      await t.waitFor((e) => withMarker([e], end).length > 0);
    } finally {
      expect(await t.stop()).toBe(0);
    }
    const evs = t.events();
    const lost = evs.filter((e) => e.eventName === "lost_events");
    expect(lost.length).toBeGreaterThan(0);
    const lostCount = lost.reduce((n, e) => n + arg(e, "lost"), 0);
    const real = evs.filter((e) => e.eventName !== "lost_events");
    const seqs = real.map((e) => e.seq as number);
    expect(new Set(seqs).size).toBe(seqs.length); // no duplicates
    const maxSeq = Math.max(...seqs);
    // every sequence number up to the last record is either delivered or counted as lost
    expect(seqs.length + lostCount).toBe(maxSeq + 1);
    // what the workload did that was delivered matches its own count minus the losses
    const stormExecs = withMarker(real, m).length;
    expect(stormExecs).toBeLessThan(2000);
    expect(t.stderr).toMatch(/events lost/);
  });
});
