// parseArgs: every flag, defaults, bad values, unknown flags, the command after --, help/version.

import { emptyScope } from "../../src/load/scope.ts";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { helpText, parseArgs, parseShowArgs, parseSince, VERSION } from "../../src/session/cli.ts";
import { defaults, EVENT_NAMES, parseSize } from "../../src/session/config.ts";
import { InfoExit, UsageError } from "../../src/errors.ts";

function usage(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`no UsageError for ${JSON.stringify(argv)}`);
}

function info(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(InfoExit);
    return (err as InfoExit).text;
  }
  throw new Error(`no InfoExit for ${JSON.stringify(argv)}`);
}

describe("defaults", () => {
  test("no arguments", () => {
    expect(parseArgs([])).toEqual({
      format: "table",
      output: null,
      env: false,
      hash: false,
      maxArgsSize: 131072,
      events: [...EVENT_NAMES],
      bufferSize: 16 * 1024 * 1024,
      stats: false,
      verbose: false,
      command: [],
      user: null,
      scope: emptyScope(),
      execPath: { include: [], exclude: [] },
      containers: {
        sockets: {},
        filter: {
          name: { include: [], exclude: [] },
          image: { include: [], exclude: [] },
          pod: { include: [], exclude: [] },
        },
      },
      noThreads: false,
      tree: null,
      timeline: null,
      wide: false,
      failures: false,
      all: false,
      timeOfDay: false,
      ci: { attest: null, subjects: [], profile: null, baseline: null, failOnNew: null, baselineIgnore: [] },
      redact: { defaults: true, patterns: [], envGlobs: [] },
      ancestors: false,
      nats: null,
    });
    expect(parseArgs([])).toEqual(defaults());
  });
});

describe("each flag", () => {
  test("--json", () => expect(parseArgs(["--json"]).format).toBe("json"));
  test("--no-redact, --redact, --redact-env", () => {
    expect(parseArgs(["--no-redact", "--redact", "id=(\\d+)", "--redact=x", "--redact-env", "MY_*"]).redact).toEqual({
      defaults: false,
      patterns: ["id=(\\d+)", "x"],
      envGlobs: ["MY_*"],
    });
    expect(parseShowArgs(["--no-redact", "t.jsonl"]).redact.defaults).toBe(false);
    expect(() => parseArgs(["--redact", "a("])).toThrow(/--redact 'a\(': .*/);
    expect(() => parseArgs(["--redact-env="])).toThrow(UsageError);
  });
  test("--ancestors", () => expect(parseArgs(["--ancestors"]).ancestors).toBe(true));
  test("-o / --output / --output= / - for stdout", () => {
    expect(parseArgs(["-o", "out.json"]).output).toBe("out.json");
    expect(parseArgs(["--output", "a b.json"]).output).toBe("a b.json");
    expect(parseArgs(["--output=x=y"]).output).toBe("x=y");
    expect(parseArgs(["-o", "123"]).output).toBe("123"); // stays a string
    expect(parseArgs(["-o", "-"]).output).toBe("-"); // stdout, said explicitly (with COMMAND too)
    expect(parseArgs(["-o", "a", "-o", "b"]).output).toBe("b"); // last wins
  });
  test("--env", () => expect(parseArgs(["--env"]).env).toBe(true));
  test("--stats", () => expect(parseArgs(["--stats"]).stats).toBe(true));
  test("-v / --verbose", () => {
    expect(parseArgs(["-v"]).verbose).toBe(true);
    expect(parseArgs(["--verbose"]).verbose).toBe(true);
  });
  test("short flags combine", () => {
    const c = parseArgs(["-vo", "f"]);
    expect(c.verbose).toBe(true);
    expect(c.output).toBe("f");
  });
  test("--max-args-size with suffixes", () => {
    expect(parseArgs(["--max-args-size", "4096"]).maxArgsSize).toBe(4096);
    expect(parseArgs(["--max-args-size", "64K"]).maxArgsSize).toBe(65536);
    expect(parseArgs(["--max-args-size=512k"]).maxArgsSize).toBe(524288);
    expect(parseArgs(["--max-args-size", "256KiB"]).maxArgsSize).toBe(262144);
  });
  test("--buffer-size with suffixes", () => {
    expect(parseArgs(["--buffer-size", "1M"]).bufferSize).toBe(1048576);
    expect(parseArgs(["--buffer-size", "1G"]).bufferSize).toBe(1073741824);
    expect(parseArgs(["--buffer-size=524288"]).bufferSize).toBe(524288);
  });
  test("-e / --events", () => {
    expect(parseArgs(["-e", "sched_process_exit,sched_process_exec"]).events).toEqual([
      "sched_process_exec",
      "sched_process_exit",
    ]);
    expect(parseArgs(["--events", " sched_process_fork "]).events).toEqual(["sched_process_fork"]);
    expect(parseArgs(["-e", "sched_process_fork", "-e", "process_execute_failed"]).events).toEqual([
      "process_execute_failed",
      "sched_process_fork",
    ]);
    expect(parseArgs(["-e", "sched_process_fork,sched_process_fork"]).events).toEqual(["sched_process_fork"]);
  });
  test("everything after -- is the command, untouched", () => {
    expect(parseArgs(["--", "ls", "-l", "--json", "--"]).command).toEqual(["ls", "-l", "--json", "--"]);
    expect(parseArgs(["--json", "--", "sh", "-c", "echo hi"])).toMatchObject({
      format: "json",
      command: ["sh", "-c", "echo hi"],
    });
    expect(parseArgs(["--"]).command).toEqual([]);
    expect(parseArgs(["--", "--bogus"]).command).toEqual(["--bogus"]);
  });
});

