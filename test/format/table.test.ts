// Table lines: alignment with the header, key args per event, nothing raw reaches the terminal.

import { describe, expect, test } from "bun:test";
import { decodeBytes } from "../../src/decode/text.ts";
import type { TraceEvent } from "../../src/event.ts";
import { HEADER, describe as describeArgs, formatTable, shellQuote, timeOfDay } from "../../src/format/table.ts";
import { errnoName } from "../../src/decode/errno.ts";
import { execEvent } from "./bench.ts";

function ev(eventName: TraceEvent["eventName"], args: TraceEvent["args"], extra: Partial<TraceEvent> = {}): TraceEvent {
  return { ...execEvent(0), eventName, args, ...extra };
}

// Every C0/C1 control, DEL, and the bidi controls a terminal or editor acts on.
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("formatTable", () => {
  test("columns line up with the header", () => {
    const line = formatTable(execEvent(1));
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
    const e = ev("sched_process_exec", [
      { name: "pathname", type: "const char*", value: "/bin/echo" },
      { name: "argv", type: "const char**", value: ["echo", "it's", "a b", "", "$HOME", "ok-1.2"] },
    ]);
    expect(describeArgs(e)).toBe(`/bin/echo 'it'\\''s' 'a b' '' '$HOME' ok-1.2`);
    const cut = ev("sched_process_exec", [
      { name: "pathname", type: "const char*", value: "/bin/echo" },
      { name: "argv", type: "const char**", value: ["/bin/echo", "x"] },
      { name: "argv_dropped_args", type: "uint32", value: 1 },
      { name: "argv_dropped_bytes", type: "uint32", value: 4000 },
    ]);
    expect(describeArgs(cut)).toBe("/bin/echo x ...");
  });

  test("hostile argv and comm cannot reach the terminal raw", () => {
    const evil = [
      "\u001b]0;pwned\u0007", "\u001b[2J\u001b[H", "line\nbreak", "cr\rret", "\u009b31m", "\u202eevil\u202c",
      decodeBytes(new Uint8Array([0x66, 0xff, 0xc3, 0x28, 0x0a])),
    ];
    const e = ev(
      "sched_process_exec",
      [
        { name: "pathname", type: "const char*", value: "/tmp/\u001b[31mx" },
        { name: "argv", type: "const char**", value: ["x", ...evil] },
      ],
      { processName: "\u001b[1mcomm\nx" },
    );
    const line = formatTable(e);
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
    const e = ev(
      "process_execute_failed",
      [
        { name: "path", type: "const char*", value: "/nope" },
        { name: "binary", type: "object", value: { path: "/nope", device_id: 0, inode_number: 0n, ctime: 0n, inode_mode: 0 } },
        { name: "arguments", type: "const char**", value: ["/nope", "--x"] },
      ],
      { returnValue: -2 },
    );
    expect(describeArgs(e)).toBe("ENOENT /nope --x");
    const named = ev("process_execute_failed", [
      { name: "path", type: "string", value: "./x" },
      { name: "arguments", type: "[]string", value: ["./x", "a"] },
      { name: "error", type: "string", value: "ENOEXEC" },
      { name: "arguments_dropped_args", type: "uint32", value: 0 },
      { name: "arguments_dropped_bytes", type: "uint32", value: 10 },
    ], { returnValue: -8 });
    expect(describeArgs(named)).toBe("ENOEXEC ./x a ...");
    const onlyBinary = ev("process_execute_failed", [{ name: "binary", type: "object", value: { path: "/x y" } }], { returnValue: -13 });
    expect(describeArgs(onlyBinary)).toBe("EACCES '/x y'");
    expect(errnoName(8)).toBe("ENOEXEC");
    expect(errnoName(99999)).toBe("errno 99999");
  });

  test("fork: child pid (and thread id when a thread)", () => {
    expect(describeArgs(ev("sched_process_fork", [{ name: "child_pid", type: "int", value: 77 }, { name: "child_tid", type: "int", value: 77 }]))).toBe("child=77");
    expect(describeArgs(ev("sched_process_fork", [{ name: "child_pid", type: "int", value: 77 }, { name: "child_tid", type: "int", value: 78 }]))).toBe("child=77 thread=78");
  });

  test("exit: decoded status, signal, core dump (as src/decode/exit.ts produces)", () => {
    const exit = (code: number, sig: number, core = false) =>
      describeArgs(ev("sched_process_exit", [
        { name: "exit_code", type: "int64", value: code },
        { name: "signal_code", type: "int32", value: sig },
        { name: "core_dumped", type: "bool", value: core },
      ]));
    expect(exit(0, 0)).toBe("exit 0");
    expect(exit(3, 0)).toBe("exit 3");
    expect(exit(9, 9)).toBe("killed by SIGKILL");
    expect(exit(11, 11, true)).toBe("killed by SIGSEGV (core dumped)");
  });

  test("exit: raw wait status when there is no signal_code", () => {
    const exit = (code: number | bigint) => describeArgs(ev("sched_process_exit", [{ name: "exit_code", type: "long", value: code }]));
    expect(exit(0)).toBe("exit 0");
    expect(exit(3 << 8)).toBe("exit 3");
    expect(exit(9)).toBe("killed by SIGKILL");
    expect(exit(11 | 0x80)).toBe("killed by SIGSEGV (core dumped)");
    expect(exit(256n)).toBe("exit 1");
    const line = formatTable(ev("sched_process_exit", []));
    expect(line.endsWith("exit\n")).toBe(true); // no trailing spaces
  });

  test("lost events", () => {
    expect(describeArgs(ev("lost_events", [{ name: "lost", type: "u64", value: 12n }]))).toBe("12 events lost");
  });
});
