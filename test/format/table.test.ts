// Table lines: columns, each event's line, PATH searches as one line, --failures, fitting to a
// width, colour; nothing a process controls reaches the terminal raw.

import { describe, expect, test } from "bun:test";
import {
  exec_failed_record as XF,
  exec_record as E,
  fork_record as FK,
  rec_header as H,
  record_kind as K,
} from "../../src/decode/layout.gen.ts";
import { Table, timeOfDay, type TableOptions } from "../../src/format/table.ts";
import { duration, fit, wrapWords } from "../../src/format/human.ts";
import { RunSummary } from "../../src/format/summary.ts";
import { ProcessTree } from "../../src/format/tree.ts";
import { TraceLog, failuresOf } from "../../src/ci/collect.ts";
import { shellQuote } from "../../src/format/quote.ts";
import { errnoName } from "../../ffi/errno.ts";
import { LossReporter } from "../../src/load/counters.ts";
import type { EventView } from "../../src/decode/event.ts";
import { fixedRecord, gccExec, simpleExit, viewOf } from "../records.ts";

const enc = new TextEncoder();
const nuls = (xs: (string | Uint8Array)[]) => {
  const parts = xs.map((x) => (typeof x === "string" ? enc.encode(x) : x));
  const out = new Uint8Array(parts.reduce((a, b) => a + b.length + 1, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length + 1;
  }
  return out;
};

const root = (dv: DataView) => dv.setUint32(H.uid, 0, true);
/** records.ts's CLOCK: epoch ns = boot-time ns + this. */
const CLOCK_OFFSET = 1_764_000_000_123_456_789n;
const rootGcc = (pid: number) => {
  const b = gccExec(pid);
  root(new DataView(b.buffer));
  return viewOf(b);
};

/** An exec of `pathname` with `argv` by task `pid`; `dropped` bytes not captured; comm `comm`. */
function exec(pathname: string, argv: (string | Uint8Array)[], dropped = 0, comm = "gcc", pid = 9, cmdpath = pathname) {
  const a = nuls(argv);
  return viewOf(
    fixedRecord(
      K.KIND_EXEC,
      E.$size,
      pid,
      [
        [E.pathname, pathname],
        [E.cmdpath, cmdpath],
        [E.argv, a],
      ],
      (dv) => {
        root(dv);
        dv.setUint32(E.argc, argv.length + (dropped ? 1 : 0), true);
        dv.setUint32(E.argv_size, a.length + dropped, true);
        new Uint8Array(dv.buffer).fill(0, H.comm, H.comm + 16).set(enc.encode(comm).subarray(0, 15), H.comm);
      },
    ),
  );
}

function failed(path: string, argv: string[], errno: number, dropped = 0, pid = 9) {
  const a = nuls(argv);
  return viewOf(
    fixedRecord(
      K.KIND_EXEC_FAILED,
      XF.$size,
      pid,
      [
        [XF.path, path],
        [XF.argv, a],
      ],
      (dv) => {
        root(dv);
        dv.setBigInt64(XF.ret, BigInt(-errno), true);
        dv.setUint32(XF.argc, argv.length, true);
        dv.setUint32(XF.argv_size, a.length + dropped, true);
      },
    ),
  );
}

function fork(pid: number, tid: number, by = 9) {
  return viewOf(
    fixedRecord(K.KIND_FORK, FK.$size, by, [], (dv) => {
      root(dv);
      dv.setUint32(FK.child_pid, pid, true);
      dv.setUint32(FK.child_tid, tid, true);
      dv.setBigUint64(FK.child_start, 3_500_000_000_000n, true); // as fixedRecord's thread and process starts
      dv.setBigUint64(FK.child_process_start, 3_500_000_000_000n, true);
    }),
  );
}

function exit(pid: number, status: number, groupDead = true) {
  const b = simpleExit(pid, status, groupDead);
  root(new DataView(b.buffer));
  return viewOf(b);
}

const OPTS: TableOptions = { width: null, color: false, timeOfDay: false, start: null, failures: false };

/** The table's lines for these events (header left out), the time column cut off. */
function lines(evs: EventView[], o: Partial<TableOptions> = {}): string[] {
  const t = new Table({ ...OPTS, ...o });
  const text = evs.map((e) => t.add(e)).join("") + t.finish();
  return text
    .split("\n")
    .slice(0, -1)
    .map((l) => l.slice(9));
}

/** The COMMAND column of the one line of ev. */
const what = (ev: EventView) => lines([ev])[0]!.slice(26);

// Every C0/C1 control, DEL, and the bidi controls a terminal or editor acts on.
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("table lines", () => {
  test("columns line up with the header; times from the first event; user names", () => {
    const t = new Table(OPTS);
    const header = t.header();
    const a = t.add(exec("/usr/bin/true", ["true"], 0, "true", 4243));
    const b = t.add(exec("/usr/bin/true", ["true"], 0, "true", 5243)); // 1000 ns later
    for (const col of ["USER", "EVENT", "COMMAND"]) {
      const at = header.indexOf(col);
      expect(a[at - 1]).toBe(" ");
      expect(a[at]).not.toBe(" ");
    }
    expect(a[header.indexOf("PID") + 2]).toBe("3"); // right-aligned
    expect(header).toBe(" TIME(s)     PID USER     EVENT    COMMAND\n");
    expect(a).toBe("   0.000    4243 root     exec     true\n");
    expect(b.startsWith("   0.000    5243 root")).toBe(true);
    const later = new Table({ ...OPTS, start: 3_600_000_000_000n + CLOCK_OFFSET - 1_500_000_000n });
    expect(later.add(exec("/usr/bin/true", ["true"], 0, "true", 4243)).slice(0, 8)).toBe("   1.500");
  });

  test("exec: argv as typed, the file run only where its name differs", () => {
    expect(what(exec("/bin/echo", ["echo", "it's", "a b", "", "$HOME", "ok-1.2"]))).toBe(
      `echo 'it'\\''s' 'a b' '' '$HOME' ok-1.2`,
    );
    expect(what(exec("/bin/echo", ["/bin/echo", "x"], 4000))).toBe("/bin/echo x ...");
    expect(what(rootGcc(4243))).toBe(
      "gcc -O2 -Wall -c -o build/obj/main.o src/main.c -Iinclude -DNDEBUG -fPIC  [/usr/bin/x86_64-linux-gnu-gcc-12]",
    );
  });

  test("hostile argv and comm cannot reach the terminal raw", () => {
    const evil = [
      "\u001b]0;pwned\u0007",
      "\u001b[2J\u001b[H",
      "line\nbreak",
      "cr\rret",
      "\u009b31m",
      "\u202eevil\u202c",
      new Uint8Array([0x66, 0xff, 0xc3, 0x28, 0x0a]),
    ];
    const t = new Table(OPTS);
    const text = [exec("/tmp/\u001b[31mx", ["x", ...evil], 0, "\u001b[1mcomm\nx"), exit(9, 0)]
      .map((e) => t.add(e))
      .join("");
    for (const line of text.split("\n").slice(0, -1)) {
      expect(line).not.toMatch(RAW_CONTROL);
      expect(line).not.toMatch(/[\ud800-\udfff]/);
    }
    expect(text).toContain("$'\\x1b]0;pwned\\x07'");
    expect(text).toContain("$'line\\nbreak'");
    expect(text).toContain("$'f\\xff\\xc3(\\n'"); // non-UTF-8 bytes as \xNN
    expect(text).toContain("$'\\u202eevil\\u202c'");
    expect(text).toContain("[/tmp/\\x1b[31mx]");
  });

  test("shellQuote", () => {
    expect(shellQuote("plain/path-1.0_x")).toBe("plain/path-1.0_x");
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("é")).toBe("'é'");
    expect(shellQuote("a'b")).toBe("'a'\\''b'");
    expect(shellQuote("a'b\n")).toBe("$'a\\'b\\n'");
    expect(shellQuote("back\\slash\t")).toBe("$'back\\\\slash\\t'");
    expect(shellQuote("😀\u0001")).toBe("$'😀\\x01'");
  });

  test("execfail: the path tried, its args, why", () => {
    expect(lines([failed("/nope", ["/nope", "--x"], 2)])).toEqual(["      9 root     execfail /nope --x: ENOENT"]);
    expect(what(failed("./x", ["./x", "a"], 8, 10))).toBe("./x a ...: ENOEXEC");
    expect(what(failed("/x y", [], 13))).toBe("'/x y': EACCES");
    expect(errnoName(8)).toBe("ENOEXEC");
    expect(errnoName(99999)).toBe("errno 99999");
  });

  test("fork: the child; threads marked", () => {
    expect(lines([fork(77, 77)])).toEqual(["      9 root     fork     child 77"]);
    expect(lines([fork(9, 78)])).toEqual(["      9 root     thread   78 started"]);
    expect(lines([exit(9, 0, false)])).toEqual(["      9 root     thread   9 ended"]);
  });

  test("exit: status or signal, the command that ended, its run time", () => {
    // run time: the record's ts - thread start = 100 s + pid ns
    expect(lines([exec("/usr/bin/gcc", ["gcc", "-c", "bad.c"]), exit(9, 1 << 8)])).toEqual([
      "      9 root     exec     gcc -c bad.c",
      "      9 root     exit 1   gcc -c bad.c  1m40s",
    ]);
    expect(lines([exit(9, 0)])).toEqual(["      9 root     exit 0   gcc  1m40s"]); // no exec seen: its comm
    expect(lines([exit(9, 9)])).toEqual(["      9 root     SIGKILL  gcc  1m40s"]);
    expect(lines([exit(9, 11 | 0x80)])).toEqual(["      9 root     SIGSEGV  gcc  1m40s  core dumped"]);
    // a forked child that never execs runs its parent's command
    expect(lines([exec("/bin/sh", ["sh", "x.sh"]), fork(12, 12), exit(12, 0)]).at(-1)).toBe(
      "     12 root     exit 0   sh x.sh  1m40s",
    );
    expect(duration(400_000n)).toBe("0.4 ms");
    expect(duration(14_000_000n)).toBe("14 ms");
    expect(duration(1_250_000_000n)).toBe("1.25 s");
    expect(duration(185_000_000_000n)).toBe("3m05s");
  });

  test("lost events", () => {
    const lost = new LossReporter(0n).check({
      emitted: [0, 0, 0, 0, 0, 0],
      lost: [0, 10, 0, 2, 0, 0],
      skipped: [0, 0, 0, 0, 0, 0],
      filtered: [0, 0, 0, 0, 0, 0],
      scratchClash: 0,
      skippedRuns: {},
    });
    expect(what(viewOf(lost!))).toBe("12 events lost");
    // 3 of them runs of the exit program the kernel skipped (its recursion_misses)
    const reporter = new LossReporter(0n);
    const skipped = reporter.check({
      emitted: [0, 0, 0, 0, 0, 0],
      lost: [0, 10, 0, 2, 3, 0],
      skipped: [0, 0, 0, 0, 3, 0],
      filtered: [0, 0, 0, 0, 0, 0],
      scratchClash: 0,
      skippedRuns: { handle_exit: 3 },
    });
    expect(what(viewOf(skipped!))).toBe("15 events lost (3 runs skipped by the kernel)");
    // growth only: 2 more skipped exits
    const more = reporter.check({
      emitted: [0, 0, 0, 0, 0, 0],
      lost: [0, 10, 0, 2, 5, 0],
      skipped: [0, 0, 0, 0, 5, 0],
      filtered: [0, 0, 0, 0, 0, 0],
      scratchClash: 0,
      skippedRuns: { handle_exit: 5 },
    });
    expect(what(viewOf(more!))).toBe("2 events lost (2 runs skipped by the kernel)");
  });

  test("time of day is local time with milliseconds", () => {
    const ms = Date.UTC(2024, 0, 2, 3, 4, 5, 67);
    const d = new Date(ms);
    const want =
      [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":") + ".067";
    expect(timeOfDay(BigInt(ms) * 1000000n + 999999n)).toBe(want);
  });
});

