// Issue 28, a new user's session: test/fixtures/tiny-c (two C files, then a docs step whose script
// names an interpreter that is not installed) built under the tracer, through a real pseudo-
// terminal at 80 and 200 columns and in a simulated GitHub Actions step. Ground truth: strace -f
// of the same make, run as the traced command (its log names every execve, its result and pid).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, constants, cpSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, TRACER, parseLine } from "./harness";

const PROJECT = join(ROOT, "test", "fixtures", "tiny-c");
// a PATH with directories before /usr/bin: gcc finds `as` by a PATH search, as on many machines
const ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/root", LANG: "C.UTF-8" };
const ESC = /\x1b\[[\d;]*m/g;

let top: string;
beforeAll(() => (top = mkdtempSync(join(tmpdir(), "tracer-newuser-"))));
afterAll(() => rmSync(top, { recursive: true, force: true }));

let copies = 0;
function project(): string {
  const dir = join(top, `p${copies++}`);
  cpSync(PROJECT, dir, { recursive: true });
  return dir;
}

const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;

/** Run argv in `cwd`: in a pty of `cols` columns (script(1)), or with stdout and stderr on one pipe. */
export function screen(
  argv: string[],
  cwd: string,
  cols: number | null,
  env: Record<string, string> = {},
): { out: string; code: number } {
  const cmd = argv.map(quote).join(" ");
  const sh =
    cols === null
      ? ["/bin/sh", "-c", `exec ${cmd} 2>&1`]
      : ["script", "-qec", `stty cols ${cols} rows 60; exec ${cmd}`, "/dev/null"];
  const r = Bun.spawnSync(sh, { cwd, env: { ...ENV, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  return { out: r.stdout.toString().replaceAll("\r\n", "\n"), code: r.exitCode ?? -1 };
}

/** strace -f's log: every execve with its pid, path, argv text and result. */
interface Exec {
  pid: number;
  path: string;
  errno: string;
}
function straceLog(file: string): Exec[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^(\d+) +execve\("((?:[^"\\]|\\.)*)",.*\) = (?:0|-1 (E\w+))/gm)].map((m) => ({
    pid: Number(m[1]),
    path: m[2]!,
    errno: m[3] ?? "",
  }));
}

/** Failed execs as one definition says: consecutive misses of one name by one pid are one
 * attempt, a failure only if no exec of that name by that pid followed. */
function failedAttempts(execs: Exec[]): Exec[][] {
  const base = (p: string) => p.slice(p.lastIndexOf("/") + 1);
  const out: Exec[][] = [];
  const open = new Map<number, Exec[]>();
  for (const e of execs) {
    const cur = open.get(e.pid);
    if (cur && (e.errno === "" || base(e.path) !== base(cur[0]!.path))) {
      open.delete(e.pid);
      if (!(e.errno === "" && base(e.path) === base(cur[0]!.path))) out.push(cur);
    }
    if (e.errno) {
      const c = open.get(e.pid);
      if (c) c.push(e);
      else open.set(e.pid, [e]);
    }
  }
  return [...out, ...open.values()];
}

/** Run make (args) under the tracer and strace -f, in a fresh copy; everything they left. */
function traced(makeArgs: string[], tracerArgs: string[], cols: number | null) {
  const dir = project();
  const log = join(dir, "strace.log");
  const summary = join(dir, "summary.md");
  writeFileSync(summary, "");
  const r = screen(
    [
      TRACER,
      ...tracerArgs,
      "--",
      "strace",
      "-f",
      "-qq",
      "-s",
      "256",
      "-e",
      "trace=execve",
      "-e",
      "signal=none",
      "-o",
      log,
      "make",
      ...makeArgs,
    ],
    dir,
    cols,
    { GITHUB_STEP_SUMMARY: summary },
  );
  return { ...r, dir, execs: straceLog(log), summary: readFileSync(summary, "utf8") };
}

const summaryCounts = (md: string) => {
  const rows = md.split("\n").filter((l) => l.startsWith("| "));
  const keys = rows[0]!
    .split("|")
    .slice(1, -1)
    .map((s) => s.trim());
  const vals = rows[1]!
    .split("|")
    .slice(1, -1)
    .map((s) => Number(s.trim()));
  return Object.fromEntries(keys.map((k, i) => [k, vals[i]]));
};
const lineCount = (out: string, what: string) => Number(new RegExp(`(\\d+) ${what}s?,`).exec(out)![1]);