describe("usage errors", () => {
  test("unknown flags", () => {
    expect(usage(["--bogus"])).toBe("unknown option '--bogus'");
    expect(usage(["--no-env"])).toBe("unknown option '--no-env'");
    expect(usage(["-x"])).toBe("unknown option '-x'");
    expect(usage(["-vx"])).toBe("unknown option '-x'");
    expect(usage(["--JSON"])).toBe("unknown option '--JSON'; did you mean --json?");
  });
  test("a mistyped long flag: the one it most likely meant", () => {
    expect(usage(["--jsno"])).toBe("unknown option '--jsno'; did you mean --json?");
    expect(usage(["--failure"])).toBe("unknown option '--failure'; did you mean --failures?");
    expect(usage(["--baselin", "b.json"])).toBe("unknown option '--baselin'; did you mean --baseline?");
    expect(usage(["--xyz"])).toBe("unknown option '--xyz'"); // nothing near: no guess
    expect(() => parseShowArgs(["--tre", "t.jsonl"])).toThrow("unknown option '--tre'; did you mean --tree?");
  });
  test("stray words: the command goes after --", () => {
    expect(usage(["ls"])).toContain("unexpected argument 'ls'");
    expect(usage(["--json", "ls", "-l"])).toContain("put it after --");
    expect(usage(["-"])).toContain("unexpected argument '-'");
  });
  test("missing or unwanted values", () => {
    expect(usage(["-o"])).toBe("-o needs a value");
    expect(usage(["--output", "--json"])).toBe("--output needs a value");
    expect(usage(["--output="])).toBe("--output needs a value");
    expect(usage(["--output", ""])).toBe("--output needs a file name");
    expect(usage(["-e"])).toBe("-e needs a value");
    expect(usage(["-ov", "x"])).toContain("must come last");
    expect(usage(["--json=true"])).toBe("--json does not take a value");
    expect(usage(["--max-args-size", "--", "x"])).toBe("--max-args-size needs a value");
  });
  test("bad sizes", () => {
    for (const bad of ["abc", "-1", "1.5K", "0x1000", "1e6", "1T", "", "K", "12 34"]) {
      expect(usage([`--max-args-size=${bad}`])).toMatch(/^--max-args-size/);
    }
    expect(usage(["--max-args-size", "1K"])).toBe("--max-args-size must be between 4K and 512K, not 1K");
    expect(usage(["--max-args-size", "1M"])).toBe("--max-args-size must be between 4K and 512K, not 1M");
    expect(usage(["--buffer-size", "3M"])).toBe("--buffer-size must be a power of two, e.g. 2M or 4M, not 3M");
    expect(usage(["--buffer-size", "4K"])).toContain("between 64K and 1024M");
    expect(usage(["--buffer-size", "2G"])).toContain("between 64K and 1024M");
    expect(usage(["--buffer-size", "256K"])).toBe(
      "--buffer-size 256K is too small for --max-args-size 128K: the ring must hold 4 records of that size; give --buffer-size 512K or more or --max-args-size 64K or less",
    );
    // The low end of docs/usage.md's range works, with the --max-args-size the message names.
    expect(usage(["--buffer-size", "64K"])).toEndWith("give --buffer-size 512K or more or --max-args-size 16K or less");
    expect(parseArgs(["--buffer-size", "64K", "--max-args-size", "16K"]).bufferSize).toBe(64 * 1024);
    expect(usage(["--buffer-size", "1M", "--max-args-size", "512K"])).toContain("give --buffer-size 2M or more");
    expect(() => parseSize("--x", "99999999999999999999G")).toThrow(UsageError);
  });
  test("unknown events list the valid names, in one line that fits 80 columns", () => {
    expect(usage(["-e", "sched_process_exec,execve"])).toBe("-e execve: unknown event (exec, execfail, fork, exit)");
    expect(usage(["--events", "bogus"])).toBe("--events bogus: unknown event (exec, execfail, fork, exit)");
    expect(`tracer: ${usage(["-e", "bogus"])} (see tracer --help)`.length).toBeLessThanOrEqual(80);
    expect(usage(["-e", "sched_process_exec,"])).toContain("empty name");
    expect(usage(["-e", "lost_events"])).toBe("-e lost_events: unknown event (exec, execfail, fork, exit)");
  });
});

