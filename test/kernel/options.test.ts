// The real program's answers to the options people try (issue 13's list): short event names, user
// names for --uid, one-line messages naming the bad value, pids that do not exist, nothing
// written before the checks pass, one errno style, --stats wording, the -- COMMAND --json hint,
// the summary line, and the tracer leaving itself out of a whole-system trace.
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { marker, SUMMARY_LINE, TRACER, TracerRun, withMarker } from "./harness";

const dir = mkdtempSync(join(tmpdir(), "tracer-options-"));
chmodSync(dir, 0o777);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tracer(args: string[], o: { uid?: number; merged?: boolean; exe?: string } = {}) {
  const exe = o.exe ?? TRACER;
  const cmd = o.merged ? ["/bin/sh", "-c", `exec "$@" 2>&1`, "sh", exe, ...args] : [exe, ...args];
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    cwd: dir,
    uid: o.uid,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A usage error: exit 2, one line on stderr, nothing on stdout (no table header). */
function usage(args: string[]): string {
  const r = tracer(args);
  expect({ code: r.code, out: r.out, lines: r.err.split("\n").length }).toEqual({ code: 2, out: "", lines: 2 });
  return r.err.trimEnd();
}

/** A pid that no process has now (one that just exited, checked in /proc). */
function freePid(): number {
  const p = spawnSync("/bin/sh", ["-c", "echo $$"], { encoding: "utf8" });
  const pid = Number(p.stdout.trim());
  expect(existsSync(`/proc/${pid}`)).toBe(false);
  return pid;
}

const idOf = (name: string) => Number(spawnSync("id", ["-u", name], { encoding: "utf8" }).stdout.trim());

describe("options", () => {
  test("-e takes the short names the table shows", () => {
    const m = marker("short");
    const r = tracer(["--json", "-e", "exec,exit", "--", "/bin/true", m]);
    expect(r.code).toBe(0);
    const names = r.err
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l).eventName);
    expect(new Set(names)).toEqual(new Set(["sched_process_exec", "sched_process_exit"]));
  });

  test("--uid takes a user name (as id(1) resolves it) and !NAME", async () => {
    const t = await TracerRun.start(["--json", "-e", "exec", "--uid", "nobody", "--uid", "!root"]);
    const m = marker("uid");
    try {
      spawnSync("/bin/true", [m]); // root's: left out
      spawnSync("/bin/true", [m], { uid: idOf("nobody"), gid: idOf("nobody") });
      await t.waitFor((e) => withMarker([e], m).length > 0);
    } finally {
      expect(await t.stop()).toBe(0);
    }
    expect(withMarker(t.events(), m).map((e) => e.userId)).toEqual([idOf("nobody")]);
  });

  test("bad values: one line that names the value", () => {
    expect(usage(["--uid", "-5"])).toBe(
      "tracer: --uid -5: not a user id, and no user of that name (see tracer --help)",
    );
    expect(usage(["--uid", "nosuchuser"])).toContain("--uid nosuchuser:");
    expect(usage(["-e", "exec,execve"])).toContain("-e execve: unknown event");
    expect(usage(["--pid", "x1"])).toContain("'x1'");
  });

  test("--pid and --pid-tree of a pid that does not exist are errors, not a wait forever", () => {
    const pid = freePid();
    expect(usage(["--pid-tree", `${pid}`])).toBe(`tracer: --pid-tree ${pid}: no such process (see tracer --help)`);
    expect(usage(["--pid", `${pid}`])).toBe(`tracer: --pid ${pid}: no such process (see tracer --help)`);
  });

  test("--cgroup and --user mistakes: the message only, no table header first", () => {
    expect(usage(["--cgroup", "/nope-" + process.pid])).toMatch(
      /^tracer: --cgroup \/nope-\d+: .*: No such file or directory \(ENOENT\) \(see tracer --help\)$/,
    );
    expect(usage(["--user", "nosuchuser", "--", "true"])).toBe(
      "tracer: --user nosuchuser: no such user (see tracer --help)",
    );
  });

  test("not root: no output file is created, the error says what to do", () => {
    // nobody may not reach the checkout (a clone under /root or in a mktemp -d directory is mode
    // 0700): it runs a copy of the self-contained binary from the world-readable temporary dir.
    const copy = join(dir, "tracer-copy");
    copyFileSync(TRACER, copy);
    chmodSync(copy, 0o755);
    const r = tracer(["-o", "x.jsonl", "--tree", "t.txt"], { uid: idOf("nobody"), exe: copy });
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      "tracer: load BPF object: Operation not permitted (EPERM); run as root (or with CAP_BPF and CAP_PERFMON)\n",
    );
    expect(r.out).toBe("");
    expect(readdirSync(dir).filter((f) => f === "x.jsonl" || f === "t.txt")).toEqual([]);
  });

  test("one errno style: strerror text, then the name", () => {
    const r = tracer(["-o", dir, "--", "true"]);
    expect(r).toEqual({ code: 1, out: "", err: `tracer: open output ${dir}: Is a directory (EISDIR)\n` });
    const t = tracer(["-o", join(dir, "never.jsonl"), "--tree", "/nonexistent-dir/t", "--", "true"]);
    expect(t.err).toBe("tracer: --tree: open output /nonexistent-dir/t: No such file or directory (ENOENT)\n");
    expect(existsSync(join(dir, "never.jsonl"))).toBe(false); // --tree is checked before -o's file is made
  });
});