describe("1: one count of failed execs, the same on the terminal and in the job summary", () => {
  test("a build that succeeds: gcc's PATH searches for `as` found it, so 0 failed execs everywhere", () => {
    const r = traced(["app"], [], 200);
    expect(r.code).toBe(0);
    const searches = r.execs.filter((e) => e.errno && e.path.endsWith("/as"));
    expect(searches.length).toBeGreaterThan(0); // the misses happened (strace saw them)...
    const want = failedAttempts(r.execs).length;
    expect(want).toBe(0); // ...and each search found `as`
    expect(lineCount(r.out, "failed exec")).toBe(want);
    expect(summaryCounts(r.summary)["failed execs"]).toBe(want);
    expect(r.out).toMatch(/lookup +as → \S+\/as \(ENOENT ×\d+\)/); // under their own name
  });
  test("a build whose docs step fails: 1 failed exec everywhere", () => {
    const r = traced([], [], 200);
    expect(r.code).toBe(2);
    const want = failedAttempts(r.execs).length;
    expect(want).toBe(1);
    expect(lineCount(r.out, "failed exec")).toBe(want);
    expect(summaryCounts(r.summary)["failed execs"]).toBe(want);
  });
});

describe("2 and 4: one entry per failed exec, what it tried, why in words, how it ended", () => {
  let r: ReturnType<typeof traced>;
  let gen: Exec;
  beforeAll(() => {
    r = traced([], ["--tree", "-"], null);
    gen = r.execs.find((e) => e.path === "./tools/gen-docs")!;
  });
  test("strace: the script exists and its exec failed ENOENT (its interpreter is missing)", () => {
    expect(gen.errno).toBe("ENOENT");
    expect(readFileSync(join(PROJECT, "tools", "gen-docs"), "utf8").split("\n")[0]).toBe("#!/usr/bin/python2");
  });
  test("the job summary: one entry for gen-docs, with the reason and the exit, by its pid", () => {
    const items = r.summary.split("\n").filter((l) => l.startsWith("- "));
    expect(items.filter((l) => l.includes("gen-docs"))).toEqual([
      `- \`./tools/gen-docs app\`: interpreter /usr/bin/python2 not found; exit 127 (pid ${gen.pid})`,
    ]);
    expect(items.some((l) => l.includes(`(pid ${gen.pid})`) && l.includes("make"))).toBe(false);
  });
  test("the tree names the reason", () => {
    expect(r.out).toContain(
      `${gen.pid} ./tools/gen-docs app [exec failed: interpreter /usr/bin/python2 not found] [exit 127]`,
    );
  });
  for (const cols of [80, 200]) {
    test(`the table at ${cols} columns, --failures: one entry for it, its reason whole, never 'exit 127 make'`, () => {
      const t = traced([], ["--failures"], cols);
      const g = t.execs.find((e) => e.path === "./tools/gen-docs")!;
      const lines = t.out.split("\n").map((l) => l.replace(ESC, ""));
      const ofGen = new RegExp(`^ +[\\d.]+ +${g.pid} `);
      expect(lines.filter((l) => ofGen.test(l)).length).toBe(1);
      const at = lines.findIndex((l) => ofGen.test(l));
      const lead = lines[at]!.indexOf("execfail ") + "execfail ".length;
      // the row, and the lines that go on under its COMMAND column when the reason does not fit
      // beside the command (at 80 columns: 45 columns for a 71-column text; before, cut with …)
      let end = at + 1;
      while (end < lines.length && new RegExp(`^ {${lead}}\\S`).test(lines[end]!)) end++;
      const row = lines.slice(at, end);
      for (const l of row) expect(Bun.stringWidth(l)).toBeLessThanOrEqual(cols);
      const interpreter = readFileSync(join(PROJECT, "tools", "gen-docs"), "utf8")
        .split("\n")[0]!
        .slice(2);
      expect(row.map((l) => l.slice(lead)).join(" ")).toBe(
        `./tools/gen-docs app: interpreter ${interpreter} not found; exit 127`,
      );
      expect(t.out).not.toMatch(/exit 127 +make/);
    });
  }
});