describe("PATH searches", () => {
  const miss = (dir: string, pid = 9, errno = 2) => failed(`${dir}/as`, ["as", "--64"], errno, 0, pid);
  test("misses of one name by one task, then the exec that found it: one line, then the exec", () => {
    const evs = [
      miss("/usr/local/sbin"),
      miss("/usr/local/bin"),
      exec("/usr/bin/x", ["true"], 0, "true", 10),
      miss("/usr/sbin", 9, 13),
      exec("/usr/bin/x86_64-linux-gnu-as", ["as", "--64"], 0, "as", 9, "/usr/bin/as"),
    ];
    expect(lines(evs)).toEqual([
      "     10 root     exec     true  [/usr/bin/x]",
      "      9 root     lookup   as → /usr/bin/as (ENOENT/EACCES ×3)",
      "      9 root     exec     as --64  [/usr/bin/x86_64-linux-gnu-as]",
    ]);
    expect(lines(evs, { failures: true })).toEqual([]); // it found the file: not a failure
  });
  test("a search that found nothing ends at the task's next event, or at the end", () => {
    // the process ran nothing else: one line says what it tried, why, and how it ended
    expect(lines([miss("/a"), miss("/b"), exit(9, 127 << 8)])).toEqual([
      "      9 root     execfail as --64: not found in PATH (ENOENT ×2); exit 127",
    ]);
    expect(lines([miss("/a"), miss("/b")])).toEqual([
      "      9 root     execfail as --64: not found in PATH (ENOENT ×2)",
    ]);
    expect(lines([miss("/a"), failed("/b/cc", ["cc"], 2)])).toEqual([
      "      9 root     execfail /a/as --64: ENOENT",
      "      9 root     execfail /b/cc: ENOENT",
    ]);
    // a process that ran a program and then failed a search ends as that program
    expect(lines([exec("/usr/bin/env", ["env", "as"]), miss("/a"), miss("/b"), exit(9, 127 << 8)]).slice(1)).toEqual([
      "      9 root     execfail as --64: not found in PATH (ENOENT ×2)",
      "      9 root     exit 127 env as  1m40s",
    ]);
  });
  test("a forked child whose exec failed ends as what it tried, never as its parent", () => {
    // not held (no directory in the path): its own line, and the exit names what it tried
    expect(
      lines([
        exec("/usr/bin/make", ["make"]),
        fork(10, 10),
        failed("gen", ["gen", "x"], 13, 0, 10),
        exit(10, 126 << 8),
      ]).slice(2),
    ).toEqual(["     10 root     execfail gen x: EACCES", "     10 root     exit 126 gen x (exec failed)  1m40s"]);
    expect(
      lines([
        exec("/usr/bin/make", ["make"]),
        fork(10, 10),
        failed("./gen", ["./gen", "x"], 2, 0, 10),
        exit(10, 127 << 8),
      ]).slice(2),
    ).toEqual(["     10 root     execfail ./gen x: ENOENT; exit 127"]);
  });
});

