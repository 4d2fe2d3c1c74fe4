// --spool DIR: the NATS sink's messages on disk, written before they are published and removed
// once the server has acknowledged them; what a killed tracer left is sent by the next start.

/*
 * Segment files NNNNNNNNNNNN.seg (0600, made by Writer.open: O_EXCL, O_NOFOLLOW) in a directory
 * that must be the tracer's user's own and closed to others (0700): nobody else can plant or
 * read a segment. A record: u32 length of what follows, u8 id length, u8 subject length, u16
 * magic, the id, the subject, the JSON line. Every message is appended (write-ahead); the read
 * cursor brings back what memory did not keep, in order. A segment is unlinked once every
 * message in it is acknowledged (the sink calls release); `limit` bounds the live segments'
 * bytes, and a record that does not fit is refused (the sink counts it lost). A torn tail (a
 * tracer killed in the middle of a write) ends its segment's reading.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  unlinkSync,
} from "node:fs";
import { Writer } from "./writer";
import { wrap } from "../errors";

export interface SpoolRecord {
  id: string;
  subject: string;
  data: Uint8Array;
  /** The segment it is in. */
  seg: number;
}

const HEAD = 8;
const MAGIC = 0x5452;
const NAME = /^(\d{12})\.seg$/;
const enc = new TextEncoder();
const dec = new TextDecoder();

const segName = (n: number) => `${String(n).padStart(12, "0")}.seg`;

/** The spool directory: created 0700, or an existing one that is ours and closed to others. */
function checkDir(dir: string): void {
  try {
    mkdirSync(dir, 0o700);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw wrap(`spool ${dir}`, e);
  }
  const st = lstatSync(dir);
  if (!st.isDirectory())
    throw new Error(
      `spool ${dir}: not a directory${st.isSymbolicLink() ? " (a symlink; give the directory's own path)" : ""}`,
    );
  const me = process.geteuid!();
  if (st.uid !== me)
    throw new Error(
      `spool ${dir}: belongs to uid ${st.uid}, not to the tracer's user (uid ${me}); choose another directory`,
    );
  if (st.mode & 0o077)
    throw new Error(
      `spool ${dir}: mode ${(st.mode & 0o777).toString(8)} lets other users in; chmod 700 it or choose another directory`,
    );
}

export class Spool {
  /** Bytes in live segments (the bound applies to these). */
  bytes = 0;
  /** Records found at start, left by an earlier run. */
  recovered = 0;
  private readonly sizes = new Map<number, number>(); // live segment → its bytes
  private wseg: number;
  private w: Writer;
  private rseg: number;
  private roff = 0;
  private rfd: number | null = null;
  private rbuf = new Uint8Array(1 << 16);
  private rlen = 0; // bytes in rbuf
  private rpos = 0; // next record in rbuf
  private readonly segSize: number;
  private readonly firstNew: number;

  private constructor(
    readonly dir: string,
    readonly limit: number,
    existing: number[],
  ) {
    this.segSize = Math.min(4 << 20, Math.max(4096, Math.floor(limit / 8)));
    for (const n of existing) {
      const fd = this.openSegment(n);
      this.sizes.set(n, fstatSync(fd).size);
      closeSync(fd);
    }
    for (const s of this.sizes.values()) this.bytes += s;
    this.wseg = this.firstNew = (existing.at(-1) ?? 0) + 1;
    this.rseg = existing[0] ?? this.wseg;
    this.w = this.create(this.wseg);
  }

