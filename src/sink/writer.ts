// Buffered output to stdout or a file: formatters encode into it, writeSync sends large chunks.

import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readFileSync,
  lstatSync,
  readlinkSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import { wrap } from "../errors.ts";
import { ByteBuf } from "../format/bytes.ts";
import { type Word, wordText } from "../word.ts";
import { passedFds } from "./passed-fds.ts";
import { dfgOnly } from "../jit.ts";

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
  /** The descriptors /dev/fd/N may name (default: those the caller passed, see startup.ts). */
  passedFds?: ReadonlySet<number>;
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
      if (!(opts.passedFds ?? passedFds).has(n)) {
        throw new Error(
          `open output ${path}: not a descriptor the tracer was given (only one open when it started can be named, e.g. 3>FILE -o /dev/fd/3)`,
        );
      }
      let flags: number;
      try {
        fstatSync(n);
        flags = parseInt(/^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${n}`, "utf8"))![1]!, 8);
      } catch (err) {
        throw wrap(`open output ${path}`, err);
      }
      if ((flags & 3) === constants.O_RDONLY) throw new Error(`open output ${path}: open for reading only`);
      return new Writer(n, wordText(path), false, opts);
    }
    const name = wordText(path);
    let fd: number;
    let created: boolean;
    try {
      ({ fd, created } = openOutput(path));
    } catch (err) {
      throw wrap(`open output ${name}`, err);
    }
    try {
      if (fstatSync(fd).isFile()) fchmodSync(fd, 0o600);
    } catch (err) {
      closeSync(fd);
      throw wrap(`chmod output ${name}`, err);
    }
    const w = new Writer(fd, name, true, opts);
    if (created) w.createdPath = path;
    return w;
  }

  /** The path of a file this writer created (null: it existed, or is not a file of ours). */
  private createdPath: Word | null = null;

  /** Close, and remove the file if this writer created it and nothing was written: the run
   * ended before it began, and leaves nothing behind (an existing file stays, emptied). */
  discard(): void {
    const path = this.createdPath;
    const mine = path !== null && this.written === 0 && this.pos === 0 ? fstatSync(this.fd) : null;
    this.close();
    if (!mine || path === null) return;
    const p = fsPath(path);
    try {
      const now = lstatSync(p);
      if (now.ino === mine.ino && now.dev === mine.dev) unlinkSync(p); // still the file we made
    } catch {
      // gone already, or not ours to remove: leave it
    }
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
/** makedev(1, 3): /dev/null. */
const NULL_RDEV = 0x103;

/**
 * Open (create 0600, truncate) the output file. Run as root, the tracer must not write events (and
 * with --env, secrets) where another user can read them, nor into a device nobody meant:
 * - a new file is created O_EXCL|O_NOFOLLOW: it is ours;
 * - an existing name is looked at through its directory's descriptor, so the link checked is the
 *   link followed. A symlink there is followed only if it is not planted (checkLink) and only to
 *   a FIFO or /dev/null, never to a regular file or another device;
 * - a block device is refused however it is named; a socket too;
 * - what it leads to is checked (checkExisting) before anything is cut, then reopened through the
 *   descriptor that was checked (/proc/self/fd/N), so it cannot be swapped in between.
 * (/dev/stdout, /dev/stderr and /dev/fd/N never get here: Writer.open uses those descriptors.)
 */
dfgOnly(Writer); // src/jit.ts

/** A path as node:fs takes it: a string, or the bytes of a non-UTF-8 name. */
function fsPath(word: Word): string | Buffer {
  return typeof word === "string" ? word : Buffer.from(word.buffer, word.byteOffset, word.byteLength);
}

function openOutput(word: Word): { fd: number; created: boolean } {
  const path = fsPath(word);
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY } = constants;
  try {
    return { fd: openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600), created: true }; // new: ours
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const held: number[] = []; // closed once each, whatever fails
  const hold = (fd: number) => (held.push(fd), fd);
  try {
    const [parent, base] = splitPath(path);
    const dir = hold(openSync(parent, O_PATH | O_DIRECTORY));
    const entry =
      typeof base === "string"
        ? `/proc/self/fd/${dir}/${base}`
        : Buffer.concat([Buffer.from(`/proc/self/fd/${dir}/`), base]);
    let at = hold(openSync(entry, O_PATH | O_NOFOLLOW));
    let st = fstatSync(at);
    const linked = st.isSymbolicLink();
    if (linked) {
      checkLink(st, fstatSync(dir));
      try {
        at = hold(openSync(entry, O_PATH));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        throw new Error(
          `a symlink to nothing (its target ${readlinkSync(entry)} does not exist); refusing to create a file through it`,
        );
      }
      st = fstatSync(at);
    }
    if (st.isBlockDevice()) {
      throw new Error(
        "a block device: the tracer does not write events into a disk (if that is meant, pass it as a descriptor: -o /dev/fd/3 3>DEVICE)",
      );
    }
    if (st.isSocket())
      throw new Error("a socket: not an output the tracer opens (pass a connected one as a descriptor: -o /dev/fd/N)");
    if (linked && st.isFile())
      throw new Error("a symlink to a regular file; refusing to write through it (give the file's own path)");
    if (linked && st.isCharacterDevice() && st.rdev !== NULL_RDEV) {
      throw new Error(
        "a symlink to a device other than /dev/null; refusing to write through it (give the device's own path)",
      );
    }
    checkExisting(st);
    const fd = openSync(`/proc/self/fd/${at}`, O_WRONLY);
    if (st.isFile()) ftruncateSync(fd, 0);
    return { fd, created: false };
  } finally {
    for (const fd of held) closeSync(fd);
  }
}

/** Directory and last name of a path ("." for a bare name), in the path's own type. */
function splitPath<P extends string | Buffer>(path: P): [P, P] {
  const cut = typeof path === "string" ? path.lastIndexOf("/") : path.lastIndexOf(0x2f);
  if (cut < 0) return [(typeof path === "string" ? "." : Buffer.from(".")) as P, path];
  return [(cut === 0 ? path.slice(0, 1) : path.slice(0, cut)) as P, path.slice(cut + 1) as P];
}

/**
 * A symlink in a directory others can write (a sticky /tmp, a group- or world-writable directory,
 * another user's) is followed only if the tracer's user or the directory's owner made it, as the
 * kernel does with fs.protected_symlinks=1 (which a machine may not set): otherwise whoever
 * planted it would choose where root writes.
 */
function checkLink(link: Stats, dir: Stats): void {
  const me = process.geteuid!();
  const othersWrite = dir.uid !== me || (dir.mode & 0o022) !== 0;
  if (othersWrite && link.uid !== me && link.uid !== dir.uid) {
    throw new Error(
      `a symlink owned by uid ${link.uid} in a directory others can write: not followed (only a link of the tracer's user or of the directory's owner is; give the target's own path)`,
    );
  }
}

/** Refuse an existing output that is not the tracer's user's own, or that another name shares. */
function checkExisting(st: Stats): void {
  const me = process.geteuid!();
  if (st.uid !== me) {
    throw new Error(
      `exists and belongs to uid ${st.uid}, not to the tracer's user (uid ${me}): that user could read the events; remove it or choose another path`,
    );
  }
  if (st.isFile() && st.nlink > 1) {
    throw new Error(
      `has ${st.nlink} hard links: the events could be read through another name; remove it or choose another path`,
    );
  }
}

/** Writer.open under the name run.ts uses. */
export function openSink(path: Word | null, opts: WriterOptions = {}): Writer {
  return Writer.open(path, opts);
}