describe("a failed exec: one definition, one entry, the reason in words", () => {
  /** A failed exec of a file that exists (enrichment resolved it) whose interpreter does not. */
  const noInterpreter = (pid = 10) => {
    const ev = failed("./tools/gen-docs", ["./tools/gen-docs", "app"], 2, 0, pid);
    ev.x.binary = { path: "/src/tools/gen-docs", device_id: 2049, inode_number: 77n, ctime: 1n, inode_mode: 0o100755 };
    ev.x.interpreterPath = "/usr/bin/python2";
    return ev;
  };
  const miss = (dir: string, pid = 11) => failed(`${dir}/as`, ["as", "--64"], 2, 0, pid);
  // make forks 10 (gen-docs, no interpreter) and 11 (as, found after two misses); 10 exits 127, make 2
  const build = () => [
    exec("/usr/bin/make", ["make"]),
    fork(10, 10),
    noInterpreter(),
    exit(10, 127 << 8),
    fork(11, 11),
    miss("/a"),
    miss("/b"),
    exec("/usr/bin/x86_64-linux-gnu-as", ["as", "--64"], 0, "as", 11, "/usr/bin/as"),
    exit(11, 0),
    exit(9, 2 << 8),
  ];
  test("the table: what it tried, why (the missing interpreter), how it ended, on one line; a search that found the file is a lookup", () => {
    expect(lines(build(), { failures: true })).toEqual([
      "     10 root     execfail ./tools/gen-docs app: interpreter /usr/bin/python2 not found; exit 127",
      "      9 root     exit 2   make  1m40s",
    ]);
    expect(lines(build()).filter((l) => l.includes("lookup"))).toEqual([
      "     11 root     lookup   as → /usr/bin/as (ENOENT ×2)",
    ]);
  });
  test("the summary's counts and its failures: the search that found the file is no failure; one entry per failure", () => {
    const sum = new RunSummary({ failures: true });
    for (const e of build()) sum.add(e);
    expect(sum.counts()).toEqual({
      processes: 3,
      execs: 2,
      "failed execs": 1,
      "non-zero exits": 2,
      signals: 0,
      "lost events": 0,
    });
    expect(sum.failures).toEqual([
      { pid: 10, what: "./tools/gen-docs app", why: "interpreter /usr/bin/python2 not found", end: "exit 127" },
      { pid: 9, what: "make", why: "", end: "exit 2" },
    ]);
    expect(sum.line(0n)).toContain(" 1 failed exec, 2 non-zero exits,");
    expect(sum.counts()["failed execs"]).toBe(1); // counting twice changes nothing
  });
  test("a search that found nothing, in a process that ran something: the search, then that program's exit", () => {
    const sum = new RunSummary({ failures: true });
    for (const e of [exec("/usr/bin/env", ["env", "as", "--64"]), miss("/a", 9), miss("/b", 9), exit(9, 127 << 8)])
      sum.add(e);
    expect(sum.failures).toEqual([
      { pid: 9, what: "as --64", why: "not found in PATH (ENOENT ×2)", end: "" },
      { pid: 9, what: "env as --64", why: "", end: "exit 127" },
    ]);
  });
  test("the tree gives the reason", () => {
    const tree = new ProcessTree();
    for (const e of build()) tree.add(e);
    expect(tree.render()).toContain(
      "10 ./tools/gen-docs app [exec failed: interpreter /usr/bin/python2 not found] [exit 127]",
    );
  });
  test("the timeline's failure marks follow the summary's definition: a PATH search that found the file is none; a retry that worked later is one", () => {
    const evs = [
      ...build(),
      fork(12, 12), // a search that found nothing
      miss("/a", 12),
      miss("/b", 12),
      exit(12, 127 << 8),
      fork(13, 13), // ./gen missing, then (after a touch in between) the same argv runs
      failed("./gen", ["./gen"], 2, 0, 13),
      fork(14, 14, 13),
      exec("/usr/bin/gen", ["./gen"], 0, "gen", 13, "./gen"),
      exit(13, 0),
    ];
    const sum = new RunSummary({ failures: true }),
      log = new TraceLog();
    for (const e of evs) {
      sum.add(e);
      log.add(e);
    }
    const marked = log.processes().filter((p) => failuresOf(p).length > 0);
    expect(marked.map((p) => p.pid)).toEqual([10, 12, 13]);
    expect(failuresOf(marked[1]!).map((f) => f.path)).toEqual(["/a/as", "/b/as"]);
    expect(sum.failures.filter((f) => f.why !== "").map((f) => f.pid)).toEqual([10, 12, 13]); // the exits aside
    expect(sum.counts()["failed execs"]).toBe(marked.length);
  });
});

