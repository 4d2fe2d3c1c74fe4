// BPF ring buffer reader: libbpf's ring_buffer__poll with one DataView over the whole data area.
import { JSCallback, FFIType, toArrayBuffer, type Pointer } from "bun:ffi";
import { bpf, lastErrno } from "../../ffi/libbpf.ts";
import { readFileSync } from "node:fs";
import { pageSize, describeErrno } from "../../ffi/libc.ts";
import { dfgOnly } from "../jit";

/**
 * Called once per committed record. `view` spans the whole ring data area (2 × size bytes, see
 * below); the record is `view[offset, offset + length)`. The bytes are valid only during the
 * call: once the callback returns, libbpf advances consumer_pos and the kernel may reuse them.
 * Never keep `view` past the call, and never after close().
 */
export type RecordHandler = (view: DataView, offset: number, length: number) => void;

export class RingError extends Error {
  readonly detail: string;
  constructor(
    readonly op: string,
    readonly errno: number,
    detail?: string,
  ) {
    const d = detail ?? describeErrno(errno);
    super(`${op}: ${d}`);
    this.name = "RingError";
    this.detail = d;
  }
}

/*
 * Ring buffer rules (kernel/bpf/ringbuf.c, Documentation/bpf/ringbuf.rst), and what we do with them:
 * - The map's mmap ABI: file offset 0 = consumer page (consumer_pos, u64, user-writable),
 *   offset 1 page = producer page (producer_pos), offset 2 pages = the data area of `size` bytes,
 *   mapped TWICE in a row. A record therefore never wraps: from any start in [0, size) its bytes
 *   are contiguous. So ONE DataView over 2*size bytes covers every record, built once; per record
 *   we only compute an offset (no toArrayBuffer, no allocation).
 * - Each record has an 8-byte header (u32 len with BUSY bit 31 / DISCARD bit 30, u32 pgoff);
 *   the sample starts 8 bytes after it; lengths round up to 8. libbpf skips BUSY (stops and
 *   waits) and DISCARD (advances without calling us): we only ever see committed samples, so
 *   the header's len is exactly the sample's length.
 * - The data area's address is libbpf's (it maps the ring itself; struct ring is private, and
 *   the ring__ accessors exist only from libbpf 1.3). We take it from /proc/self/maps on the first
 *   record: the mapping of the map that holds the sample, its start and its file offset give
 *   where offset 2 pages (the data area) lies: data = start + 2 pages - file offset. That uses
 *   only the kernel's mmap ABI above, not how any libbpf version lays out its mapping or when it
 *   publishes consumer_pos. Checked there: the mapping covers the whole doubled data area. Checked
 *   for every record (a few ns): it lies inside the view and the header before it carries its
 *   length, so a wrong address cannot go unnoticed.
 * - ring_buffer__poll blocks the JS thread in epoll_wait. A signal (Bun installs real handlers
 *   for process.on("SIGINT"/"SIGTERM")) makes it return -EINTR at once, whatever the timeout
 *   (measured: 5 ms to exit with a 10 s timeout); the caller must then return to the event loop
 *   (await setImmediate) so the JS handler runs.
 * - close() from inside the handler is refused (it would unmap what libbpf is walking); and
 *   poll()/drain() from inside it would re-enter libbpf: don't.
 * - An exception from the handler stops the batch (we return -1 to libbpf, which publishes the
 *   position after that record and returns); poll()/drain() rethrow it.
 */
export class RingReader {
  private rb: Pointer | null = null;
  private view: DataView | null = null;
  private base = 0;
  private pending: unknown = null;
  private closed = false;
  private busy = false; // inside ring_buffer__poll/consume
  private readonly cb: JSCallback;
  private readonly limit: number;

  constructor(
    readonly mapFd: number,
    readonly size: number,
    private readonly onRecord: RecordHandler,
  ) {
    if (size < pageSize || (size & (size - 1)) !== 0)
      throw new RingError("open ring buffer", 22, `size ${size} is not a power of 2 ≥ ${pageSize}`);
    this.limit = 2 * size;
    dfgOnly(this.sample); // src/jit.ts
    this.cb = new JSCallback(this.sample, { args: [FFIType.ptr, FFIType.ptr, FFIType.u32], returns: FFIType.i32 });
    this.rb = bpf.ring_buffer__new(mapFd, this.cb.ptr!, null, null) as Pointer | null;
    if (!this.rb) {
      const e = lastErrno();
      this.release();
      throw new RingError("open ring buffer", e);
    }
  }

