// Table lines: alignment with the header, key args per event, nothing raw reaches the terminal.

import { describe, expect, test } from "bun:test";
import { exec_failed_record as XF, exec_record as E, fork_record as FK, rec_header as H, record_kind as K } from "../../src/decode/layout.gen.ts";
import { HEADER, describe as describeArgs, formatTable, shellQuote, timeOfDay } from "../../src/format/table.ts";
import { errnoName } from "../../src/decode/errno.ts";
import { LossReporter } from "../../src/stats.ts";
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

/** An exec of `pathname` with `argv`; `dropped` bytes not captured; comm `comm`. */
function exec(pathname: string, argv: (string | Uint8Array)[], dropped = 0, comm = "gcc") {
  const a = nuls(argv);
  return viewOf(fixedRecord(K.KIND_EXEC, E.$size, 9, [[E.pathname, pathname], [E.argv, a]], (dv) => {
    dv.setUint32(E.argc, argv.length + (dropped ? 1 : 0), true);
    dv.setUint32(E.argv_size, a.length + dropped, true);
    new Uint8Array(dv.buffer).fill(0, H.comm, H.comm + 16).set(enc.encode(comm).subarray(0, 15), H.comm);
  }));
}

function failed(path: string, argv: string[], errno: number, dropped = 0) {
  const a = nuls(argv);
  return viewOf(fixedRecord(K.KIND_EXEC_FAILED, XF.$size, 9, [[XF.path, path], [XF.argv, a]], (dv) => {
    dv.setBigInt64(XF.ret, BigInt(-errno), true);
    dv.setUint32(XF.argc, argv.length, true);
    dv.setUint32(XF.argv_size, a.length + dropped, true);
  }));
}

function fork(pid: number, tid: number) {
  return viewOf(fixedRecord(K.KIND_FORK, FK.$size, 9, [], (dv) => {
    dv.setUint32(FK.child_pid, pid, true);
    dv.setUint32(FK.child_tid, tid, true);
  }));
}

// Every C0/C1 control, DEL, and the bidi controls a terminal or editor acts on.
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("formatTable", () => {
  test("columns line up with the header", () => {
    const line = formatTable(viewOf(gccExec(4243)));
    for (const col of ["COMM", "PID", "PPID", "UID", "EVENT", "ARGS"]) {
      const at = HEADER.indexOf(col);
      expect(at).toBeGreaterThan(0);
      expect(line[at - 1]).toBe(" ");
      expect(line[at]).not.toBe(" ");
    }
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d\d\d gcc +4243 +4000 +1000 +exec +\/usr\/bin\/x86_64-linux-gnu-gcc-12 -O2 -Wall/);
    // argv0 "gcc" is neither the path nor its basename (x86_64-linux-gnu-gcc-12): shown
    expect(line.endsWith("-fPIC  [argv0=gcc]\n")).toBe(true);
  });

  test("time of day is local time with milliseconds", () => {
    const ms = Date.UTC(2024, 0, 2, 3, 4, 5, 67);
    const d = new Date(ms);
    const want = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":") + ".067";
    expect(timeOfDay(BigInt(ms) * 1000000n + 999999n)).toBe(want);
    expect(timeOfDay(BigInt(ms + 1000) * 1000000n)).toBe(
      [new Date(ms + 1000).getHours(), new Date(ms + 1000).getMinutes(), new Date(ms + 1000).getSeconds()]
        .map((n) => String(n).padStart(2, "0")).join(":") + ".067",
    );
  });

  test("exec: argv[0] hidden when it is the path or its basename; shell quoting", () => {
    const e = exec("/bin/echo", ["echo", "it's", "a b", "", "$HOME", "ok-1.2"]);
    expect(describeArgs(e)).toBe(`/bin/echo 'it'\\''s' 'a b' '' '$HOME' ok-1.2`);
    expect(describeArgs(exec("/bin/echo", ["/bin/echo", "x"], 4000))).toBe("/bin/echo x ...");
  });

  test("hostile argv and comm cannot reach the terminal raw", () => {
    const evil = [
      "\u001b]0;pwned\u0007", "\u001b[2J\u001b[H", "line\nbreak", "cr\rret", "\u009b31m", "\u202eevil\u202c",
      new Uint8Array([0x66, 0xff, 0xc3, 0x28, 0x0a]),
    ];
    const line = formatTable(exec("/tmp/\u001b[31mx", ["x", ...evil], 0, "\u001b[1mcomm\nx"));
    expect(line.slice(0, -1)).not.toMatch(RAW_CONTROL);
    expect(line.slice(0, -1)).not.toContain("\n");
    expect(line).not.toMatch(/[\ud800-\udfff]/);
    expect(line).toContain("$'\\x1b]0;pwned\\x07'");
    expect(line).toContain("$'line\\nbreak'");
    expect(line).toContain("$'f\\xff\\xc3(\\n'"); // non-UTF-8 bytes as \xNN
    expect(line).toContain("$'\\u202eevil\\u202c'");
    expect(line).toContain("\\x1b[1mcomm\\nx");
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

  test("exec failed: errno name, path, args", () => {
    expect(describeArgs(failed("/nope", ["/nope", "--x"], 2))).toBe("ENOENT /nope --x");
    expect(describeArgs(failed("./x", ["./x", "a"], 8, 10))).toBe("ENOEXEC ./x a ...");
    expect(describeArgs(failed("/x y", [], 13))).toBe("EACCES '/x y'");
    expect(errnoName(8)).toBe("ENOEXEC");
    expect(errnoName(99999)).toBe("errno 99999");
  });

  test("fork: child pid (and thread id when a thread)", () => {
    expect(describeArgs(fork(77, 77))).toBe("child=77");
    expect(describeArgs(fork(77, 78))).toBe("child=77 thread=78");
  });

  test("exit: the wait status as exit code, signal, core dump", () => {
    const exit = (status: number) => describeArgs(viewOf(simpleExit(9, status)));
    expect(exit(0)).toBe("exit 0");
    expect(exit(3 << 8)).toBe("exit 3");
    expect(exit(9)).toBe("killed by SIGKILL");
    expect(exit(11 | 0x80)).toBe("killed by SIGSEGV (core dumped)");
  });

  test("lost events", () => {
    const lost = new LossReporter(0n).check({ emitted: [0, 0, 0, 0, 0, 0], lost: [0, 10, 0, 2, 0, 0], filtered: [0, 0, 0, 0, 0, 0], scratchClash: 0 });
    expect(describeArgs(viewOf(lost!))).toBe("12 events lost");
  });
});