describe("help and version", () => {
  test("--help lists every flag, one line each", () => {
    const text = info(["--help"]);
    expect(info(["-h"])).toBe(text);
    expect(info(["--bogus", "--help"])).toBe(text); // help wins over mistakes
    expect(text).toBe(helpText());
    for (const flag of [
      "--json",
      "-o, --output <file>",
      "-e, --events <list>",
      "--env",
      "--max-args-size <bytes>",
      "--buffer-size <bytes>",
      "--stats",
      "-v, --verbose",
      "-h, --help",
      "--version",
      "--pid <pid>",
      "--pid-tree <pid>",
      "--uid <user>",
      "--comm <name>",
      "--cgroup <cgroup>",
      "--mntns <inode>",
      "--pidns <inode>",
      "--container",
      "--host",
      "--no-threads",
      "--user <user>",
      "--tree <file>",
      "-w, --wide",
      "--failures",
      "--time-of-day",
    ]) {
      const lines = text.split("\n").filter((l) => l.trimStart().startsWith(flag + " "));
      expect(lines.length).toBe(1);
    }
    for (const line of text.split("\n")) expect([...line].length).toBeLessThanOrEqual(80);
    expect(text.trimEnd().split("\n").at(-1)).toContain("tracer --tree - -- npm ci"); // ends with examples
  });
  test("tracer show --help lists its flags, one line each, within 80 columns", () => {
    let text = "";
    try {
      parseShowArgs(["--help"]);
    } catch (err) {
      expect(err).toBeInstanceOf(InfoExit);
      text = (err as InfoExit).text;
    }
    for (const flag of [
      "--failures",
      "--tree",
      "-w, --wide",
      "--time-of-day",
      "--profile <file>",
      "--baseline <file>",
      "--fail-on-new[=code]",
      "--baseline-ignore <glob>",
      "-h, --help",
    ]) {
      expect(text.split("\n").filter((l) => l.trimStart().startsWith(flag + " ")).length).toBe(1);
    }
    for (const line of text.split("\n")) expect([...line].length).toBeLessThanOrEqual(80);
  });
  test("--version comes from package.json", () => {
    expect(VERSION).toBe(pkg.version);
    expect(info(["--version"])).toBe(`tracer ${pkg.version}\n`);
  });
});

describe("the real program", () => {
  const script = join(import.meta.dir, "run-parse.ts");
  const run = (...args: string[]) => {
    const r = Bun.spawnSync({ cmd: [process.execPath, script, ...args], stdout: "pipe", stderr: "pipe" });
    return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
  };
  test("usage error: exit 2, one line on stderr, nothing on stdout", () => {
    expect(run("--bogus")).toEqual({ code: 2, out: "", err: "tracer: unknown option '--bogus' (see tracer --help)\n" });
    expect(run("--buffer-size", "3M").code).toBe(2);
  });
  test("--help and --version: stdout, exit 0", () => {
    const h = run("--help");
    expect(h.code).toBe(0);
    expect(h.err).toBe("");
    expect(h.out).toBe(helpText());
    expect(run("--version")).toEqual({ code: 0, out: `tracer ${pkg.version}\n`, err: "" });
  });
  test("good arguments parse", () => {
    const r = run("--json", "--", "true");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ format: "json", command: ["true"] });
  });
});

