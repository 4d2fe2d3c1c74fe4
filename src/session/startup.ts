// What the tracer was started with, read before anything changes it: argv and environment as
// exact bytes, the signals ignored and blocked. `-- COMMAND` gets these, not Bun's view of them.
import { readFileSync } from "node:fs";
import type { Word } from "../word";

function splitNul(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let start = 0; start < b.length; ) {
    const end = b.indexOf(0, start);
    out.push(b.subarray(start, end < 0 ? b.length : end));
    start = end < 0 ? b.length : end + 1;
  }
  return out;
}

function sigSet(status: string, field: string): bigint {
  const m = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, "m").exec(status);
  return m ? BigInt("0x" + m[1]) : 0n;
}

const status = readFileSync("/proc/self/status", "utf8");

/** Bit N-1 = signal N. */
export const SIGPIPE_XFSZ = (1n << 12n) | (1n << 24n);

/**
 * Signals ignored when the tracer started (nohup: SIGHUP; `cmd &` in a script: SIGINT, SIGQUIT).
 * Bun ignores SIGPIPE and SIGXFSZ itself before any of our code runs, so their first state is
 * lost: COMMAND gets them at their default, as a command started from a shell has them.
 */
export const startIgnored = sigSet(status, "SigIgn") & ~SIGPIPE_XFSZ;

/** The signal mask of the tracer's main thread when it started. */
export const startBlocked = sigSet(status, "SigBlk");

/** The name (comm) of the process that started the tracer, as bytes: COMMAND's stub takes it, so
 * COMMAND's exec shows the prev_comm a bare run shows (the shell's, sudo's). Empty if unknown. */
export const parentComm: Uint8Array = (() => {
  try {
    const b = readFileSync(`/proc/${process.ppid}/comm`);
    return b.subarray(0, b.length > 0 && b[b.length - 1] === 0x0a ? b.length - 1 : b.length);
  } catch {
    return new Uint8Array(0);
  }
})();

/** The environment as the kernel handed it over (setenv never changes this copy). */
export function startEnvironment(): Buffer[] {
  return splitNul(readFileSync("/proc/self/environ"));
}

/**
 * The arguments after the program name, each as `args` has it unless its bytes are not UTF-8
 * (then the bytes). `args` is process.argv.slice(2); if /proc/self/cmdline does not line up with
 * it word for word, `args` is returned as is.
 */
export function exactArgs(args: readonly string[]): Word[] {
  const raw = splitNul(readFileSync("/proc/self/cmdline")).slice(1);
  // Words that are valid UTF-8 must read the same; the others are taken by position.
  const utf8 = (b: Buffer) => Buffer.from(b.toString()).equals(b);
  if (raw.length !== args.length || raw.some((b, i) => utf8(b) && b.toString() !== args[i])) return [...args];
  return args.map((a, i) => (Buffer.from(a).equals(raw[i]!) ? a : raw[i]!));
}
