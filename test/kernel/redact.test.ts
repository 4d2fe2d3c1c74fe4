// Redaction against the real kernel: a program (test/fixtures/argv-report.c) run once per rule
// with a fresh secret reports the argv the kernel gave it; under the tracer, the secret's bytes
// must appear in no output of any kind (-o JSON, a NATS stream, --tree, --attest, --profile, --timeline, show --html, the GitHub step
// summary, stdout and stderr, the table, tracer show), every other byte of argv must be what the
// program received, and the event must name the rule. A --no-redact run of the same workload is
// the control: there every secret is in the JSON. And a real C build (test/fixtures/ci-build)
// comes out with nothing redacted.
import { NatsServer } from "../nats/server";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arg, fixture, parseLine, ROOT, TRACER, type Json } from "./harness";
import { encodeBytes } from "../../src/decode/text";

const MARK = "[REDACTED]";
const alnum = (n: number, set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") =>
  Array.from({ length: n }, () => set[Math.floor(Math.random() * set.length)]).join("");
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0234567"; // no 1: the secrets must not look alike by chance

/** One rule's case: the program (a copy of argv-report under this name), its arguments with the
 * secret in them, the environment it adds, and the rule the event must name. `around` is what
 * the redacted bytes must be inside the argument: the secret itself unless said. */
interface Case {
  rule: string;
  secret: string;
  prog?: string;
  args: (s: string) => string[];
  env?: (s: string) => Record<string, string>;
  redacted?: (s: string) => string; // the exact run of characters replaced (default: the secret)
  field?: "argv" | "env";
}

const S = () => "Zq" + alnum(18);
const CASES: Case[] = [
  { rule: "option", secret: S(), args: (s) => ["--password=" + s, "keep"] },
  { rule: "option", secret: S(), args: (s) => ["--api-key", s, "--verbose"] },
  { rule: "option", secret: S(), args: (s) => ["-Ddb.password=" + s] },
  { rule: "mysql-p", secret: S(), prog: "mysql", args: (s) => ["-uroot", "-p" + s, "shop"] },
  { rule: "sshpass-p", secret: S(), prog: "sshpass", args: (s) => ["-p", s, "ssh", "-p", "22", "host"] },
  { rule: "curl-user", secret: S(), prog: "curl", args: (s) => ["-u", "admin:" + s, "-sS", "http://host.invalid/"] },
  {
    rule: "authorization",
    secret: S(),
    prog: "curl",
    args: (s) => ["-H", "Authorization: Bearer " + s, "http-host.invalid"],
  },
  { rule: "authorization", secret: S(), args: (s) => ["--header=Proxy-Authorization: Basic " + s] },
  { rule: "url-password", secret: S(), args: (s) => ["clone", "https://user:" + s + "@git.example/r.git"] },
  { rule: "url-userinfo", secret: S(), args: (s) => ["https://" + s + "@git.example/r.git"] },
  { rule: "aws-key-id", secret: "AKIA" + alnum(16, UPPER), args: (s) => ["--id", s] },
  { rule: "aws-key-id", secret: "ASIA" + alnum(16, UPPER), args: (s) => ["x" + " " + s] },
  { rule: "github-token", secret: "ghp_" + alnum(36), args: (s) => ["-t", s] },
  { rule: "github-token", secret: "github_pat_" + alnum(40), args: (s) => ["tok=" + s] },
  { rule: "slack-token", secret: "xoxb-" + alnum(12) + "-" + alnum(20), args: (s) => ["post", s] },
  {
    rule: "private-key",
    secret: alnum(40),
    args: (s) => ["-----BEGIN RSA PRIVATE KEY-----\n" + s + "\n-----END RSA PRIVATE KEY-----"],
    redacted: (s) => "\n" + s + "\n",
  },
  { rule: "jwt", secret: "eyJ" + alnum(20) + "." + alnum(30) + "." + alnum(20), args: (s) => ["--jwt-thing", "x", s] },
  { rule: "assignment", secret: S(), args: (s) => ["DB_PASSWORD=" + s, "make"] },
  { rule: "redact-1", secret: S(), args: (s) => ["ticket-" + s + "-end"] },
  { rule: "env-name", secret: S(), args: () => ["env-case"], env: (s) => ({ MY_SERVICE_TOKEN: s }), field: "env" },
  { rule: "redact-env", secret: S(), args: () => ["env-glob-case"], env: (s) => ({ CUSTOMVAR_X: s }), field: "env" },
];
const REDACT = ["--redact", "ticket-(\\w+)-end", "--redact-env", "CUSTOMVAR_*"];

let top: string;
let report: string; // what the programs of the JSON run said of themselves
let exe: string;
beforeAll(() => {
  top = mkdtempSync(join(tmpdir(), "tracer-redact-"));
  exe = fixture("argv-report");
  for (const name of ["mysql", "sshpass", "curl"]) copyFileSync(exe, join(top, name));
  for (const name of ["mysql", "sshpass", "curl"]) chmodSync(join(top, name), 0o755);
});
afterAll(() => rmSync(top, { recursive: true, force: true }));

/** The workload: each case's program, then a failed exec with the first case's secret, and an
 * argument with bytes that are not UTF-8 around a URL password (the last two cases' secrets
 * are the first's and a fresh one, checked below). */
const NON_UTF8 = S();
function script(): string {
  const q = (s: string) => "'" + s.replace(/'/g, "'\\''") + "'";
  const lines = ["#!/bin/sh", "P=$1"];
  for (const c of CASES) {
    const env = Object.entries(c.env?.(c.secret) ?? {})
      .map(([k, v]) => `${k}=${q(v)} `)
      .join("");
    const prog = c.prog ? join(top, c.prog) : exe;
    lines.push(`${env}${q(prog)} ${c.args(c.secret).map(q).join(" ")}`);
  }
  lines.push(`${q(exe)} "$(printf '\\377\\376')https://u:${NON_UTF8}@h.invalid/$(printf '\\376')" tail`);
  lines.push(`${q(join(top, "missing-program"))} --password=${q(CASES[0]!.secret)} || true`);
  return lines.join("\n") + "\n";
}

/** What each argv-report run said of itself: pid → argv bytes. */
function reports(file: string): Map<number, Buffer[]> {
  const out = new Map<number, Buffer[]>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^pid=(\d+) ppid=\d+ comm=\w* exe=\w* argv=(.*)$/.exec(line);
    if (m)
      out.set(
        Number(m[1]),
        m[2]!.split(",").map((h) => Buffer.from(h, "hex")),
      );
  }
  return out;
}

/** Every file under dir and what the runs wrote to their streams. */
function everything(dir: string, streams: string[]): Buffer[] {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => readFileSync(join(d.parentPath, d.name)));
  return [...files, ...streams.map((s) => Buffer.from(s))];
}