describe("scope flags", () => {
  test("repeatable values, ! leaves out", () => {
    const c = parseArgs([
      "--pid",
      "1",
      "--pid",
      "!2",
      "--uid",
      "0",
      "--comm",
      "make",
      "--comm",
      "!sh",
      "--mntns",
      "4026531832",
      "--pidns",
      "!4026531836",
    ]);
    expect(c.scope.pid).toEqual({ include: [1], exclude: [2] });
    expect(c.scope.uid).toEqual({ include: [0], exclude: [] });
    expect(c.scope.comm).toEqual({ include: ["make"], exclude: ["sh"] });
    expect(c.scope.mntns).toEqual({ include: [4026531832], exclude: [] });
    expect(c.scope.pidns).toEqual({ include: [], exclude: [4026531836] });
  });
  test("--pid-tree, --container/--host, --no-threads, --tree, --user", () => {
    expect(parseArgs(["--pid-tree", `${process.pid}`]).scope.pidTree).toEqual([process.pid]);
    expect(parseArgs(["--container"]).scope.where).toBe("container");
    expect(parseArgs(["--host"]).scope.where).toBe("host");
    expect(() => parseArgs(["--host", "--container"])).toThrow(UsageError);
    expect(parseArgs(["--no-threads"]).noThreads).toBe(true);
    expect(parseArgs(["--tree", "-"]).tree).toBe("-");
    expect(parseArgs(["--timeline", "t.json", "--", "make"]).timeline).toBe("t.json");
    expect(() => parseArgs(["--timeline="])).toThrow(/--timeline needs a value/);
    expect(parseArgs(["--user", "nobody", "--", "id"]).user).toBe("nobody");
    expect(() => parseArgs(["--user", "nobody"])).toThrow(/needs a command/);
    expect(() => parseArgs(["--pid-tree", "1", "--", "id"])).toThrow(UsageError);
  });
  test("--exec globs: repeatable, ! leaves out, not empty", () => {
    expect(parseArgs(["--exec", "/usr/bin/*", "--exec=!/usr/bin/sh", "--exec", "**/python3*"]).execPath).toEqual({
      include: ["/usr/bin/*", "**/python3*"],
      exclude: ["/usr/bin/sh"],
    });
    expect(parseArgs([]).execPath).toEqual({ include: [], exclude: [] });
    expect(() => parseArgs(["--exec="])).toThrow(UsageError);
  });
  test("bad values", () => {
    expect(() => parseArgs(["--pid", "abc"])).toThrow(/--pid takes a number/);
    expect(() => parseArgs(["--uid", "-1"])).toThrow(UsageError);
    expect(() => parseArgs(["--comm", "a-name-longer-than-15"])).toThrow(/1 to 15 bytes/);
  });
});

describe("CI flags", () => {
  const cmd = ["--", "make"];
  test("--attest, --subject (repeatable), --profile, --baseline, --baseline-ignore; they imply --hash", () => {
    const c = parseArgs([
      "--attest",
      "a.json",
      "--subject",
      "out/*",
      "--subject=dist/app",
      "--profile",
      "p.json",
      "--baseline",
      "b.json",
      "--baseline-ignore",
      "/tmp/**",
      ...cmd,
    ]);
    expect(c.ci).toEqual({
      attest: "a.json",
      subjects: ["out/*", "dist/app"],
      profile: "p.json",
      baseline: "b.json",
      failOnNew: null,
      baselineIgnore: ["/tmp/**"],
    });
    expect(c.hash).toBe(true);
    expect(parseArgs(cmd).hash).toBe(false);
  });
  test("--fail-on-new: 1 by default, =CODE inline only, 1..255", () => {
    expect(parseArgs(["--baseline", "b.json", "--fail-on-new", ...cmd]).ci.failOnNew).toBe(1);
    expect(parseArgs(["--baseline", "b.json", "--fail-on-new=3", ...cmd]).ci.failOnNew).toBe(3);
    expect(() => parseArgs(["--baseline", "b.json", "--fail-on-new=0", ...cmd])).toThrow(/1 to 255/);
    expect(() => parseArgs(["--baseline", "b.json", "--fail-on-new=x", ...cmd])).toThrow(/1 to 255/);
    // in one line that fits 80 columns (before: 84, "--fail-on-new takes its value after '=': …")
    expect(usage(["--baseline", "b.json", "--fail-on-new", "3", ...cmd])).toBe(
      "--fail-on-new 3: write --fail-on-new=3",
    );
    expect(() => parseShowArgs(["--baseline", "b.json", "--fail-on-new", "2", "t.jsonl"])).toThrow(
      "--fail-on-new 2: write --fail-on-new=2",
    );
    const line = `tracer: ${usage(["--baseline", "b.json", "--fail-on-new", "255", ...cmd])} (see tracer --help)`;
    expect(line.length).toBeLessThanOrEqual(80);
  });
  test("what needs what", () => {
    expect(usage(["--attest", "a.json"])).toBe("--attest needs a command after --");
    expect(usage(["--baseline", "p.json"])).toBe(
      "--baseline needs a command after -- (a saved trace: tracer show --baseline … FILE.jsonl)",
    );
    expect(usage(["--subject", "x", ...cmd])).toBe("--subject needs --attest FILE");
    expect(usage(["--fail-on-new", ...cmd])).toBe("--fail-on-new needs --baseline PROFILE");
    expect(usage(["--attest", "a", "--attest", "b", ...cmd])).toBe("--attest given 2 times; give it once");
    expect(usage(["--attest=", ...cmd])).toBe("--attest needs a value");
    expect(usage(["--subject=", "--attest", "a", ...cmd])).toBe("--subject needs a value");
  });
});

