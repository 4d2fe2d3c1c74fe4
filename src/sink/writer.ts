// Buffered output to stdout or a file: formatters encode into it, writeSync sends large chunks.

import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, openSync, writeSync, type Stats } from "node:fs";
import { wrap } from "../errors.ts";
import { ByteBuf } from "../format/bytes.ts";
import { type Word, wordText } from "../word.ts";

/*
 * The writer *is* the byte buffer formatters encode into (see format/bytes.ts), so an event
 * goes from the decoded object to the output buffer without an intermediate string. When the
 * buffer is full it is written out (reserve → flush); the main loop also calls flush() after
 * each ring poll batch, so output is never older than one batch.
 *
 * -o FILE: created with mode 0600 and truncated (like `>` and tcpdump -w: a JSON-lines file
 * holds one run); if it already existed and is a regular file it is fchmod'ed to 0600 before
 * anything is written. Devices and FIFOs (/dev/null, a named pipe) are opened as they are and
 * never chmod'ed; /dev/stdout, /dev/stderr and /dev/fd/N are used as the descriptors they name.
 * An existing file another user could read through is refused before anything is cut or
 * written (see checkExisting).
 *
 * Any other write error (ENOSPC, EIO, ...) is kept in `failure` and closes the writer the same
 * way, without throwing from the middle of an event: the caller decides (main loop: stop; with
 * COMMAND, let the command finish first, then report it and exit 1).
 *
 * A reader that goes away (EPIPE, e.g. `tracer | head -1`) is not an error: the writer drops
 * what it holds, sets `closed`, calls onClosed once, and ignores later writes. The caller ends
 * the program quietly with status 0.
 */

export interface WriterOptions {
  /** Flush threshold and initial buffer size in bytes (default 64 KiB). */
  chunkSize?: number;
  /** Called once when the reader has gone away (EPIPE). */
  onClosed?: () => void;
  /** The write call (tests inject short writes and errors); default fs.writeSync. */
  writeFn?: (fd: number, buf: Uint8Array, offset: number, length: number) => number;
}

const DEFAULT_CHUNK = 64 * 1024;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export class Writer extends ByteBuf {
  /** The reader went away (EPIPE) or a write failed; further output is dropped. */
  closed = false;
  /** The write error that closed the writer (null: none, or EPIPE). */
  failure: Error | null = null;
  /** Bytes handed to the kernel so far. */
  written = 0;
  private readonly onClosed: (() => void) | undefined;
  private readonly chunk: number;
  private readonly writeFn: NonNullable<WriterOptions["writeFn"]>;

  constructor(
    readonly fd: number,
    /** For messages: "stdout" or the file's path. */
    readonly name: string,
    private readonly ownsFd: boolean,
    opts: WriterOptions = {},
  ) {
    const chunk = Math.max(4096, opts.chunkSize ?? DEFAULT_CHUNK);
    super(chunk);
    this.chunk = chunk;
    this.onClosed = opts.onClosed;
    this.writeFn = opts.writeFn ?? writeSync;
  }

  /** Standard output (null, "-", /dev/stdout), another descriptor of ours (/dev/stderr,
   * /dev/fd/N), or a file created 0600 and truncated (see openOutput). */
  static open(path?: Word | null, opts: WriterOptions = {}): Writer {
    if (path == null || path === "-" || path === "/dev/stdout") return new Writer(1, "stdout", false, opts);
    if (path === "/dev/stderr") return new Writer(2, "stderr", false, opts);
    // One of our own descriptors by name: write to it as is (reopening would start at offset 0).
    const own = typeof path === "string" ? /^\/(?:dev|proc\/self)\/fd\/(\d+)$/.exec(path) : null;
    if (own) {
      const n = Number(own[1]);
      try {
        fstatSync(n);
      } catch (err) {
        throw wrap(`open output ${path}`, err);
      }
      return new Writer(n, wordText(path), false, opts);
    }
    const name = wordText(path);
    let fd: number;
    try {
      fd = openOutput(path);
    } catch (err) {
      throw wrap(`open output ${name}`, err);
    }
    try {
      if (fstatSync(fd).isFile()) fchmodSync(fd, 0o600);
    } catch (err) {
      closeSync(fd);
      throw wrap(`chmod output ${name}`, err);
    }
    return new Writer(fd, name, true, opts);
  }

  /** Full buffer: write it out first; grow only for a single piece larger than a chunk. */
  override reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > 0) this.flush();
    if (n > this.buf.length) this.grow(n);
  }

  /** Append text as UTF-8 (table lines, headers). */
  write(s: string): void {
    if (this.closed) return;
    this.text(s);
    if (this.pos >= this.chunk) this.flush();
  }

  /** Call after encoding an event straight into the buffer: flushes once a chunk is full. */
  commit(): void {
    if (this.pos >= this.chunk) this.flush();
  }

  /** Write out everything buffered, looping over partial writes. */
  flush(): void {
    const end = this.pos;
    this.pos = 0;
    if (this.closed || end === 0) return;
    const buf = this.buf;
    let off = 0;
    while (off < end) {
      let n: number;
      try {
        n = this.writeFn(this.fd, buf, off, end - off);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EAGAIN" || code === "EWOULDBLOCK") {
          Atomics.wait(sleepCell, 0, 0, 1); // non-blocking fd (inherited): wait 1 ms, retry
          continue;
        }
        if (code === "EINTR") continue;
        if (code === "EPIPE") {
          this.closed = true;
          this.onClosed?.();
          return;
        }
        this.failure = wrap(`write ${this.name}`, err);
        this.closed = true;
        return;
      }
      off += n;
      this.written += n;
    }
    if (this.buf.length > 4 * this.chunk) this.shrink();
  }

  /** Flush and close the file (stdout stays open). */
  close(): void {
    this.flush();
    if (this.ownsFd) {
      try {
        closeSync(this.fd);
      } catch (err) {
        if (!this.closed) throw wrap(`close ${this.name}`, err);
      }
    }
  }

  private shrink(): void {
    this.buf = new Uint8Array(this.chunk);
    this.dv = new DataView(this.buf.buffer);
  }
}

