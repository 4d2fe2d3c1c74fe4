// What people see: the real tracer on a real workload, through a pseudo-terminal (script(1) at 80
// and 200 columns) and through a pipe, live (-- COMMAND) and from a saved trace (tracer show);
// every line compared with the screen expected from what the workload did (its pids, its argv,
// its statuses as the shell logged them, the thread ids the fixture printed).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixture, marker, TRACER } from "./harness";
import { fit, fitKeeping } from "../../src/format/human";

const dir = mkdtempSync(join(tmpdir(), "tracer-screen-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lifecycle = fixture("lifecycle");

/* The workload: each step's pid (and status) goes to the log; nothing is printed. sleep is
 * killed only once it sleeps: a SIGKILL that lands inside its execve (comm is renamed before the
 * exec ends) makes the kernel fail that execve (EFAULT), and the trace rightly shows a failed exec. */
const SCRIPT = join(dir, "w.sh");
writeFileSync(
  SCRIPT,
  `L=$1; M=$2; LC=$3
echo "root $$" >> $L
/bin/true $M & echo "true $!" >> $L; wait $!
env PATH=/nonexist-a:/nonexist-b:/nonexist-c nosuch-$M 2>/dev/null & echo "env1 $!" >> $L; wait $!; echo "env1status $?" >> $L
env PATH=/nonexist-a:/usr/bin true $M & echo "env2 $!" >> $L; wait $!
sh -c 'exit 3' & echo "sh3 $!" >> $L; wait $!; echo "sh3status $?" >> $L
$LC thread $M > $L.thread & echo "lc $!" >> $L; wait $!
sleep 30 & p=$!; echo "sleep $p" >> $L
while read pid com st rest < /proc/$p/stat && [ "$com $st" != "(sleep) S" ]; do :; done
kill -9 $p; wait $p 2>/dev/null; echo "sleepstatus $?" >> $L
exit 4
`,
);

interface Run {
  out: string; // what the terminal (or the pipe) showed
  code: number;
  log: Record<string, number>; // ground truth: the script's log
  tid: number; // the thread the fixture created
  m: string;
  args: string[]; // the script's argv after /bin/sh
}

/** Run `argv` in a pty of `cols` columns (script(1)), or with stdout and stderr on one pipe. */
function spawnIn(argv: string[], cols: number | null, env: Record<string, string> = {}): { out: string; code: number } {
  const quoted = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const e = { ...process.env, ...env } as Record<string, string>;
  if (!("NO_COLOR" in env)) delete e.NO_COLOR;
  const cmd =
    cols === null
      ? ["/bin/sh", "-c", `exec ${quoted} 2>&1`]
      : ["script", "-qec", `stty cols ${cols} rows 60; exec ${quoted}`, "/dev/null"];
  const r = Bun.spawnSync(cmd, { env: e, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  expect(r.stderr.toString()).toBe("");
  // script's own exit status is the command's (-e)
  return { out: r.stdout.toString().replaceAll("\r\n", "\n"), code: r.exitCode ?? -1 };
}

function workload(tracerArgs: string[], cols: number | null, env: Record<string, string> = {}): Run {
  const m = marker("screen");
  const logFile = join(dir, m);
  const args = [SCRIPT, logFile, m, lifecycle];
  const { out, code } = spawnIn([TRACER, ...tracerArgs, "--", "/bin/sh", ...args], cols, env);
  const log: Record<string, number> = {};
  for (const l of readFileSync(logFile, "utf8").trim().split("\n")) {
    const [k, v] = l.split(" ");
    log[k!] = Number(v);
  }
  const tid = Number(/tid=(\d+)/.exec(readFileSync(logFile + ".thread", "utf8"))![1]);
  expect(log.env1status).toBe(127);
  expect(log.sh3status).toBe(3);
  expect(log.sleepstatus).toBe(128 + 9);
  return { out, code, log, tid, m, args };
}

/* An expected line: fixed text, with TIME and DUR standing for values the workload cannot know. */
const TIME = "\u0001";
const DUR = "\u0002";

/** The expected table (header first) of a run, from its ground truth. */
function expected(
  r: Run,
  o: { failures?: boolean } = {},
): { text: string; failure: boolean; signal?: boolean; quiet?: boolean }[] {
  const { log, m, tid } = r;
  const line = (pid: number, event: string, what: string) =>
    `${TIME} ${String(pid).padStart(7)} root     ${event.padEnd(8)} ${what}`;
  const root = ["/bin/sh", ...r.args].join(" ");
  const env1 = `env PATH=/nonexist-a:/nonexist-b:/nonexist-c nosuch-${m}`;
  const all = [
    { text: line(log.root!, "exec", `${root}  [/usr/bin/dash]`), failure: false },
    { text: line(log.root!, "fork", `child ${log.true}`), failure: false },
    { text: line(log.true!, "exec", `/bin/true ${m}`), failure: false },
    { text: line(log.true!, "exit 0", `/bin/true ${m}  ${DUR}`), failure: false },
    { text: line(log.root!, "fork", `child ${log.env1}`), failure: false },
    { text: line(log.env1!, "exec", env1), failure: false },
    { text: line(log.env1!, "execfail", `nosuch-${m}: not found in PATH (ENOENT ×3)`), failure: true },
    { text: line(log.env1!, "exit 127", `${env1}  ${DUR}`), failure: true },
    { text: line(log.root!, "fork", `child ${log.env2}`), failure: false },
    { text: line(log.env2!, "exec", `env PATH=/nonexist-a:/usr/bin true ${m}`), failure: false },
    { text: line(log.env2!, "lookup", "true → /usr/bin/true (ENOENT ×1)"), failure: false },
    { text: line(log.env2!, "exec", `true ${m}`), failure: false },
    { text: line(log.env2!, "exit 0", `true ${m}  ${DUR}`), failure: false },
    { text: line(log.root!, "fork", `child ${log.sh3}`), failure: false },
    { text: line(log.sh3!, "exec", `sh -c 'exit 3'  [/usr/bin/dash]`), failure: false },
    { text: line(log.sh3!, "exit 3", `sh -c 'exit 3'  ${DUR}`), failure: true },
    { text: line(log.root!, "fork", `child ${log.lc}`), failure: false },
    { text: line(log.lc!, "exec", `${lifecycle} thread ${m}`), failure: false },
    { text: line(log.lc!, "thread", `${tid} started`), failure: false, quiet: true },
    { text: line(log.lc!, "thread", `${tid} ended`), failure: false, quiet: true },
    { text: line(log.lc!, "exit 0", `${lifecycle} thread ${m}  ${DUR}`), failure: false },
    { text: line(log.root!, "fork", `child ${log.sleep}`), failure: false },
    { text: line(log.sleep!, "exec", "sleep 30"), failure: false },
    { text: line(log.sleep!, "SIGKILL", `sleep 30  ${DUR}`), failure: true, signal: true },
    { text: line(log.root!, "exit 4", `${root}  ${DUR}`), failure: true },
  ];
  return o.failures ? all.filter((l) => l.failure) : all;
}

/** The summary line expected from the ground truth. */
function expectedSummary(): RegExp {
  // root, true, env1, env2, sh3, lifecycle, sleep: 7 processes; 8 execs; env1's search found
  // nothing (1 failed exec), env2's found true; non-zero: env1 127, sh3 3, root 4; sleep killed
  return /^tracer: 7 processes, 8 execs, 1 failed exec, 3 non-zero exits, 1 killed by a signal, [\d.]+ m?s$/;
}

const ESC = /\x1b\[[\d;]*m/g;

/** Columns of TIME, PID, USER and EVENT with their spaces; 10 more of the command are kept
 * before a row's tail when the row is cut. */
const lead = (tod: boolean) => (tod ? 12 : 8) + 27;

/**
 * Does `actual` show `exp` as the table does at `width` (null: full lines)? TIME and DUR match
 * what the run printed there (checked for their form); a line too wide must be the expected line
 * cut to the width with "…" before its tail (an exit's run time, a failed exec's reason), which is
 * kept whole while 10 columns of the command are left, else cut too.
 */
function same(actual: string, exp: string, width: number | null, tod: boolean) {
  const time = actual.slice(0, tod ? 12 : 8);
  expect(time).toMatch(tod ? /^\d\d:\d\d:\d\d\.\d{3}$/ : /^ *\d+\.\d{3}$/);
  let full = time + exp.slice(1);
  let tailAt = / execfail /.test(full) ? full.indexOf(": ", lead(tod)) : -1;
  if (full.includes(DUR)) {
    const before = full.slice(0, full.indexOf(DUR));
    const dur = / {2}(\d+(?:\.\d)? ms|\d+\.\d\d s|\d+m\d\ds)$/.exec(actual);
    if (dur) {
      tailAt = before.length - 2; // "  " and the run time
      full = before.slice(0, tailAt) + dur[0];
    } else {
      // cut with its tail (too little room for the command): where the run cut it
      expect(width !== null && actual.endsWith("…")).toBe(true);
      full = before + actual.slice(before.length, -1) + "x".repeat(width!);
      tailAt = -1;
    }
  }
  const cut = (w: number) =>
    tailAt < 0 ? fit(full, w) : fitKeeping(full.slice(0, tailAt), full.slice(tailAt), w, lead(tod) + 10);
  expect(actual).toBe(width === null ? full : cut(width));
}

/** Check a screen: header, the expected lines in order, the summary; colour as asked. */
function check(
  screen: string,
  r: Run,
  o: { width: number | null; tod: boolean; color: boolean; failures?: boolean; live: boolean },
) {
  let lines = screen.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (o.live) {
    expect(lines[0]).toBe("ready");
    lines = lines.slice(1);
  }
  // the summary ends it: on a terminal broken after a comma to fit (before: 88 columns at 80, the
  // terminal broke it mid-word), the next lines indented under its first count
  const sumAt = lines.findIndex((l) => /^tracer: \d+ process/.test(l));
  expect(sumAt).toBeGreaterThan(0);
  const sum = lines.splice(sumAt);
  if (o.width !== null) for (const l of sum) expect(Bun.stringWidth(l)).toBeLessThanOrEqual(o.width);
  for (const l of sum.slice(1)) expect(l).toMatch(/^ {8}\S/);
  expect(sum.map((l) => l.trim()).join(" ")).toMatch(expectedSummary());
  // a -- COMMAND run ends with the critical path just before the summary; on a terminal broken
  // after an arrow to fit (the next lines indented as the summary's), every step keeping its own
  // time and share (before: cut at 80 columns inside its first step's command, no time at all)
  const cp = lines.findIndex((l) => l.startsWith("tracer: critical path ("));
  if (o.live) expect(cp).toBeGreaterThan(0);
  if (cp >= 0) {
    const path = lines.splice(cp);
    if (o.width !== null) for (const l of path) expect(Bun.stringWidth(l)).toBeLessThanOrEqual(o.width);
    for (const l of path.slice(1)) expect(l).toMatch(/^ {8}\S/);
    const text = path.map((l) => l.trim()).join(" ");
    const head = /^tracer: critical path \((\d+) processes\): /.exec(text)!;
    const steps = text.slice(head[0].length).split(" → ");
    expect(steps.length).toBe(Math.min(3, Number(head[1])));
    for (const step of steps) expect(step).toMatch(/\S (\d+(\.\d+)? m?s|\d+m\d\ds) (\d+\.\d|100)%$/);
  }
  const exp = expected(r, { failures: o.failures });
  const header = (o.tod ? "TIME".padEnd(12) : " TIME(s)") + "     PID USER     EVENT    COMMAND";
  expect(lines[0]).toBe(o.width === null ? header : fit(header, o.width));
  const body = lines.slice(1);
  if (body.length !== exp.length) console.error(screen); // what differs, for the log
  expect(body.length).toBe(exp.length);
  body.forEach((l, i) => {
    const plain = l.replace(ESC, "");
    same(plain, exp[i]!.text, o.width, o.tod);
    if (o.width !== null) expect(Bun.stringWidth(plain)).toBeLessThanOrEqual(o.width);
    // colour: failures red, a signal bold red, threads dim, the rest plain; none without colour
    const e = exp[i]!;
    const want = !o.color ? "" : e.signal ? "\x1b[1;31m" : e.failure ? "\x1b[31m" : e.quiet ? "\x1b[2m" : "";
    expect(l.startsWith("\x1b") ? l.slice(0, l.indexOf("m") + 1) : "").toBe(want);
  });
}

describe("live table, -- COMMAND", () => {
  for (const cols of [80, 200]) {
    test(`a terminal of ${cols} columns: lines fit, relative times, colour, summary`, () => {
      const r = workload([], cols);
      expect(r.code).toBe(4);
      check(r.out, r, { width: cols, tod: false, color: true, live: true });
    });
  }
  test("NO_COLOR on a terminal: no colour", () => {
    const r = workload([], 200, { NO_COLOR: "1" });
    check(r.out, r, { width: 200, tod: false, color: false, live: true });
  });
  test("a pipe: full lines, time of day, no colour, summary", () => {
    const r = workload([], null);
    expect(r.code).toBe(4);
    check(r.out, r, { width: null, tod: true, color: false, live: true });
  });
  test("-w on an 80-column terminal: full lines", () => {
    const r = workload(["-w"], 80);
    check(r.out, r, { width: null, tod: false, color: true, live: true });
  });
  test("--failures: only what failed, and the summary of everything", () => {
    const r = workload(["--failures"], 200);
    check(r.out, r, { width: 200, tod: false, color: true, failures: true, live: true });
  });
});

describe("tracer show FILE.jsonl", () => {
  const file = join(dir, "t.jsonl");
  let r: Run;
  test("a run saved with --json -o prints only ready and the summary", () => {
    r = workload(["--json", "-o", file], null);
    const [ready, path, sum, ...rest] = r.out.split("\n");
    expect([ready, rest]).toEqual(["ready", [""]]);
    expect(path).toMatch(/^tracer: critical path \(\d+ processes\): /);
    expect(sum).toMatch(expectedSummary());
  });
  for (const cols of [80, 200]) {
    test(`a terminal of ${cols} columns`, () => {
      const s = spawnIn([TRACER, "show", file], cols);
      expect(s.code).toBe(0);
      check(s.out, r, { width: cols, tod: false, color: true, live: false });
    });
  }
  test("a pipe, --failures: time of day, as a live run's table to a pipe", () => {
    const s = spawnIn([TRACER, "show", "--failures", file], null);
    check(s.out, r, { width: null, tod: true, color: false, failures: true, live: false });
  });
  test("--tree: the process tree, each process as it ended", () => {
    const s = spawnIn([TRACER, "show", "--tree", file], null);
    const { log, m, tid: _ } = r;
    const root = ["/bin/sh", ...r.args].join(" ");
    expect(s.out).toBe(
      [
        `${log.root} ${root} [exit 4]`,
        `├─ ${log.true} /bin/true ${m} [exit 0]`,
        `├─ ${log.env1} env PATH=/nonexist-a:/nonexist-b:/nonexist-c nosuch-${m} ⟶ nosuch-${m} [exec failed: ENOENT ×3] [exit 127]`,
        `├─ ${log.env2} env PATH=/nonexist-a:/usr/bin true ${m} ⟶ true ${m} [exit 0]`,
        `├─ ${log.sh3} sh -c 'exit 3' [exit 3]`,
        `├─ ${log.lc} ${lifecycle} thread ${m} [exit 0]`,
        `└─ ${log.sleep} sleep 30 [killed by SIGKILL]`,
      ].join("\n") +
        "\n" +
        s.out.split("\n").at(-2) +
        "\n",
    );
    expect(s.out.split("\n").at(-2)).toMatch(expectedSummary());
  });
  test("docs/usage.md's jq recipes give what the workload did", () => {
    const readme = readFileSync(join(import.meta.dir, "..", "..", "docs", "usage.md"), "utf8");
    const block = readme.slice(readme.indexOf("With jq (each recipe")).split("```")[1]!;
    const recipes = block.split("\n").filter((l) => l.startsWith("jq "));
    expect(recipes.length).toBe(4);
    const run = (recipe: string) => {
      const q = Bun.spawnSync(["/bin/sh", "-c", recipe.replace(/out\.jsonl$/, `'${file}'`)], {
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(q.stderr.toString()).toBe("");
      return q.stdout.toString().trimEnd().split("\n");
    };
    const { log, m } = r;
    const rootArgv = ["/bin/sh", ...r.args];
    const env1 = ["env", "PATH=/nonexist-a:/nonexist-b:/nonexist-c", `nosuch-${m}`];
    const env2 = ["env", "PATH=/nonexist-a:/usr/bin", "true", m];
    expect(run(recipes[0]!).map((l) => JSON.parse(l))).toEqual([
      [log.root, rootArgv],
      [log.true, ["/bin/true", m]],
      [log.env1, env1],
      [log.env2, env2],
      [log.env2, ["true", m]],
      [log.sh3, ["sh", "-c", "exit 3"]],
      [log.lc, [lifecycle, "thread", m]],
      [log.sleep, ["sleep", "30"]],
    ]);
    expect(run(recipes[1]!).map((l) => JSON.parse(l))).toEqual([
      [log.env1, 127, 0, env1],
      [log.sh3, 3, 0, ["sh", "-c", "exit 3"]],
      [log.sleep, 9, 9, ["sleep", "30"]],
      [log.root, 4, 0, rootArgv],
    ]);
    expect(run(recipes[2]!).map((l) => JSON.parse(l))).toEqual([
      ...["a", "b", "c"].map((d) => ["ENOENT", `/nonexist-${d}/nosuch-${m}`, [`nosuch-${m}`]]),
      ["ENOENT", "/nonexist-a/true", ["true", m]],
    ]);
    expect(run(recipes[3]!)).toEqual(
      ["true", "env1", "env2", "sh3", "lc", "sleep"].map((k) => `${log.root} ${log[k]}`),
    );
  });

  test("a line that is not an event: one line naming it, exit 1", () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, readFileSync(file, "utf8").split("\n").slice(0, 2).join("\n") + "\n{oops\n");
    const s = spawnIn([TRACER, "show", bad], null);
    expect(s.code).toBe(1);
    expect(s.out.split("\n").at(-2)).toMatch(/^tracer: line 3: not JSON/);
  });
});