describe("tracer show's flags", () => {
  const showUsage = (argv: string[]) => {
    try {
      parseShowArgs(argv);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    throw new Error(`no UsageError for show ${JSON.stringify(argv)}`);
  };
  test("the views, and no CI output by default", () => {
    expect(parseShowArgs(["--tree", "-w", "t.jsonl"])).toEqual({
      file: "t.jsonl",
      since: null,
      json: false,
      nats: { creds: null, nkey: null, ca: null, cert: null, key: null },
      failures: false,
      tree: true,
      wide: true,
      timeOfDay: false,
      timeline: null,
      html: null,
      criticalPath: false,
      ci: { attest: null, subjects: [], profile: null, baseline: null, failOnNew: null, baselineIgnore: [] },
      redact: { defaults: true, patterns: [], envGlobs: [] },
    });
  });
  test("--since: a duration ago or a date; --json", () => {
    const now = Date.parse("2026-12-07T10:00:00Z");
    expect(parseSince("10m", now)).toBe(BigInt(now - 600_000) * 1_000_000n);
    expect(parseSince("2h", now)).toBe(BigInt(now - 7_200_000) * 1_000_000n);
    expect(parseSince("2026-12-07T09:00:00Z", now)).toBe(BigInt(now - 3_600_000) * 1_000_000n);
    expect(() => parseSince("yesterday", now)).toThrow(
      "--since 'yesterday': a duration ago (30s, 10m, 2h, 1d) or a date (2026-12-07T10:00:00Z)",
    );
    expect(parseShowArgs(["--json", "nats://127.0.0.1:4222/TRACE"])).toMatchObject({
      json: true,
      file: "nats://127.0.0.1:4222/TRACE",
    });
    expect(() => parseShowArgs(["--json", "--tree", "t.jsonl"])).toThrow(
      "--json re-emits the lines; --tree and --failures are views of them, choose one",
    );
  });
  test("--profile, --baseline, --fail-on-new, --baseline-ignore: as for a run, without a command", () => {
    const c = parseShowArgs([
      "--profile",
      "p.json",
      "--baseline",
      "b.json",
      "--fail-on-new=4",
      "--baseline-ignore",
      "/tmp/**",
      "t.jsonl",
    ]);
    expect(c.ci).toEqual({
      attest: null,
      subjects: [],
      profile: "p.json",
      baseline: "b.json",
      failOnNew: 4,
      baselineIgnore: ["/tmp/**"],
    });
    expect(c.file).toBe("t.jsonl");
  });
  test("what needs what, and one stdout", () => {
    expect(showUsage(["--fail-on-new", "t.jsonl"])).toBe("--fail-on-new needs --baseline PROFILE");
    expect(showUsage(["--profile", "a", "--profile", "b", "t.jsonl"])).toBe("--profile given 2 times; give it once");
    expect(showUsage(["--attest", "a", "t.jsonl"])).toMatch(/unknown option '--attest'/);
    expect(showUsage(["--profile", "-", "--tree", "t.jsonl"])).toMatch(
      /--profile - and --failures or --tree would all write to stdout/,
    );
    expect(showUsage(["--critical-path", "--timeline", "-", "t.jsonl"])).toMatch(
      /--timeline - and --critical-path would all write to stdout/,
    );
    expect(showUsage(["--html", "", "t.jsonl"])).toMatch(/--html needs a/);
    expect(showUsage(["--profile", "p.json"])).toMatch(/show takes one file .* not 0/);
  });
});