const O_PATH = 0o10000000;

/**
 * Open (create 0600, truncate) the output file. Run as root, the tracer must not write events (and
 * with --env, secrets) where another user can read them:
 * - a symlink planted at the path (/tmp/execs.jsonl → /etc/shadow) is not followed to a regular
 *   file (O_NOFOLLOW); a symlink to a device or a pipe is, with the checks below on what it leads to;
 * - an existing file is checked before anything is cut (checkExisting), then reopened through the
 *   descriptor that was checked (/proc/self/fd/N), so it cannot be swapped in between.
 * (/dev/stdout, /dev/stderr and /dev/fd/N never get here: Writer.open uses those descriptors.)
 */
function openOutput(word: Word): number {
  const path = typeof word === "string" ? word : Buffer.from(word.buffer, word.byteOffset, word.byteLength);
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
  try {
    return openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600); // new: ours
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  let at = openSync(path, O_PATH | O_NOFOLLOW);
  try {
    let st = fstatSync(at);
    if (st.isSymbolicLink()) {
      closeSync(at);
      at = openSync(path, O_PATH);
      st = fstatSync(at);
      if (st.isFile()) throw new Error("a symlink to a regular file; refusing to write through it (give the file's own path)");
    }
    checkExisting(st);
    const fd = openSync(`/proc/self/fd/${at}`, O_WRONLY);
    if (st.isFile()) ftruncateSync(fd, 0);
    return fd;
  } finally {
    closeSync(at);
  }
}

/** Refuse an existing output that is not the tracer's user's own, or that another name shares. */
function checkExisting(st: Stats): void {
  const me = process.geteuid!();
  if (st.uid !== me) {
    throw new Error(`exists and belongs to uid ${st.uid}, not to the tracer's user (uid ${me}): that user could read the events; remove it or choose another path`);
  }
  if (st.isFile() && st.nlink > 1) {
    throw new Error(`has ${st.nlink} hard links: the events could be read through another name; remove it or choose another path`);
  }
}

/** Writer.open under the name run.ts uses. */
export function openSink(path: Word | null, opts: WriterOptions = {}): Writer {
  return Writer.open(path, opts);
}