describe("what the run says at its end", () => {
  test("--stats lists the events traced; with COMMAND, 'filtered' is said as outside the command", () => {
    const r = tracer(["--stats", "-e", "exec,execfail", "--", "/bin/true"]);
    expect(r.code).toBe(0);
    const stats = r.err.split("\n").filter((l) => /^\w+ +\d+ emitted/.test(l));
    expect(stats.map((l) => l.split(/ +/)[0])).toEqual(["sched_process_exec", "process_execute_failed"]);
    for (const l of stats) expect(l).toMatch(/\d+ outside the traced command$/);
  });

  test("the summary line: with COMMAND always; without, only on a terminal", async () => {
    const r = tracer(["--", "/bin/sh", "-c", "/bin/true; exit 3"]);
    expect(r.code).toBe(3);
    const last = r.err.trimEnd().split("\n").at(-1)!;
    expect(last).toMatch(SUMMARY_LINE);
    expect(last).toStartWith("tracer: 2 processes, 2 execs, 0 failed execs, 1 non-zero exit, ");
    const t = await TracerRun.start(["-e", "exec"]);
    expect(await t.stop()).toBe(0);
    expect(t.stderr).not.toContain("processes,");
  });

  test("--json with COMMAND and stderr shared with stdout: one hint to use -o", () => {
    const merged = tracer(["--json", "--", "/bin/true"], { merged: true });
    expect(merged.out.split("\n").filter((l) => l.includes("use -o FILE"))).toEqual([
      "tracer: JSON events go to stderr, mixed with the command's output; use -o FILE to keep them apart",
    ]);
    const apart = tracer(["--json", "--", "/bin/true"]);
    expect(apart.err).not.toContain("use -o FILE");
  });
});

describe("a whole-system trace", () => {
  test("has no events of the tracer's own process or threads (and has others')", async () => {
    const t = await TracerRun.start(["--json"]);
    const m = marker("self");
    try {
      for (let i = 0; i < 5; i++) spawnSync("/bin/true", [m]);
      while ((await t.waitFor((e) => withMarker([e], m).length > 0)).length < 5) await Bun.sleep(20);
    } finally {
      expect(await t.stop()).toBe(0); // stopping starts the tracer's link-destroying threads
    }
    const evs = t.events();
    expect(withMarker(evs, m).length).toBe(5);
    expect(evs.filter((e) => e.hostProcessId === t.proc.pid)).toEqual([]);
  });
});