  static open(dir: string, limit: number): Spool {
    checkDir(dir);
    const existing = readdirSync(dir)
      .map((n) => NAME.exec(n))
      .filter((m) => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    return new Spool(dir, limit, existing);
  }

  /** Segments left by an earlier run are read first. */
  get leftOver(): boolean {
    return this.rseg < this.firstNew;
  }

  /** Append a record: the segment it went to, or -1 when it does not fit within the limit. */
  append(id: string, subject: string, data: Uint8Array): number {
    const idb = enc.encode(id),
      sb = enc.encode(subject);
    const n = HEAD + idb.length + sb.length + data.length;
    if (this.bytes + n > this.limit) return -1;
    let size = this.sizes.get(this.wseg)!;
    if (size > 0 && size + n > this.segSize) {
      this.w.close();
      if (this.w.failure) throw this.w.failure;
      this.w = this.create(++this.wseg);
      size = 0;
    }
    const w = this.w;
    w.reserve(n);
    const p = w.pos;
    w.dv.setUint32(p, n - 4, true);
    w.buf[p + 4] = idb.length;
    w.buf[p + 5] = sb.length;
    w.dv.setUint16(p + 6, MAGIC, true);
    w.buf.set(idb, p + HEAD);
    w.buf.set(sb, p + HEAD + idb.length);
    w.buf.set(data, p + HEAD + idb.length + sb.length);
    w.pos = p + n;
    w.commit();
    if (w.failure) throw w.failure;
    this.sizes.set(this.wseg, size + n);
    this.bytes += n;
    return this.wseg;
  }

  /** Where the next append goes: read from there once memory stops keeping the messages. */
  readFromEnd(): void {
    if (this.rfd !== null) closeSync(this.rfd);
    this.rfd = null;
    this.rseg = this.wseg;
    this.roff = this.sizes.get(this.wseg)!;
    this.rlen = this.rpos = 0;
  }

  /** The segment the read cursor is in. */
  get readSegment(): number {
    return this.rseg;
  }

  /** A segment an earlier run left. */
  isOld(seg: number): boolean {
    return seg < this.firstNew;
  }

  /** Hand what is buffered to the kernel (before the messages are published). */
  flush(): void {
    this.w.flush();
    if (this.w.failure) throw this.w.failure;
  }

  /** Records from the read cursor on, up to `max` of them; [] when it is at the end. */
  read(max: number): SpoolRecord[] {
    const out: SpoolRecord[] = [];
    this.flush();
    while (out.length < max) {
      const r = this.next();
      if (r) out.push(r);
      else if (this.rseg < this.wseg) this.nextSegment();
      else break;
    }
    return out;
  }

  /** Every record in segments before `seg` is acknowledged: unlink them. */
  release(seg: number): void {
    for (const n of [...this.sizes.keys()]) {
      if (n >= seg || n === this.wseg) continue;
      if (n === this.rseg && this.rfd !== null) {
        closeSync(this.rfd);
        this.rfd = null;
      }
      unlinkSync(`${this.dir}/${segName(n)}`);
      this.bytes -= this.sizes.get(n)!;
      this.sizes.delete(n);
    }
  }

  /** Every record is acknowledged: the segments go, the spool is empty. */
  clear(): void {
    this.w.close();
    if (this.rfd !== null) closeSync(this.rfd);
    this.rfd = null;
    for (const n of this.sizes.keys()) unlinkSync(`${this.dir}/${segName(n)}`);
    this.sizes.clear();
    this.bytes = 0;
  }

  /** Keep what is there for the next start. */
  close(): void {
    this.w.close();
    if (this.rfd !== null) closeSync(this.rfd);
    this.rfd = null;
    if (this.sizes.get(this.wseg) === 0) {
      unlinkSync(`${this.dir}/${segName(this.wseg)}`);
      this.sizes.delete(this.wseg);
    }
  }

  private create(n: number): Writer {
    const w = Writer.open(`${this.dir}/${segName(n)}`);
    this.sizes.set(n, 0);
    return w;
  }

  /** A segment to read: ours, a regular file with one name (Writer.open's rules, for reading). */
  private openSegment(n: number): number {
    const path = `${this.dir}/${segName(n)}`;
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      throw wrap(`spool ${path}`, e);
    }
    const st = fstatSync(fd);
    const me = process.geteuid!();
    if (!st.isFile() || st.uid !== me || st.nlink !== 1) {
      closeSync(fd);
      throw new Error(`spool ${path}: not a regular file of uid ${me} with one name; remove it`);
    }
    return fd;
  }

  private nextSegment(): void {
    if (this.rfd !== null) closeSync(this.rfd);
    this.rfd = null;
    this.rseg++;
    while (this.rseg < this.wseg && !this.sizes.has(this.rseg)) this.rseg++;
    this.roff = 0;
    this.rlen = this.rpos = 0;
  }

  /** The record at the cursor, or null at the end of the segment's bytes (so far). */
  private next(): SpoolRecord | null {
    if (this.rlen - this.rpos < HEAD && !this.fill(HEAD)) return null;
    const dv = new DataView(this.rbuf.buffer, this.rbuf.byteOffset);
    const n = dv.getUint32(this.rpos, true) + 4;
    if (dv.getUint16(this.rpos + 6, true) !== MAGIC || n < HEAD) {
      this.rlen = this.rpos; // not a record: a torn or foreign tail, nothing more to read here
      this.roff = Infinity;
      return null;
    }
    if (this.rlen - this.rpos < n && !this.fill(n)) return null;
    const b = this.rbuf,
      p = this.rpos;
    const il = b[p + 4]!,
      sl = b[p + 5]!;
    const rec = {
      id: dec.decode(b.subarray(p + HEAD, p + HEAD + il)),
      subject: dec.decode(b.subarray(p + HEAD + il, p + HEAD + il + sl)),
      data: b.slice(p + HEAD + il + sl, p + n),
      seg: this.rseg,
    };
    this.rpos += n;
    if (this.rseg < this.firstNew) this.recovered++;
    return rec;
  }

  /** Make `need` bytes available at rpos; false when the segment has fewer. */
  private fill(need: number): boolean {
    if (this.roff === Infinity) return false;
    if (this.rfd === null) this.rfd = this.openSegment(this.rseg);
    // keep the unread bytes, then read after them
    this.rbuf.copyWithin(0, this.rpos, this.rlen);
    this.rlen -= this.rpos;
    this.rpos = 0;
    if (need > this.rbuf.length) {
      const b = new Uint8Array(need);
      b.set(this.rbuf.subarray(0, this.rlen));
      this.rbuf = b;
    }
    while (this.rlen < need) {
      const got = readSync(this.rfd, this.rbuf, this.rlen, this.rbuf.length - this.rlen, this.roff);
      if (got === 0) return false;
      this.rlen += got;
      this.roff += got;
    }
    return true;
  }
}