describe("--failures, width, colour", () => {
  const evs = () => [
    exec("/usr/bin/gcc", ["gcc", "-c", "bad.c"]),
    fork(10, 10),
    failed("/nope", ["/nope"], 2, 0, 10),
    exit(10, 1 << 8),
    exit(9, 9),
  ];
  test("--failures: failed execs, non-zero exits, signals only", () => {
    expect(lines(evs(), { failures: true }).map((l) => l.slice(17, 25).trim())).toEqual(["execfail", "SIGKILL"]);
  });
  test("cut to the width with …, header too", () => {
    const t = new Table({ ...OPTS, width: 40 });
    expect(t.header()).toBe(" TIME(s)     PID USER     EVENT    COMM…\n");
    const l = t.add(rootGcc(4243));
    expect(l).toBe("   0.000    4243 root     exec     gcc …\n");
    expect([...l.trimEnd()].length).toBe(40);
    expect(fit("日本語のテキスト", 7)).toBe("日本語…"); // wide characters count twice
  });
  test("a failure's reason that would not fit beside its command: the row goes on under COMMAND", () => {
    // at most `most` lines; a word wider than its line, and the rest past the last line, cut with …
    expect(wrapWords("aaa bbb ccc ddd eee", 7, 2)).toEqual(["aaa bbb", "ccc dd…"]);
    expect(wrapWords("abcdefghij k", 7, 4)).toEqual(["abcdef…", "k"]);
    const path = "/opt/a-tool/bin/generate";
    // a file that exists (enrichment resolved it) whose interpreter does not
    const ev = () => {
      const e = failed(path, [path, "docs"], 2, 0, 10);
      e.x.binary = { path, device_id: 2049, inode_number: 77n, ctime: 1n, inode_mode: 0o100755 };
      e.x.interpreterPath = "/usr/local/bin/python2";
      return e;
    };
    // a failed exec is held for its task's next event (a PATH search may go on): finish() writes it
    const row = (t: Table) => (t.add(ev()) + t.finish()).trimEnd();
    const whole = row(new Table({ ...OPTS }));
    const lead = whole.indexOf("execfail ") + "execfail ".length;
    const t = new Table({ ...OPTS, width: 60, color: true });
    const rows = row(t).split("\n");
    expect(rows.length).toBeGreaterThan(1);
    for (const r of rows) {
      expect(r.startsWith("\x1b[31m") && r.endsWith("\x1b[0m")).toBe(true); // each line red
      expect(Bun.stringWidth(r.replace(/\x1b\[[\d;]*m/g, ""))).toBeLessThanOrEqual(60);
    }
    const plain = rows.map((r) => r.replace(/\x1b\[[\d;]*m/g, ""));
    for (const r of plain.slice(1)) expect(r).toMatch(new RegExp(`^ {${lead}}\\S`));
    expect(plain.map((r) => r.slice(lead)).join(" ")).toBe(whole.slice(lead));
  });
  test("colour: failures red, signals bold red, threads dim; none without color", () => {
    const t = new Table({ ...OPTS, color: true });
    const text = evs()
      .map((e) => t.add(e))
      .join("");
    const ls = text.split("\n");
    expect(ls[0]).not.toContain("\x1b");
    expect(ls[2]!.startsWith("\x1b[31m") && ls[2]!.endsWith("\x1b[0m")).toBe(true);
    expect(ls[3]!.startsWith("\x1b[1;31m")).toBe(true);
    expect(lines(evs()).join("")).not.toContain("\x1b");
  });
});