describe("3: the launcher never shows", () => {
  const name = `tracer-newuser-missing-${process.pid}`;
  test("a command not on PATH: its failed execs and its exit are named as a bare run names them, in JSON and the table", () => {
    const dir = project();
    const out = join(dir, "t.jsonl");
    const j = screen([TRACER, "--json", "-o", out, "--", name], dir, null);
    expect(j.code).toBe(127);
    const evs = readFileSync(out, "utf8").trim().split("\n").map(parseLine);
    // ground truth: one try per PATH directory, as execvp would
    expect(
      evs
        .filter((e) => e.eventName === "process_execute_failed")
        .map((e) => e.args.find((a: any) => a.name === "path").value),
    ).toEqual(ENV.PATH.split(":").map((d) => `${d}/${name}`));
    // named as a bare run's child that could not exec it: after the tracer's parent (this test
    // process: /bin/sh exec'd the tracer), never the stub's descriptor number
    expect(new Set(evs.map((e) => e.processName))).toEqual(new Set([readFileSync("/proc/self/comm", "utf8").trim()]));
    const t = screen([TRACER, "--", name], dir, 200);
    const rows = t.out
      .split("\n")
      .map((l) => l.replace(ESC, ""))
      .filter((l) => /^ +[\d.]+ +\d+ /.test(l));
    expect(rows.map((l) => l.replace(/^ +[\d.]+ +\d+ root +/, ""))).toEqual([
      `execfail ${name}: not found in PATH (ENOENT ×${ENV.PATH.split(":").length}); exit 127`,
    ]);
  });
});

describe("5: --fail-on-new reports a new script, by its path and digest, beside its interpreter", () => {
  const sha256sum = (path: string) => Bun.spawnSync(["sha256sum", path]).stdout.toString().split(" ")[0]!;
  test("a #!/bin/sh script new to the baseline (its interpreter is not) fails the run and is named; so is a changed one", () => {
    const dir = project();
    const profile = join(dir, "profile.json");
    const first = screen([TRACER, "--profile", profile, "--", "sh", "-c", "make app"], dir, null);
    expect(first.code).toBe(0);
    const script = join(dir, "tools", "stamp");
    writeFileSync(script, "#!/bin/sh\n: > stamp\n", { mode: 0o755 });
    const run = () =>
      screen(
        [TRACER, "--baseline", profile, "--fail-on-new=3", "--", "sh", "-c", "make app && ./tools/stamp"],
        dir,
        null,
      );
    const line = () => `tracer: new program against ${profile}: ${script} (sha256 ${sha256sum(script)})`;
    const added = run();
    expect(added.code).toBe(3);
    expect(added.out.split("\n").filter((l) => l.includes("new program"))).toEqual([line()]);
    // the interpreter was in the profile already: only the script is new
    expect(readFileSync(profile, "utf8")).toContain(
      `"path":"${Bun.spawnSync(["realpath", "/bin/sh"]).stdout.toString().trim()}"`,
    );
    // the same path with other bytes is a new program too
    Bun.spawnSync(["sh", "-c", `${quote(TRACER)} --profile ${quote(profile)} -- sh -c 'make app && ./tools/stamp'`], {
      cwd: dir,
      env: ENV,
    });
    writeFileSync(script, "#!/bin/sh\n: > stamp2\n", { mode: 0o755 });
    const changed = run();
    expect(changed.code).toBe(3);
    expect(changed.out.split("\n").filter((l) => l.includes("new program"))).toEqual([line()]);
  });
});

describe("9: every output is opened before anything is printed; the error names its option", () => {
  for (const cols of [80, 200]) {
    test(`a terminal of ${cols} columns: one line, no table header, exit 1`, () => {
      const dir = project();
      const bad = join(dir, "no-such-dir", "f.json"); // ENOENT: its directory does not exist
      for (const [flag, spelt] of [
        ["--attest", "--attest"],
        ["--profile", "--profile"],
        ["-o", "open output"],
        ["--tree", "--tree"],
      ] as const) {
        const r = screen([TRACER, flag, bad, "--", "true"], dir, cols);
        expect(r.code).toBe(1);
        // -o's own message says "output" already
        const want = `tracer: ${spelt === "open output" ? "" : spelt + ": "}open output ${bad}: No such file or directory (ENOENT)`;
        expect(r.out).toBe(want + "\n"); // a message is not cut to the terminal
      }
      const s = screen([TRACER, "show", "--profile", bad, join(PROJECT, "Makefile")], dir, cols);
      expect([s.code, s.out]).toEqual([
        1,
        `tracer: --profile: open output ${bad}: No such file or directory (ENOENT)\n`,
      ]);
    });
  }
});

