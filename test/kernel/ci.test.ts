// --attest, --subject, --profile/--baseline/--fail-on-new, the GitHub step summary: a real make of
// test/fixtures/ci-build (two C files, a `#!` script, a failing PATH lookup) under the tracer,
// checked against the same build under strace -ff, sha256sum, stat and the directory itself.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  appendFileSync,
  closeSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { lexer, type Token, type Tokens } from "marked";
import { fixture, ROOT, TRACER } from "./harness";

const BUILD = join(ROOT, "test", "fixtures", "ci-build");
const MISSING = "tracer-ci-missing-tool";
// each build runs in a directory of its own: its script's path changes, so the profile keeps it as a glob
const SCRIPT_GLOB = "**/gen.sh";
// a PATH with a directory that does not exist: every lookup fails there first
const ENV = { PATH: "/nonexistent-tracer-ci:/usr/local/bin:/usr/bin:/bin", HOME: "/root", LANG: "C" };
const GITHUB = {
  GITHUB_SERVER_URL: "https://github.example",
  GITHUB_REPOSITORY: "acme/widget",
  GITHUB_RUN_ID: "4242",
  GITHUB_RUN_ATTEMPT: "3",
};

let top: string;
beforeAll(() => (top = mkdtempSync(join(tmpdir(), "tracer-ci-"))));
afterAll(() => rmSync(top, { recursive: true, force: true }));

const sha256sum = (path: string) => Bun.spawnSync(["sha256sum", path]).stdout.toString().split(" ")[0]!;

/** A fresh copy of the build, optionally with one more line in out/app's recipe. */
function buildDir(name: string, extraRecipeLine?: string): string {
  const dir = join(top, name);
  cpSync(BUILD, dir, { recursive: true });
  if (extraRecipeLine) {
    const mk = readFileSync(join(dir, "Makefile"), "utf8").replace("\tout/app\n", `\tout/app\n\t${extraRecipeLine}\n`);
    writeFileSync(join(dir, "Makefile"), mk);
  }
  return dir;
}

function tracer(dir: string, args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync([TRACER, ...args, "--", "make"], {
    cwd: dir,
    env: { ...ENV, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode, stderr: p.stderr.toString() };
}

/** What strace -ff saw of the same build: per process its execs (filename, result) and its exit. */
interface Seen {
  pid: number;
  execs: { path: string; errno: string }[]; // errno "" when it succeeded
  exit: number | null;
  signal: string;
}
function straceBuild(dir: string): Seen[] {
  const logs = join(top, "strace-logs");
  mkdirSync(logs);
  const r = Bun.spawnSync(
    [
      "strace",
      "-ff",
      "-q",
      "-s",
      "4096",
      "-e",
      "trace=execve,execveat",
      "-e",
      "signal=none",
      "-o",
      join(logs, "t"),
      "make",
    ],
    { cwd: dir, env: ENV, stdout: "pipe", stderr: "pipe" },
  );
  expect(r.exitCode).toBe(0);
  return readdirSync(logs).map((f) => {
    const text = readFileSync(join(logs, f), "utf8");
    const execs = [...text.matchAll(/^execve\("((?:[^"\\]|\\.)*)",.*\) = (?:0|-1 (E\w+))/gm)].map((m) => ({
      path: m[1]!,
      errno: m[2] ?? "",
    }));
    const exit = /^\+\+\+ exited with (\d+) \+\+\+$/m.exec(text);
    const killed = /^\+\+\+ killed by (SIG\w+)/m.exec(text);
    return { pid: Number(f.split(".")[1]), execs, exit: exit ? Number(exit[1]) : null, signal: killed?.[1] ?? "" };
  });
}

