// Invisible and reordering characters (byte order mark, bidi controls, zero-width characters, other
// format characters: Unicode category Cf) in what a traced process controls never reach a person's
// screen raw: the table at 80 columns in a real terminal, --failures, --tree, the job summary,
// `tracer show`; each is shown escaped, and the JSON keeps the exact text.
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arg, parseLine, TRACER } from "./harness";

const dir = mkdtempSync(join(tmpdir(), "tracer-spoof-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each character the terminal must not get raw, with the escape it is shown as. */
const SPOOF: [string, string][] = [
  ["\ufeff", "\\ufeff"], // byte order mark
  ["\u202a", "\\u202a"],
  ["\u202b", "\\u202b"],
  ["\u202c", "\\u202c"],
  ["\u202d", "\\u202d"],
  ["\u202e", "\\u202e"],
  ["\u2066", "\\u2066"],
  ["\u2067", "\\u2067"],
  ["\u2068", "\\u2068"],
  ["\u2069", "\\u2069"],
  ["\u200e", "\\u200e"],
  ["\u200f", "\\u200f"],
  ["\u061c", "\\u061c"],
  ["\u200b", "\\u200b"],
  ["\u200c", "\\u200c"],
  ["\u200d", "\\u200d"],
  ["\u2060", "\\u2060"],
  ["\u00ad", "\\u00ad"],
  ["\u2064", "\\u2064"],
  ["\u{e0041}", "\\U000e0041"], // soft hyphen, invisible plus, a tag character
];
/** Any format character, or line/paragraph separator, anywhere. */
const RAW = /[\p{Cf}\u2028\u2029]/u;

// The workload: one /bin/true per character (short rows, not cut at 80 columns), a failed exec
// and a non-zero exit carrying them too (for --failures), and a program whose own name (so its
// comm) has one, which forks a child that never execs (--tree shows that child by its comm).
const SPOOFED_SH = join(dir, "s\u202eh");
copyFileSync("/bin/dash", SPOOFED_SH);
const SCRIPT = join(dir, "w.sh");
writeFileSync(
  SCRIPT,
  [
    ...SPOOF.map(([c], i) => `/bin/true x${i}${c}y`),
    `./nosuch\u202egnp.exe 2>/dev/null`,
    `/bin/sh -c 'exit 3' 'z\u2066w'`,
    // the child's loop makes it the longest step of the run: the critical path names it
    `'${SPOOFED_SH}' -c '( i=0; while [ $i -lt 40000 ]; do i=$((i+1)); done ) ; exit 0'`,
    "exit 0",
    "",
  ].join("\n"),
);

const ENV = { PATH: "/usr/bin:/bin", TERM: "xterm" };

/** The tracer in a pseudo-terminal of 80 columns (script(1)); what the terminal got. */
function onScreen(args: string[], env: Record<string, string> = {}): string {
  const quoted = [TRACER, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const r = Bun.spawnSync(["script", "-qec", `stty cols 80 rows 60; exec ${quoted}`, "/dev/null"], {
    cwd: dir,
    env: { ...ENV, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(r.stderr.toString()).toBe("");
  expect(r.exitCode).toBe(0);
  return r.stdout.toString();
}

function shownEscaped(out: string, escapes: string[]) {
  const raw = [...out].filter((c) => RAW.test(c)).map((c) => c.codePointAt(0)!.toString(16));
  expect(raw).toEqual([]);
  for (const e of escapes) expect(out).toContain(e);
}

describe("format characters from traced processes are escaped for people, exact in JSON", () => {
  const trace = join(dir, "t.jsonl");

  test("the table at 80 columns, the tree and the job summary show every one escaped", () => {
    const summary = join(dir, "summary.md");
    writeFileSync(summary, "");
    const out = onScreen(["--tree", "-", "--", "/bin/sh", SCRIPT], { GITHUB_STEP_SUMMARY: summary });
    shownEscaped(out, [...SPOOF.map(([, e]) => e), "(s\\u202eh)"]);
    const md = readFileSync(summary, "utf8");
    expect(md).toContain("exit 3"); // the summary lists the failure
    shownEscaped(md, ["z\\u2066w"]);
    // the child that never exec'd, by its comm: in the critical path line and the Gantt chart
    expect(md).toMatch(/Critical path `[^`\n]*s\\u202eh/);
    expect(md).toMatch(/\n\s*s\\u202eh \(own /);
  });

  test("--failures shows the failed exec and the exit escaped", () => {
    const out = onScreen(["--failures", "--", "/bin/sh", SCRIPT]);
    shownEscaped(out, ["nosuch\\u202egnp.exe", "z\\u2066w"]);
  });

  test("JSON keeps them exact; tracer show --tree and --failures escape them", () => {
    onScreen(["--json", "-o", trace, "--", "/bin/sh", SCRIPT]);
    const execs = readFileSync(trace, "utf8")
      .trim()
      .split("\n")
      .map(parseLine)
      .filter((e) => e.eventName === "sched_process_exec");
    const argvs = execs.map((e) => arg(e, "argv") as string[]);
    for (const [i, [c]] of SPOOF.entries()) expect(argvs).toContainEqual(["/bin/true", `x${i}${c}y`]);
    expect(argvs).toContainEqual(["/bin/sh", "-c", "exit 3", "z\u2066w"]);
    shownEscaped(onScreen(["show", "--tree", trace]), [...SPOOF.map(([, e]) => e), "(s\\u202eh)"]);
    shownEscaped(onScreen(["show", "--failures", trace]), ["nosuch\\u202egnp.exe", "z\\u2066w"]);
  });
});