describe("8: --json -- make 2>t.jsonl (no -o) makes a file tracer show reads", () => {
  test("the status lines and make's messages are left out and counted; every event is read", () => {
    const dir = project();
    const log = join(dir, "strace.log");
    const r = Bun.spawnSync(
      [
        "sh",
        "-c",
        `exec ${quote(TRACER)} --json -- strace -f -qq -e trace=execve -e signal=none -o ${quote(log)} make 2>t.jsonl`,
      ],
      { cwd: dir, env: ENV, stdout: "pipe", stderr: "pipe" },
    );
    expect(r.exitCode).toBe(2);
    const lines = readFileSync(join(dir, "t.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l !== "");
    const notEvents = lines.filter((l) => !l.startsWith("{"));
    expect(notEvents).toContain("ready");
    expect(notEvents).toContain("make: *** [Makefile:14: docs] Error 127");
    const s = screen([TRACER, "show", "--failures", "t.jsonl"], dir, null);
    expect(s.code).toBe(0);
    const gen = straceLog(log).find((e) => e.path === "./tools/gen-docs")!;
    expect(s.out).toMatch(
      new RegExp(
        `^\\S+ +${gen.pid} root +execfail \\./tools/gen-docs app: interpreter /usr/bin/python2 not found; exit 127$`,
        "m",
      ),
    );
    expect(s.out).toContain(
      `tracer: left out ${notEvents.length} lines that are not events (first: line ${lines.indexOf(notEvents[0]!) + 1}, `,
    );
    // the summary counts every event of the file: as many execs as strace saw succeed
    expect(lineCount(s.out, "exec")).toBe(straceLog(log).filter((e) => !e.errno).length + 1); // + strace's own exec
  });
});

describe("12: one rule for the time column, live and tracer show", () => {
  test("seconds since the start on a terminal (80 and 200 columns), the time of day to a pipe; --time-of-day on a terminal too", () => {
    const dir = project();
    const saved = join(dir, "t.jsonl");
    expect(screen([TRACER, "--json", "-o", saved, "--", "make", "app"], dir, null).code).toBe(0);
    const firstColumn = (out: string) =>
      out
        .split("\n")
        .filter((l) => /^ *[\d:.]+ +\d+ /.test(l))
        .map((l) => l.trim().split(/ +/)[0]!);
    const rel = /^\d+\.\d{3}$/;
    const tod = /^\d\d:\d\d:\d\d\.\d{3}$/;
    for (const [argv, cols, want] of [
      [["--", "make", "app"], 80, rel],
      [["--", "make", "app"], 200, rel],
      [["--", "make", "app"], null, tod],
      [["show", saved], 80, rel],
      [["show", saved], 200, rel],
      [["show", saved], null, tod],
      [["--time-of-day", "--", "make", "app"], 80, tod],
      [["show", "--time-of-day", saved], 200, tod],
    ] as const) {
      const col = firstColumn(screen([TRACER, ...argv], dir, cols).out.replace(ESC, ""));
      expect(col.length).toBeGreaterThan(0);
      for (const t of col) expect(`${argv[0]} ${cols}: ${t}`).toMatch(new RegExp(`: ${want.source.slice(1)}`));
    }
  });
});

describe("6 and 4: --tree - on a terminal: cut to its width, a failure broken to lines instead, coloured as in the table", () => {
  for (const cols of [80, 200]) {
    test(`${cols} columns`, () => {
      const t = traced([], ["--json", "-o", "t.jsonl", "--tree", "-"], cols);
      const gen = t.execs.find((e) => e.path === "./tools/gen-docs")!;
      const make = t.execs.find((e) => e.path.endsWith("make") && !e.errno)!;
      const lines = t.out.split("\n").filter((l) => l !== "");
      expect(lines[0]).toBe("ready");
      const tree = lines.slice(1, -1);
      // one line per process strace saw exec or fail (and strace's own), none wider than the terminal
      expect(tree.length).toBeGreaterThanOrEqual(new Set(t.execs.map((e) => e.pid)).size);
      for (const l of tree) expect(Bun.stringWidth(l.replace(ESC, ""))).toBeLessThanOrEqual(cols);
      expect(tree.some((l) => l.replace(ESC, "").endsWith("…"))).toBe(true); // cc1's argv is longer than 200 columns
      const red = (pid: number) =>
        tree.find((l) =>
          l
            .replace(ESC, "")
            .replace(/^[│├└─ ]*/, "")
            .startsWith(`${pid} `),
        )!;
      expect(red(gen.pid)).toMatch(new RegExp(`^[│├└─ ]*\\x1b\\[31m${gen.pid} \\./tools/gen-docs app`));
      expect(red(make.pid)).toMatch(new RegExp(`^[│├└─ ]*\\x1b\\[31m${make.pid} make`));
      const cc = t.execs.find((e) => e.path.endsWith("/cc") || e.path === "cc")!;
      expect(red(cc.pid)).not.toContain("\x1b"); // it succeeded: plain
      // issue 28 point 4: gen-docs failed, so its line goes on under its text instead of being cut:
      // joined across its lines (a next line with only bars and spaces left of where the text
      // starts), its text names the whole reason; the truth is the script's shebang
      const interpreter = readFileSync(join(PROJECT, "tools", "gen-docs"), "utf8")
        .split("\n")[0]!
        .slice(2);
      const plain = tree.map((l) => l.replace(ESC, ""));
      const at = plain.indexOf(red(gen.pid).replace(ESC, ""));
      const start = plain[at]!.indexOf(`${gen.pid} `) + `${gen.pid} `.length;
      const text = [plain[at]!.slice(start)];
      for (const l of plain.slice(at + 1)) {
        if (l.length <= start || !/^[│ ]*$/.test(l.slice(0, start))) break;
        text.push(l.slice(start));
      }
      expect(text.join(" ")).toContain(`interpreter ${interpreter} not found`);
    });
  }
  test("to a file, and to a pipe: whole lines, no colour", () => {
    const t = traced([], ["--json", "-o", "t.jsonl", "--tree", "-"], null);
    expect(t.out).not.toContain("\x1b");
    expect(t.out.split("\n").some((l) => l.length > 200)).toBe(true);
  });
});

describe("7: a row does not wait for its task's next event", () => {
  for (const cols of [80, 200]) {
    test(`${cols} columns: a failed exec of a shell that then waits shows while it waits`, async () => {
      const dir = project();
      const fifo = join(dir, "gate");
      expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
      const m = `/nonexistent-newuser-${process.pid}/tool`;
      // bash keeps going after a failed exec (execfail), then blocks on the FIFO: its next event
      // (its exit) comes only once the test writes to the FIFO, after it saw the row
      const cmd = [TRACER, "--", "bash", "-c", `shopt -s execfail; exec ${m} 2>/dev/null; read x < ${fifo}`]
        .map(quote)
        .join(" ");
      const p = Bun.spawn(["script", "-qec", `stty cols ${cols} rows 60; exec ${cmd}`, "/dev/null"], {
        cwd: dir,
        env: ENV,
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
      });
      let screenText = "";
      const dec = new TextDecoder();
      const reader = p.stdout.getReader();
      const want = `execfail ${m}: ENOENT`;
      // the row is awaited while bash blocks; 30 s only decides when it is declared missing
      const giveUp = Bun.sleep(30000).then(() => ({ value: undefined, done: true }));
      while (!screenText.replace(ESC, "").includes(want.slice(0, cols - 30))) {
        const { value, done } = await Promise.race([reader.read(), giveUp]);
        if (done) break;
        screenText += dec.decode(value, { stream: true });
      }
      const seenBeforeExit = screenText.replace(ESC, "").includes(want.slice(0, cols - 30));
      writeFileSync(fifo, "go\n"); // now bash reads, and exits
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        screenText += dec.decode(value, { stream: true });
      }
      expect(await p.exited).toBe(0);
      expect(seenBeforeExit).toBe(true);
      // and it is one row, not merged with bash's exit (bash went on)
      const rows = screenText
        .replace(ESC, "")
        .replaceAll("\r", "")
        .split("\n")
        .filter((l) => / root +execfail /.test(l));
      expect(rows.length).toBe(1);
      expect(rows[0]!.endsWith(want) || rows[0]!.endsWith("…")).toBe(true);
    });
  }
});

describe("10: --hash shows in the table", () => {
  // On a terminal a row is cut to its width; the digest (and an exit row's run time) is kept at
  // its end, the command cut before it. Before: at 80 columns only make's row had its digest
  // (`cc -c -o main.o main.c  [/usr/bin/x86_64-lin…`), at 200 cc1's, collect2's and ld's had none.
  for (const cols of [null, 80, 200]) {
    test(`${cols ?? "piped"}: each exec row ends with the first 12 hex digits of sha256sum's digest of the file strace saw run, each exit row with its run time`, () => {
      const r = traced(["app"], ["--hash"], cols);
      expect(r.code).toBe(0);
      const sha = (p: string) => Bun.spawnSync(["sha256sum", p]).stdout.toString().split(" ")[0]!;
      const ran = r.execs.filter((e) => !e.errno);
      const lines = r.out.split("\n").map((l) => l.replace(ESC, ""));
      if (cols !== null)
        for (const l of lines.filter((l) => / root /.test(l))) expect(Bun.stringWidth(l)).toBeLessThanOrEqual(cols);
      const rows = lines.filter((l) => / root +exec /.test(l));
      expect(rows.length).toBe(ran.length + 1); // + strace's own exec
      for (const e of ran) {
        const real = Bun.spawnSync(["realpath", e.path.startsWith("/") ? e.path : join(r.dir, e.path)])
          .stdout.toString()
          .trim();
        const row = rows.find(
          (l) => new RegExp(`^ *\\S+ +${e.pid} root +exec `).test(l) && l.endsWith(` sha256 ${sha(real).slice(0, 12)}`),
        );
        expect(`${e.pid} ${e.path}: ${row ? "found" : "missing"}`).toBe(`${e.pid} ${e.path}: found`);
      }
      const exits = lines.filter((l) => / root +exit 0 /.test(l));
      expect(exits.length).toBeGreaterThanOrEqual(ran.length + 1);
      for (const l of exits) expect(l).toMatch(/ (\d+|0\.\d) ms$/);
    });
  }
});

describe("15: npm start", () => {
  /** Pids whose parent is `ppid` (/proc/PID/stat's 4th field). */
  const children = (ppid: number) => {
    const out: number[] = [];
    for (const d of Bun.spawnSync(["ls", "/proc"]).stdout.toString().split("\n")) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === ppid) out.push(Number(d));
      } catch {}
    }
    return out;
  };
  test("the chain from npm ends in the tracer itself (exec at each step): a SIGTERM to npm reaches it", async () => {
    const p = Bun.spawn(["npm", "start", "--silent", "--", "--comm", `nomatch${process.pid}`], {
      cwd: ROOT,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const { readUntil } = await import("./harness");
    await readUntil(p.stderr, /^ready$/m);
    const kids = children(p.pid);
    const cleanup = () => {
      for (const k of kids) Bun.spawnSync(["kill", "-TERM", String(k)]);
    }; // only ours
    // ground truth: the kernel's view of npm's child and its program
    const exes = kids.map((k) =>
      Bun.spawnSync(["readlink", `/proc/${k}/exe`])
        .stdout.toString()
        .trim(),
    );
    if (exes.join() !== join(ROOT, "tracer")) {
      p.kill("SIGTERM");
      await p.exited;
      cleanup();
    }
    expect(exes).toEqual([join(ROOT, "tracer")]);
    p.kill("SIGTERM"); // as a service manager or a CI step stops it
    await p.exited;
    // the tracer got it too, and is gone (not adopted by PID 1, writing on); 60 s only decides when it is declared stuck
    const until = Date.now() + 60000;
    while (Bun.spawnSync(["test", "-e", `/proc/${kids[0]}`]).exitCode === 0 && Date.now() < until) await Bun.sleep(50);
    expect(Bun.spawnSync(["test", "-e", `/proc/${kids[0]}`]).exitCode).not.toBe(0);
  });
});

