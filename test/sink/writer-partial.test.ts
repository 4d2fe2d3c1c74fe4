// Writer over a writeSync that writes little at a time and fails with EAGAIN/EINTR/EPIPE/EIO.

import { expect, test } from "bun:test";
import { Writer } from "../../src/sink/writer.ts";

const got: number[] = [];
let script: (string | number)[] = []; // per call: a byte limit, or an errno code to throw
let closedCalls = 0;

function writeFn(_fd: number, buf: Uint8Array, off: number, len: number): number {
  const step = script.length > 0 ? script.shift()! : 7;
  if (typeof step === "string") throw Object.assign(new Error(step), { code: step });
  const n = Math.min(step, len);
  for (let i = 0; i < n; i++) got.push(buf[off + i]!);
  return n;
}

test("partial writes, EAGAIN and EINTR: every byte arrives once, in order", () => {
  got.length = 0;
  script = [3, "EAGAIN", 1, "EINTR", 100, 2];
  const w = new Writer(99, "test", false, { writeFn });
  const text = "hello, partial world\n".repeat(50);
  w.write(text);
  w.flush();
  expect(Buffer.from(got).toString()).toBe(text);
  expect(w.written).toBe(text.length);
});

test("EPIPE: closed, onClosed once, later writes dropped, no throw", () => {
  got.length = 0;
  script = [5, "EPIPE"];
  const w = new Writer(99, "test", false, { writeFn, onClosed: () => closedCalls++ });
  w.write("0123456789");
  w.flush();
  expect(w.closed).toBe(true);
  expect(closedCalls).toBe(1);
  w.write("more");
  w.flush();
  w.close();
  expect(closedCalls).toBe(1);
  expect(Buffer.from(got).toString()).toBe("01234");
});

test("other errors close the writer and are kept as 'write <name>: <code>', not thrown", () => {
  got.length = 0;
  closedCalls = 0;
  script = [3, "ENOSPC"];
  const w = new Writer(99, "out.json", false, { writeFn, onClosed: () => closedCalls++ });
  w.write("abcdef");
  w.flush();
  expect(w.closed).toBe(true);
  expect(w.failure?.message).toBe("write out.json: ENOSPC");
  expect(closedCalls).toBe(0); // onClosed is for a reader that went away, not for a failure
  w.write("more");
  w.flush();
  w.close();
  expect(Buffer.from(got).toString()).toBe("abc");
});