/** The workload under the tracer, in dir; the programs report to top/REPORT. */
function run(dir: string, args: string[], reportName: string, env: Record<string, string> = {}) {
  const p = Bun.spawnSync([TRACER, ...args, "--", "sh", join(top, "work.sh")], {
    cwd: dir,
    env: { PATH: "/usr/bin:/bin", ARGV_REPORT: join(top, reportName), ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

describe("every default rule, and --redact, --redact-env, on a real program's argv and env", () => {
  let outDir: string;
  let lines: Json[];
  const streams: string[] = [];
  beforeAll(async () => {
    writeFileSync(join(top, "work.sh"), script());
    outDir = join(top, "out");
    cpSync(join(ROOT, "test", "fixtures", "ci-build"), outDir, { recursive: true }); // a directory for the run's files
    report = join(top, "report-json");
    const a = run(
      outDir,
      [
        "--json",
        "-o",
        "trace.jsonl",
        "--env",
        ...REDACT,
        "--tree",
        "tree.txt",
        "--attest",
        "att.json",
        "--profile",
        "profile.json",
        "--timeline",
        "timeline.json",
      ],
      "report-json",
      { GITHUB_STEP_SUMMARY: join(outDir, "summary.md") },
    );
    expect(a.code).toBe(0);
    streams.push(a.out, a.err);
    const b = run(outDir, ["-w", "-o", "table.txt", "--env", ...REDACT], "report-table"); // the table
    streams.push(b.out, b.err);
    const c = run(outDir, ["--env", ...REDACT], "report-stderr"); // the table on stderr (COMMAND has stdout)
    streams.push(c.out, c.err);
    // the stream: what a real nats-server holds after a --nats run, read back with its own client
    const server = await NatsServer.create();
    try {
      await server.start();
      const d = run(
        outDir,
        ["--json", "--env", ...REDACT, "--nats", server.url, "--nats-stream", "TRACE"],
        "report-nats",
      );
      expect(d.code).toBe(0);
      streams.push(d.out, d.err);
      const msgs = await server.messages("TRACE");
      expect(msgs.length).toBeGreaterThan(CASES.length); // every case's exec at least
      streams.push(...msgs.map((m) => m.data));
    } finally {
      await server.stop();
    }
    for (const view of [[], ["--tree"], ["--failures"], ["--html", join(outDir, "report.html")], ["--critical-path"]]) {
      const s = Bun.spawnSync([TRACER, "show", ...view, join(outDir, "trace.jsonl")], {
        stdout: "pipe",
        stderr: "pipe",
      });
      streams.push(s.stdout.toString(), s.stderr.toString());
    }
    lines = readFileSync(join(outDir, "trace.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l)
      .map(parseLine);
  });

  test("no secret's bytes in any file or stream the runs wrote; the outputs are there", () => {
    for (const f of [
      "trace.jsonl",
      "tree.txt",
      "att.json",
      "profile.json",
      "timeline.json",
      "report.html",
      "summary.md",
      "table.txt",
    ])
      expect(existsSync(join(outDir, f))).toBe(true);
    const all = everything(outDir, streams);
    for (const secret of [...CASES.map((c) => c.secret), NON_UTF8]) {
      for (const b of all) expect(b.includes(Buffer.from(secret))).toBe(false);
    }
    expect(streams.join("").includes(MARK)).toBe(true); // the table and show say it
  });

  test("every argument byte for byte what the program received, the secret's run replaced, the rule named", () => {
    const seen = reports(report);
    let checked = 0;
    for (const c of CASES) {
      const execs = lines.filter(
        (e) =>
          e.eventName === "sched_process_exec" &&
          seen.has(e.hostProcessId) &&
          seen.get(e.hostProcessId)!.some((a) => a.includes(Buffer.from(c.secret))),
      );
      const envExecs =
        c.field === "env"
          ? lines.filter(
              (e) => e.eventName === "sched_process_exec" && (arg(e, "argv") as string[]).includes(c.args("")[0]!),
            )
          : [];
      const [e] = c.field === "env" ? envExecs : execs;
      expect(e).toBeDefined();
      const got = (arg(e!, c.field ?? "argv") as string[]).map((s) => Buffer.from(encodeBytes(s)));
      if (c.field === "env") {
        const k = Object.keys(c.env!(c.secret))[0]!;
        const i = got.findIndex((b) => b.toString("latin1").startsWith(k + "="));
        expect(got[i]!.toString()).toBe(`${k}=${MARK}`);
        expect(arg(e!, "redacted")).toContain(`env[${i}]:${c.rule}`);
      } else {
        const want = seen.get(e!.hostProcessId)!;
        expect(got.length).toBe(want.length);
        const run = Buffer.from((c.redacted ?? ((s: string) => s))(c.secret));
        for (let i = 0; i < want.length; i++) {
          const k = want[i]!.indexOf(run);
          const expected =
            k < 0
              ? want[i]!
              : Buffer.concat([want[i]!.subarray(0, k), Buffer.from(MARK), want[i]!.subarray(k + run.length)]);
          expect(got[i]!.equals(expected)).toBe(true);
          if (k >= 0) expect(arg(e!, "redacted")).toContain(`argv[${i}]:${c.rule}`);
        }
      }
      checked++;
    }
    expect(checked).toBe(CASES.length);
  });

  test("bytes that are not UTF-8 around a secret come back exactly", () => {
    const seen = reports(report);
    const e = lines.find(
      (x) =>
        x.eventName === "sched_process_exec" &&
        seen.get(x.hostProcessId)?.some((a) => a.includes(Buffer.from(NON_UTF8))),
    )!;
    const want = seen.get(e.hostProcessId)![1]!;
    expect(want[0]).toBe(0xff);
    const k = want.indexOf(Buffer.from(NON_UTF8));
    expect(
      Buffer.from(encodeBytes((arg(e, "argv") as string[])[1]!)).equals(
        Buffer.concat([want.subarray(0, k), Buffer.from(MARK), want.subarray(k + NON_UTF8.length)]),
      ),
    ).toBe(true);
    expect(arg(e, "redacted")).toEqual(["argv[1]:url-password"]);
  });

  test("a failed exec's arguments too", () => {
    const f = lines.find(
      (x) => x.eventName === "process_execute_failed" && (arg(x, "arguments") as string[])[1] === `--password=${MARK}`,
    )!;
    expect(f).toBeDefined();
    expect(arg(f, "redacted")).toEqual(["arguments[1]:option"]);
  });

  test("control: with --no-redact (and no rule added) every secret is in the JSON", () => {
    const dir = join(top, "control");
    cpSync(join(ROOT, "test", "fixtures", "ci-build"), dir, { recursive: true });
    const r = run(
      dir,
      ["--json", "-o", "t.jsonl", "--env", "--no-redact", "--tree", "tree.txt", "--attest", "att.json"],
      "report-control",
      { GITHUB_STEP_SUMMARY: join(dir, "summary.md") },
    );
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, "t.jsonl"));
    for (const secret of [...CASES.map((c) => c.secret), NON_UTF8])
      expect(text.includes(Buffer.from(secret))).toBe(true);
    expect(text.includes(Buffer.from(MARK))).toBe(false);
    // each output the redacted run was searched in would have carried secrets
    for (const f of ["tree.txt", "att.json", "summary.md"])
      expect(CASES.some((c) => readFileSync(join(dir, f)).includes(Buffer.from(c.secret)))).toBe(true);
    // and tracer show redacts such a trace by default, --no-redact shows it as it is
    const shown = Bun.spawnSync([TRACER, "show", "-w", join(dir, "t.jsonl")], { stdout: "pipe", stderr: "pipe" });
    for (const c of CASES.filter((x) => x.field !== "env" && !x.rule.startsWith("redact")))
      expect(shown.stdout.includes(Buffer.from(c.secret))).toBe(false);
    const raw = Bun.spawnSync([TRACER, "show", "-w", "--no-redact", join(dir, "t.jsonl")], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(raw.stdout.includes(Buffer.from(CASES[0]!.secret))).toBe(true);
  });
});

describe("no false positives", () => {
  test("a real C build (test/fixtures/ci-build) with the defaults on: nothing redacted", () => {
    const dir = join(top, "build");
    cpSync(join(ROOT, "test", "fixtures", "ci-build"), dir, { recursive: true });
    const p = Bun.spawnSync([TRACER, "--json", "-o", join(top, "build.jsonl"), "--", "make"], {
      cwd: dir,
      env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/root", LANG: "C" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(p.exitCode).toBe(0);
    const text = readFileSync(join(top, "build.jsonl"), "utf8");
    const execs = text
      .split("\n")
      .filter((l) => l)
      .map(parseLine)
      .filter((e) => e.eventName === "sched_process_exec");
    expect(execs.some((e) => /(^|\/)(cc1|as|ld|collect2)$/.test(e.executable.path))).toBe(true);
    for (const e of execs) expect(arg(e, "redacted")).toEqual([]);
    expect(text.includes(MARK)).toBe(false);
  });

  test("npm ci of a small project (a registry dependency, a postinstall script) with the defaults on: nothing redacted", () => {
    const dir = join(top, "npm-project");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({
        name: "tracer-npm-fixture",
        version: "1.0.0",
        private: true,
        dependencies: { "is-number": "7.0.0" },
        scripts: { postinstall: "node -p process.version" },
      }),
    );
    const env = { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", HOME: "/root", LANG: "C" };
    const lock = Bun.spawnSync(["npm", "install", "--package-lock-only", "--no-audit", "--no-fund"], {
      cwd: dir,
      env,
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(lock.exitCode).toBe(0);
    const p = Bun.spawnSync(
      [TRACER, "--json", "-o", join(top, "npm.jsonl"), "--", "npm", "ci", "--no-audit", "--no-fund"],
      { cwd: dir, env, stdout: "pipe", stderr: "pipe" },
    );
    expect(p.exitCode).toBe(0);
    expect(existsSync(join(dir, "node_modules", "is-number", "package.json"))).toBe(true); // it installed
    const text = readFileSync(join(top, "npm.jsonl"), "utf8");
    const execs = text
      .split("\n")
      .filter((l) => l)
      .map(parseLine)
      .filter((e) => e.eventName === "sched_process_exec");
    // npm itself and the postinstall script's node ran under the tracer
    expect(execs.some((e) => arg(e, "argv").join(" ").includes("npm ci --no-audit --no-fund"))).toBe(true);
    expect(execs.some((e) => arg(e, "argv").join(" ") === "node -p process.version")).toBe(true);
    for (const e of execs) expect(arg(e, "redacted")).toEqual([]);
    expect(text.includes(MARK)).toBe(false);
  });
});