describe("14: quiet surprises", () => {
  test("started with SIGINT ignored (a job started with & from a script): one line at start says so, with the pid to stop", async () => {
    const p = Bun.spawn(["sh", "-c", `trap '' INT; exec ${quote(TRACER)} --json --comm nomatch${process.pid}`], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const { readUntil } = await import("./harness");
    try {
      const m = await readUntil(p.stderr, /^((?:[^\n]*\n)*?)ready\n/);
      // ground truth: the kernel's view of the signals it ignores (bit 1: SIGINT), and its pid (sh exec'd it)
      const ign = BigInt("0x" + /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${p.pid}/status`, "utf8"))![1]);
      expect((ign >> 1n) & 1n).toBe(1n);
      expect(m[1]).toBe(`tracer: Ctrl-C and kill -INT are ignored (inherited); stop: kill -TERM ${p.pid}\n`);
    } finally {
      p.kill("SIGTERM");
    }
    expect(await p.exited).toBe(0);
  });
  test("docs/usage.md's jq recipes use no integer beyond 2^53 (jq 1.6 rounds them)", () => {
    const readme = readFileSync(join(ROOT, "docs", "usage.md"), "utf8");
    const block = readme.slice(readme.indexOf("With jq (each recipe")).split("```")[1]!;
    const recipes = block.split("\n").filter((l) => l.startsWith("jq "));
    expect(recipes.length).toBeGreaterThan(0);
    // the fields whose values in a real trace are that large
    const dir = project();
    const out = join(dir, "t.jsonl");
    expect(screen([TRACER, "--json", "-o", out, "--", "make", "app"], dir, null).code).toBe(0);
    const big = new Set<string>();
    const visit = (k: string, v: unknown) => {
      if (typeof v === "bigint" && (v > 2n ** 53n || v < -(2n ** 53n))) big.add(k);
      else if (Array.isArray(v))
        for (const x of v) {
          if (x && typeof x === "object" && "name" in x) visit(x.name, x.value);
          else visit(k, x);
        }
      else if (v && typeof v === "object") for (const [kk, vv] of Object.entries(v)) visit(kk, vv);
    };
    for (const l of readFileSync(out, "utf8").trim().split("\n")) visit("", parseLine(l));
    expect(big.has("timestamp")).toBe(true);
    for (const r of recipes)
      for (const f of big) expect(`${f} in ${r}`).not.toMatch(new RegExp(`^${f} in .*(\\.${f}\\b|"${f}")`));
  });
});

describe("13: small things", () => {
  test("the usual summary line fits 80 columns (deaths by a signal and losses only when there are some)", () => {
    const t = screen([TRACER, "--", "make"], project(), 80);
    const line = t.out
      .split("\n")
      .filter((l) => l.startsWith("tracer: "))
      .at(-1)!;
    expect(line).toMatch(/^tracer: \d+ processes, \d+ execs, 1 failed exec, \d+ non-zero exits?, [\d.]+ m?s$/);
    expect(line.length).toBeLessThanOrEqual(80);
  });
  for (const cols of [80, 200]) {
    test(`${cols} columns: ^C and what follows do not share a line`, async () => {
      // the header is out: the tracer is running
      const r = await ctrlC([TRACER, "--comm", `nomatch${process.pid}`], cols, /COMMAND\r\n/);
      expect(r.lines.some((l) => l === "^C")).toBe(true);
      expect(r.lines.filter((l) => l.includes("^C") && l !== "^C")).toEqual([]);
      expect(r.lines.some((l) => l.startsWith("tracer: 0 processes"))).toBe(true);
    });
    // With COMMAND the rows of what the Ctrl-C stopped race the tracer's own SIGINT handler
    // (which starts the new line): before, '^C   1.895   23004 root     SIGINT   sleep 30  1.89 s'
    // in 5 of 8 tries in tmux. Several tries, so a race shows.
    test(`${cols} columns, with COMMAND: ^C and the rows of what it stopped do not share a line`, async () => {
      const TRIES = 6;
      for (let i = 0; i < TRIES; i++) {
        // sleep's exec row is out: it runs under the tracer
        const r = await ctrlC([TRACER, "--", "sleep", "30"], cols, / exec +sleep 30/);
        expect(r.code).toBe(130);
        expect(r.lines.filter((l) => l.includes("^C") && l !== "^C")).toEqual([]);
        expect(r.lines.some((l) => l === "^C")).toBe(true);
        expect(r.lines.some((l) => / SIGINT +sleep 30 /.test(l))).toBe(true);
      }
    }, 60_000);
  }
});

/** argv in a pty of `cols` columns; once its output matches `ready`, a Ctrl-C through the
 * terminal's line discipline (to the whole foreground group); its lines and status at the end. */
async function ctrlC(argv: string[], cols: number, ready: RegExp): Promise<{ lines: string[]; code: number }> {
  const cmd = argv.map(quote).join(" ");
  const p = Bun.spawn(["script", "-qec", `stty cols ${cols} rows 60; exec ${cmd}`, "/dev/null"], {
    env: ENV,
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = p.stdout.getReader();
  const dec = new TextDecoder();
  let text = "";
  let sent = false;
  for (;;) {
    if (!sent && ready.test(text)) {
      p.stdin.write("\x03");
      p.stdin.flush();
      sent = true;
    }
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
  }
  const code = await p.exited;
  return { lines: text.replaceAll("\r", "").split("\n"), code };
}

describe("13: tracer show --profile that cannot reach its file says so, and which", () => {
  test("a write error names --profile; a reader gone (EPIPE) is an error for a profile, not for a view", () => {
    const dir = project();
    const trace = join(dir, "t.jsonl");
    expect(screen([TRACER, "--hash", "--json", "-o", trace, "--", "make", "app"], dir, null).code).toBe(0);
    const full = screen([TRACER, "show", "--profile", "/dev/full", trace], dir, null);
    expect(full.code).toBe(1);
    expect(full.out.split("\n")[0]).toBe("tracer: --profile: write /dev/full: No space left on device (ENOSPC)");
    // a FIFO whose only reader is closed before the tracer writes: every write fails with EPIPE
    const fifo = join(dir, "gone");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY);
    closeSync(reader);
    const run = (args: string[]) =>
      Bun.spawnSync([TRACER, "show", ...args, trace], { cwd: dir, stdout: writer, stderr: "pipe" });
    const profile = run(["--profile", "-"]);
    expect(profile.exitCode).toBe(1);
    expect(profile.stderr.toString().split("\n")[0]).toBe(
      "tracer: --profile stdout: not written: its reader went away (EPIPE)",
    );
    const view = run(["--failures"]);
    expect(view.exitCode).toBe(0); // nobody reads the view: not an error
    closeSync(writer);
  });
});

describe("13: the whole-host table shows execs and failures first; --all shows everything", () => {
  const uid = "3999998";
  async function host(args: string[]) {
    const { TracerRun } = await import("./harness");
    const t = await TracerRun.start(["-w", "--uid", uid, ...args]);
    // ground truth: the workload's own log of its pids
    const dir = mkdtempSync(join(tmpdir(), "tracer-newuser-uid-")); // the workload's uid writes its log here
    Bun.spawnSync(["chmod", "777", dir]);
    const log = join(dir, "log");
    const w = Bun.spawnSync([
      "setpriv",
      "--reuid",
      uid,
      "--regid",
      uid,
      "--clear-groups",
      "/bin/sh",
      "-c",
      `echo "sh $$" >> ${log}; /bin/true & echo "true $!" >> ${log}; wait; /bin/sh -c 'exit 3' & echo "three $!" >> ${log}; wait; exit 0`,
    ]);
    expect(w.exitCode).toBe(0);
    const pids = Object.fromEntries(
      readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .map((l) => [l.split(" ")[0]!, Number(l.split(" ")[1])]),
    );
    try {
      // 60 s only decide when a row is declared missing
      const until = Date.now() + 60000;
      const want = args.includes("--all") ? new RegExp(`^\\S+ +${pids.sh} .* exit 0 `, "m") : / exit 3 /;
      while (!want.test(t.stdout) && Date.now() < until) await Bun.sleep(50);
    } finally {
      await t.stop("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    }
    const rows = t.stdout
      .split("\n")
      .filter((l) => /^\d\d:/.test(l))
      .map((l) =>
        l
          .replace(/^\S+ +/, "")
          .replace(/ {2}[\d.]+ m?s$/, "")
          .replace(/ +/g, " "),
      );
    return { rows, stderr: t.stderr, pids };
  }
  test("by default: the execs and the non-zero exit, no forks or exits 0, and a line saying how to see everything", async () => {
    const { rows, stderr, pids } = await host([]);
    expect(stderr.split("\n")[0]).toBe("tracer: execs and failures only (whole host); --all shows every fork and exit");
    expect(rows[0]).toStartWith(`${pids.sh} ${uid} exec /bin/sh -c `);
    expect(rows.slice(1)).toEqual([
      `${pids.true} ${uid} exec /bin/true`,
      `${pids.three} ${uid} exec /bin/sh -c 'exit 3' [/usr/bin/dash]`,
      `${pids.three} ${uid} exit 3 /bin/sh -c 'exit 3'`,
    ]);
  });
  test("--all: every fork and exit too", async () => {
    const { rows, stderr, pids } = await host(["--all"]);
    expect(stderr).not.toContain("--all shows");
    expect(rows).toContain(`${pids.sh} ${uid} fork child ${pids.true}`);
    expect(rows).toContain(`${pids.true} ${uid} exit 0 /bin/true`);
  });
});