  // size_t len is declared u32: the x86-64 callee reads the low half of the register, and a
  // record is < 4 GiB; a u64 would hand us a BigInt per record.
  private sample = (_ctx: number, data: number, len: number): number => {
    if (this.view === null) {
      try {
        this.mapData(data);
      } catch (e) {
        this.pending = e;
        return -1;
      }
    }
    // `data - base` is a difference of two addresses (doubles) and stays a double even when
    // integral; as a DataView index, here or downstream, the JIT's int32 speculation fails again
    // and again (decoders stuck in the baseline tier, ~3x slower; here, the header check below
    // exited the DFG code for one record in three and `sample` was compiled 8 times in 3,000
    // spawns: BUN_JSC_printEachOSRExit). In bounds it is < limit ≤ 2^31: `| 0` makes it an int32.
    const d = data - this.base;
    if (d < 8 || d + len > this.limit) {
      this.pending = this.misread(d, len);
      return -1;
    }
    const at = d | 0;
    if (this.view!.getUint32(at - 8, true) !== len) {
      this.pending = this.misread(at, len);
      return -1;
    }
    try {
      this.onRecord(this.view!, at, len);
    } catch (e) {
      this.pending = e;
      return -1;
    }
    return 0;
  };

  private misread(at: number, len: number): RingError {
    return new RingError(
      "read ring buffer",
      14,
      at < 8 || at + len > this.limit
        ? `record at ${at}+${len} outside the ${this.limit}-byte data view`
        : `record at ${at}: its header says length ${this.view!.getUint32(at - 8, true)}, libbpf says ${len}`,
    );
  }

  private mapData(data: number): void {
    this.base = ringDataArea(readFileSync("/proc/self/maps", "utf8"), data, this.size);
    this.view = new DataView(toArrayBuffer(this.base, 0, this.limit));
  }

  /** Address of the data area once known (0 before the first record); for tests. */
  get dataAddress(): number {
    return this.base;
  }

  /** True while poll()/drain() is delivering records (i.e. inside onRecord). */
  get dispatching(): boolean {
    return this.busy;
  }

  /** libbpf's epoll fd (readable when records are waiting). */
  get epollFd(): number {
    return this.rb ? bpf.ring_buffer__epoll_fd(this.rb) : -1;
  }

  /** Wait up to timeoutMs for records and deliver them. Returns the count, or -errno (-EINTR: a signal came). */
  poll(timeoutMs: number): number {
    if (!this.rb) throw new RingError("poll ring buffer", 9, "closed");
    this.busy = true;
    const n = bpf.ring_buffer__poll(this.rb, timeoutMs);
    this.busy = false;
    return this.settle(n);
  }

  /** Deliver every committed record without waiting. */
  drain(): number {
    if (!this.rb) throw new RingError("drain ring buffer", 9, "closed");
    this.busy = true;
    const n = bpf.ring_buffer__consume(this.rb);
    this.busy = false;
    return this.settle(n);
  }

  private settle(n: number): number {
    if (this.pending !== null) {
      const e = this.pending;
      this.pending = null;
      throw e;
    }
    return n;
  }

  /** Free the ring (idempotent). The view becomes invalid. */
  close(): void {
    this.release();
  }

  private release(): void {
    // Freeing the ring under libbpf's feet (close() from inside onRecord) would unmap the
    // memory it is walking: refuse.
    if (this.busy)
      throw new RingError("close ring buffer", 16, "called from inside onRecord; stop after poll() returns");
    if (this.closed) return;
    this.closed = true;
    if (this.rb) bpf.ring_buffer__free(this.rb);
    this.rb = null;
    this.view = null;
    this.base = 0;
    this.cb.close();
  }
}

/** Address of a ring's data area from /proc/self/maps text (see the rules above): the BPF map
 * mapping that holds `sample` (an address libbpf handed us), mapped from a file offset of at most
 * 2 pages and reaching at least 2 × size past the data area's start. */
export function ringDataArea(maps: string, sample: number, size: number): number {
  for (const line of maps.split("\n")) {
    const f = line.split(/\s+/);
    if (f.length < 6 || !f[5]!.startsWith("anon_inode:bpf-map")) continue;
    const [start, end] = f[0]!.split("-").map((x) => parseInt(x, 16)) as [number, number];
    if (sample < start || sample >= end) continue;
    const fileOffset = parseInt(f[2]!, 16);
    const data = start + 2 * pageSize - fileOffset;
    if (fileOffset > 2 * pageSize || data + 2 * size > end) {
      throw new RingError(
        "open ring buffer",
        22,
        `the ring's mapping ${f[0]} (file offset ${fileOffset}) does not hold its ${size}-byte data area twice`,
      );
    }
    return data;
  }
  throw new RingError(
    "open ring buffer",
    22,
    `no BPF map mapping in /proc/self/maps holds the record at 0x${sample.toString(16)}`,
  );
}
