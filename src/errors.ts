// Error types with exit codes, and the one place that turns an error into a message and an exit.

import { writeSync } from "node:fs";
import { describeErrno } from "../ffi/libc.ts";

/** The user typed something wrong: exit 2, message names what, hint points at --help. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(what: string) {
    super(what);
    this.name = "UsageError";
  }
}

/** The running kernel lacks something we need (say which, and from which version it exists). */
export class NotSupportedError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly feature: string,
    readonly minKernel?: string,
  ) {
    super(`${feature} not supported${minKernel ? ` (requires Linux ${minKernel} or later)` : ""}`);
    this.name = "NotSupportedError";
  }
}

/** Not an error: --help / --version asked for text on stdout and exit 0. */
export class InfoExit extends Error {
  readonly exitCode = 0;
  constructor(readonly text: string) {
    super("info");
    this.name = "InfoExit";
  }
}

/** "operation: cause" wrapping, keeping the cause (errno code included) for callers. */
export function wrap(operation: string, cause: unknown): Error {
  const { code, errno } = (cause ?? {}) as { code?: unknown; errno?: unknown };
  // Node's errors carry errno as a negative number: say it as strerror does, with its name.
  const msg =
    typeof errno === "number" && errno < 0 && typeof code === "string"
      ? describeErrno(-errno)
      : typeof code === "string"
        ? code
        : cause instanceof Error
          ? cause.message
          : String(cause);
  return new Error(`${operation}: ${msg}`, { cause });
}

/** Run `open`; its error is said as the option's ("--attest: open output x: ENOENT"), so a
 * file that cannot be used names the option that asked for it. */
export function forOption<T>(flag: string, open: () => T): T {
  try {
    return open();
  } catch (e) {
    if (!(e instanceof Error) || e instanceof UsageError) throw e;
    throw new Error(`${flag}: ${e.message}`, { cause: e });
  }
}

/** The message line for err, without the "tracer: " prefix. */
export function describeError(err: unknown): string {
  if (err instanceof UsageError) return `${err.message} (see tracer --help)`;
  if (err instanceof Error) return err.message.split("\n")[0] || err.name;
  return String(err);
}

/** The exit code for err: 2 usage, 0 help/version, 1 anything else. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return 2;
  if (err instanceof InfoExit) return 0;
  return 1;
}

/**
 * Print one line to stderr (help/version text to stdout) and exit with the right code.
 * TRACER_DEBUG=1 adds the stack, for bugs.
 */
export function fatal(err: unknown): never {
  if (err instanceof InfoExit) {
    writeAll(1, err.text);
    process.exit(0);
  }
  let text = `tracer: ${describeError(err)}\n`;
  if (process.env.TRACER_DEBUG && err instanceof Error && err.stack) text += err.stack + "\n";
  writeAll(2, text);
  process.exit(exitCodeOf(err));
}

/** A message on stderr, written at once (in order with the event sink's own writes to fd 2). */
export function say(text: string): void {
  writeAll(2, text);
}

function writeAll(fd: number, text: string): void {
  try {
    const b = Buffer.from(text);
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off, b.length - off);
  } catch {
    // stderr closed or EPIPE: nothing more we can say
  }
}