/** The file an exec ran, found without the tracer: the named file, or a `#!` script's interpreter. */
function programOf(cwd: string, cmdpath: string): string {
  const file = resolve(cwd, cmdpath);
  const head = readFileSync(file).subarray(0, 256).toString("latin1");
  if (head.startsWith("#!")) return realpathSync(head.slice(2).split("\n")[0]!.trim().split(/\s+/)[0]!);
  return realpathSync(file);
}

/** A process's failed exec attempts: consecutive misses of one file name are one attempt (a PATH
 * search), a failure unless an exec of that name followed. */
function failedAttempts(execs: { path: string; errno: string }[]): number {
  const base = (p: string) => p.slice(p.lastIndexOf("/") + 1);
  let n = 0;
  let open: string | null = null;
  for (const e of execs) {
    if (open !== null && (e.errno === "" || base(e.path) !== open)) {
      if (!(e.errno === "" && base(e.path) === open)) n++;
      open = null;
    }
    if (e.errno && open === null) open = base(e.path);
  }
  return n + (open !== null ? 1 : 0);
}

const sorted = <T>(xs: T[]) => [...xs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** The block after the heading that starts with `text` (blank-line tokens skipped). */
function afterHeading(tokens: Token[], text: string): Token | undefined {
  const i = tokens.findIndex((t) => t.type === "heading" && (t as Tokens.Heading).text.startsWith(text));
  return i < 0 ? undefined : tokens.slice(i + 1).find((t) => t.type !== "space");
}

/** Markdown tokens, nested ones included (list items, table cells, inline spans). */
function walk(tokens: Token[], out: Token[] = []): Token[] {
  for (const t of tokens) {
    out.push(t);
    const n = t as Tokens.Generic;
    if (n.tokens) walk(n.tokens, out);
    if (t.type === "list") for (const item of (t as Tokens.List).items) walk([item], out);
  }
  return out;
}

describe("a make of two C files under --attest --subject --profile, with a GitHub environment", () => {
  let dir: string;
  let run: { code: number; stderr: string };
  let seen: Seen[];
  let stmt: any;
  let summaryText: string;
  const summaryFile = () => join(top, "summary.md");

  beforeAll(() => {
    dir = buildDir("first");
    writeFileSync(summaryFile(), "# an earlier step's section\n\n");
    run = tracer(
      dir,
      [
        "--hash",
        "--attest",
        "a.json",
        "--subject",
        "out/*",
        "--profile",
        join(top, "profile.json"),
        "--baseline-ignore",
        "**/out/app",
        "--baseline-ignore",
        SCRIPT_GLOB,
        "--json",
        "-o",
        join(top, "first.jsonl"),
      ],
      { ...GITHUB, GITHUB_STEP_SUMMARY: summaryFile() },
    );
    seen = straceBuild(buildDir("strace"));
    stmt = JSON.parse(readFileSync(join(dir, "a.json"), "utf8"));
    summaryText = readFileSync(summaryFile(), "utf8");
  });

  test("the build succeeds and the Statement is an in-toto v1 Statement with the runtime-trace v0.2 predicate", () => {
    expect(run.code).toBe(0);
    expect(stmt._type).toBe("https://in-toto.io/Statement/v1");
    expect(stmt.predicateType).toBe("https://in-toto.io/attestation/runtime-trace/v0.2");
    expect(stmt.predicate.monitor.type).toContain("tracer@");
    expect(stmt.predicate.monitor.tracePolicy.capture.hash).toBe(true);
    expect(stmt.predicate.monitorLog.complete).toBe(true);
    expect(stmt.predicate.monitorLog.lostEvents).toBe(0);
    const started = Date.parse(stmt.predicate.metadata.buildStartedOn);
    const finished = Date.parse(stmt.predicate.metadata.buildFinishedOn);
    expect(started).toBeLessThanOrEqual(finished);
  });

  test("subjects: every file out/* names, digests as sha256sum gives them", () => {
    const files = readdirSync(join(dir, "out"))
      .map((f) => `out/${f}`)
      .sort();
    expect(files.length).toBe(4);
    expect(stmt.subject).toEqual(files.map((name) => ({ name, digest: { sha256: sha256sum(join(dir, name)) } })));
  });

  test("monitoredProcess comes from the GITHUB_* variables", () => {
    expect(stmt.predicate.monitoredProcess).toEqual({
      hostID: "https://github.example",
      type: "https://actions.github.io/buildtypes/workflow/v1",
      event: "https://github.example/acme/widget/actions/runs/4242/attempts/3",
    });
  });

  test("monitorLog.process: the processes, execs, failed execs and exits strace saw, each exec with sha256sum's digest", () => {
    const procs: any[] = stmt.predicate.monitorLog.process;
    expect(procs.length).toBe(seen.length);
    // successful execs: as named by the caller (strace's filename), and which file ran
    const ours = procs.flatMap((p) => p.exec);
    expect(sorted(ours.map((e: any) => e.cmdpath))).toEqual(
      sorted(seen.flatMap((s) => s.execs.filter((e) => !e.errno).map((e) => e.path))),
    );
    for (const e of ours) {
      expect(e.path).toBe(programOf(e.cwd, e.cmdpath));
      expect(e.digest).toEqual({ sha256: sha256sum(e.path) });
      expect([e.uid, e.euid]).toEqual([process.getuid!(), process.geteuid!()]);
    }
    expect(ours.some((e: any) => e.cmdpath === "./gen.sh")).toBe(true); // the `#!` script ran
    // failed execs: the PATH search for the missing tool, one per directory, as strace saw them
    const failed = procs.flatMap((p) => p.failedExec.map((f: any) => ({ path: f.path, errno: f.errno })));
    expect(sorted(failed)).toEqual(sorted(seen.flatMap((s) => s.execs.filter((e) => e.errno))));
    expect(failed.some((f) => f.path.endsWith(`/${MISSING}`))).toBe(true);
    // exits, in the same multiset
    expect(sorted(procs.map((p) => [p.exitCode, p.signal]))).toEqual(sorted(seen.map((s) => [s.exit, 0])));
    // start order, and the tree hangs together: every ppid but the root's is a traced pid
    for (let i = 1; i < procs.length; i++)
      expect(Date.parse(procs[i].startedOn)).toBeGreaterThanOrEqual(Date.parse(procs[i - 1].startedOn));
    const pids = new Set(procs.map((p) => p.pid));
    expect(procs.filter((p) => !pids.has(p.ppid)).length).toBe(1);
    expect(procs[0].exec[0].argv).toEqual(["make"]);
  });

  /** The profile strace's build makes: each program it ran by real path with sha256sum's digest,
   * out/app as its ignore glob; sorted by path. */
  function straceProfile(): { path: string; sha256: string }[] {
    const strDir = join(top, "strace");
    const want = new Map<string, { path: string; sha256: string }>();
    for (const s of seen) {
      for (const e of s.execs.filter((x) => !x.errno)) {
        const path = programOf(strDir, e.path);
        const p = path.endsWith("/out/app") ? { path: "**/out/app", sha256: "" } : { path, sha256: sha256sum(path) };
        want.set(p.path + p.sha256, p);
        // a `#!` script is a program too, beside its interpreter
        const file = realpathSync(resolve(strDir, e.path));
        if (file !== path) want.set(SCRIPT_GLOB, { path: SCRIPT_GLOB, sha256: "" });
      }
    }
    return [...want.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  test("the profile: the programs strace saw run, by real path, with sha256sum's digests; out/app and the script as their ignore globs", () => {
    const profile = JSON.parse(readFileSync(join(top, "profile.json"), "utf8"));
    const want = straceProfile();
    expect(profile.programs).toEqual(want);
    // one program per line: diff-friendly
    expect(
      readFileSync(join(top, "profile.json"), "utf8")
        .split("\n")
        .filter((l) => l.includes('"path"')).length,
    ).toBe(want.length);
  });

  test("tracer show --profile on the run's saved trace: the same programs strace saw; no table, a 0600 file", () => {
    const out = join(top, "from-trace.json");
    const s = Bun.spawnSync(
      [
        TRACER,
        "show",
        "--profile",
        out,
        "--baseline-ignore",
        "**/out/app",
        "--baseline-ignore",
        SCRIPT_GLOB,
        join(top, "first.jsonl"),
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    expect(s.stderr.toString()).toMatch(/^tracer: \d+ processes, /);
    expect(s.exitCode).toBe(0);
    expect(s.stdout.toString()).toBe("");
    expect(JSON.parse(readFileSync(out, "utf8")).programs).toEqual(straceProfile());
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  test("the step summary: appended, and its Markdown says the command, status, counts, failures and tree", () => {
    expect(summaryText.startsWith("# an earlier step's section\n\n")).toBe(true);
    const tokens = lexer(summaryText);
    const all = walk(tokens);
    const heading = tokens.find((t) => t.type === "heading" && t.depth === 3) as Tokens.Heading;
    expect(walk(heading.tokens).some((t) => t.type === "codespan" && (t as Tokens.Codespan).text === "make")).toBe(
      true,
    );
    expect(all.some((t) => t.type === "strong" && (t as Tokens.Strong).text === "exit 0")).toBe(true);
    const table = tokens.find((t) => t.type === "table") as Tokens.Table;
    const counts = Object.fromEntries(table.header.map((h, i) => [h.text, Number(table.rows[0]![i]!.text)]));
    const execs = seen.flatMap((s) => s.execs);
    expect(counts).toEqual({
      processes: seen.length,
      execs: execs.filter((e) => !e.errno).length,
      // one definition everywhere: a PATH search is one attempt, and no failure when it found the file
      "failed execs": seen.reduce((n, s) => n + failedAttempts(s.execs), 0),
      "non-zero exits": seen.filter((s) => s.exit !== 0 && s.exit !== null).length,
      signals: seen.filter((s) => s.signal).length,
      "lost events": 0,
    });
    // failures: the missing tool once, with how many directories were tried; its child's exit 127
    const failures = afterHeading(tokens, "Failures") as Tokens.List;
    expect(failures?.type).toBe("list");
    const tries = execs.filter((e) => e.path.endsWith(`/${MISSING}`)).length;
    const missing = failures.items.filter((i) => i.text.includes(MISSING));
    expect(missing.map((i) => i.text.replace(/ \(pid \d+\)$/, ""))).toEqual([
      `\`${MISSING} --version\`: not found in PATH (ENOENT ×${tries})`,
      `\`env ${MISSING} --version\`: exit 127`, // env's own exit: nothing found
    ]);
    expect(seen.filter((s) => s.exit === 127).length).toBe(1);
    // the tree: one line per process in a code block inside <details>
    const open = tokens.findIndex((t) => t.type === "html" && t.raw.startsWith("<details>"));
    const tree = tokens.slice(open).find((t) => t.type === "code") as Tokens.Code;
    expect(tree.text.split("\n").length).toBe(seen.length);
    expect(tree.text.split("\n")[0]).toMatch(/^\d+ make \[exit 0\]$/);
    expect(tokens.slice(open).some((t) => t.type === "html" && t.raw.startsWith("</details>"))).toBe(true);
  });

  test("a second build like the first passes --fail-on-new; one that calls one more program fails and names it", () => {
    const args = [
      "--hash",
      "--baseline",
      join(top, "profile.json"),
      "--baseline-ignore",
      "**/out/app",
      "--baseline-ignore",
      SCRIPT_GLOB,
    ];
    const same = tracer(buildDir("same"), [...args, "--fail-on-new", "--json", "-o", join(top, "same.jsonl")]);
    expect(same.stderr).not.toContain("new program");
    expect(same.code).toBe(0);

    writeFileSync(summaryFile(), "");
    const more = tracer(
      buildDir("more", "touch out/stamp"),
      [...args, "--fail-on-new=3", "--json", "-o", join(top, "more.jsonl")],
      { GITHUB_STEP_SUMMARY: summaryFile() },
    );
    const touch = realpathSync(Bun.which("touch", { PATH: ENV.PATH })!);
    const touchLine = `tracer: new program against ${join(top, "profile.json")}: ${touch} (sha256 ${sha256sum(touch)})`;
    expect(more.code).toBe(3);
    expect(more.stderr.split("\n").filter((l) => l.includes("new program"))).toEqual([touchLine]);
    const tokens = lexer(readFileSync(summaryFile(), "utf8"));
    const list = afterHeading(tokens, "New programs") as Tokens.List;
    expect(
      list.items.map((it) =>
        walk(it.tokens)
          .filter((t) => t.type === "codespan")
          .map((t) => (t as Tokens.Codespan).text),
      ),
    ).toEqual([[touch, sha256sum(touch)]]);
  });
});

describe("tracer show --baseline: the saved traces of the second builds against the first's profile", () => {
  const show = (...args: string[]) => {
    const s = Bun.spawnSync(
      [
        TRACER,
        "show",
        "--baseline",
        join(top, "profile.json"),
        "--baseline-ignore",
        "**/out/app",
        "--baseline-ignore",
        SCRIPT_GLOB,
        ...args,
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    return { code: s.exitCode, stdout: s.stdout.toString(), stderr: s.stderr.toString() };
  };
  test("the same build: nothing new, exit 0 under --fail-on-new", () => {
    const s = show("--fail-on-new", join(top, "same.jsonl"));
    expect(s.stderr).not.toContain("new program");
    expect(s.stderr).toMatch(/^tracer: \d+ processes, /);
    expect(s.code).toBe(0);
  });
  test("one more program: named with sha256sum's digest, exit CODE; without --fail-on-new only said", () => {
    const touch = realpathSync(Bun.which("touch", { PATH: ENV.PATH })!);
    const want = [`tracer: new program against ${join(top, "profile.json")}: ${touch} (sha256 ${sha256sum(touch)})`];
    const failing = show("--fail-on-new=4", join(top, "more.jsonl"));
    expect(failing.stderr.split("\n").filter((l) => l.includes("new program"))).toEqual(want);
    expect(failing.code).toBe(4);
    const told = show(join(top, "more.jsonl"));
    expect(told.stderr.split("\n").filter((l) => l.includes("new program"))).toEqual(want);
    expect(told.code).toBe(0);
    expect(told.stdout).toBe("");
  });
  test("with --failures the view is shown too: the failed PATH lookups of the build", () => {
    const s = show("--failures", "-w", join(top, "more.jsonl"));
    expect(s.stdout.split("\n").filter((l) => l.includes(MISSING)).length).toBeGreaterThan(0);
  });
  test("a view whose reader went away (EPIPE) still leaves the whole profile and verdict", () => {
    // a trace whose --failures view is far more than one 64 KiB write: 2,000 failed execs and exits
    // (sh's builtins only: sh is the one program run)
    const trace = join(top, "failing.jsonl");
    const r = Bun.spawnSync(
      [
        TRACER,
        "--hash",
        "--json",
        "-o",
        trace,
        "--",
        "sh",
        "-c",
        "i=0; while [ $i -lt 2000 ]; do /nonexistent-tracer-ci 2>/dev/null; i=$((i + 1)); done",
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    expect(r.exitCode).toBe(0);
    // a FIFO whose only reader is closed before the tracer writes: every write fails with EPIPE
    const fifo = join(top, "gone-reader");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY);
    closeSync(reader);
    const profile = join(top, "epipe-profile.json");
    const empty = join(top, "empty-profile.json");
    writeFileSync(empty, '{"type": "tracer/profile/v1", "programs": []}');
    const s = Bun.spawnSync([TRACER, "show", "--failures", "-w", "--profile", profile, "--baseline", empty, trace], {
      stdout: writer,
      stderr: "pipe",
    });
    closeSync(writer);
    const sh = realpathSync(Bun.which("sh")!);
    const want = { path: sh, sha256: sha256sum(sh) };
    expect(
      s.stderr
        .toString()
        .split("\n")
        .filter((l) => l.includes("new program")),
    ).toEqual([`tracer: new program against ${empty}: ${sh} (sha256 ${want.sha256})`]);
    expect(JSON.parse(readFileSync(profile, "utf8")).programs).toEqual([want]);
    expect(s.exitCode).toBe(0);
  });
  test("a trace recorded without --hash: refused, naming the line and --hash", () => {
    const trace = join(top, "nohash.jsonl");
    const r = Bun.spawnSync([TRACER, "--json", "-o", trace, "--", "/bin/true"], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    const line =
      readFileSync(trace, "utf8")
        .split("\n")
        .findIndex((l) => l.includes('"sched_process_exec"')) + 1;
    expect(line).toBeGreaterThan(0);
    const s = Bun.spawnSync([TRACER, "show", "--profile", join(top, "nohash-profile.json"), trace], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(s.stderr.toString()).toBe(
      `tracer: ${trace}: line ${line}: an exec without sha256: --profile and --baseline need a trace recorded with --hash\n`,
    );
    expect(s.exitCode).toBe(1);
  });
});

describe("loss", () => {
  test("events lost in the kernel (a tiny ring, the tracer stopped during a storm): the Statement says the trace is incomplete", async () => {
    const dir = join(top, "loss");
    mkdirSync(dir);
    const fifo = join(dir, "go");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const done = join(dir, "done");
    const started = join(dir, "started");
    const summary = join(dir, "summary.md");
    appendFileSync(summary, "");
    const script = `: > ${started}; read x < ${fifo}; ${fixture("storm")} 2000 /bin/true >/dev/null; /usr/bin/touch ${done}`;
    const t = Bun.spawn(
      [
        TRACER,
        "--attest",
        join(dir, "l.json"),
        "--buffer-size",
        "64K",
        "--max-args-size",
        "16K",
        "--",
        "/bin/sh",
        "-c",
        script,
      ],
      {
        env: { ...ENV, GITHUB_STEP_SUMMARY: summary },
        stdout: "ignore",
        stderr: "pipe",
      },
    );
    const reader = t.stderr.getReader();
    let err = "";
    while (!err.includes("ready\n")) err += new TextDecoder().decode((await reader.read()).value);
    while (!existsSync(started)) await Bun.sleep(20); // COMMAND runs ("ready" comes just before)
    t.kill("SIGSTOP"); // the ring fills while nobody reads it
    writeFileSync(fifo, "go\n");
    while (!existsSync(done)) await Bun.sleep(20);
    t.kill("SIGCONT");
    for (let r = await reader.read(); !r.done; r = await reader.read()) err += new TextDecoder().decode(r.value);
    expect(await t.exited).toBe(0);
    const lost = Number(/tracer: (\d+) events lost/.exec(err)?.[1]);
    expect(lost).toBeGreaterThan(0);
    const log = JSON.parse(readFileSync(join(dir, "l.json"), "utf8")).predicate.monitorLog;
    expect(log.complete).toBe(false);
    expect(log.lostEvents).toBe(lost);
    // what was recorded plus what was lost cannot exceed what ran: 2003 processes (sh, storm, 2000 true, touch)
    expect(log.process.length).toBeLessThan(2003);
    const md = walk(lexer(readFileSync(summary, "utf8")));
    expect(md.some((x) => x.type === "strong" && (x as Tokens.Strong).text === "the trace is incomplete")).toBe(true);
  });
});
