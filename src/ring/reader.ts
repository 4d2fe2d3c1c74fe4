// BPF ring buffer reader: libbpf's ring_buffer__poll with one DataView over the whole data area.
import { JSCallback, FFIType, toArrayBuffer, type Pointer } from "bun:ffi";
import { bpf, lastErrno } from "../../ffi/libbpf.ts";
import { mmap, munmap, pageSize, PROT_READ, MAP_SHARED, describeErrno } from "../../ffi/libc.ts";

/**
 * Called once per committed record. `view` spans the whole ring data area (2 × size bytes, see
 * below); the record is `view[offset, offset + length)`. The bytes are valid only during the
 * call: once the callback returns, libbpf advances consumer_pos and the kernel may reuse them.
 * Never keep `view` past the call, and never after close().
 */
export type RecordHandler = (view: DataView, offset: number, length: number) => void;

export class RingError extends Error {
  readonly detail: string;
  constructor(readonly op: string, readonly errno: number, detail?: string) {
    const d = detail ?? describeErrno(errno);
    super(`${op}: ${d}`);
    this.name = "RingError";
    this.detail = d;
  }
}

/*
 * Ring buffer rules (kernel/bpf/ringbuf.c, libbpf 1.1 src/ringbuf.c), and what we do with them:
 * - Layout of the map's mmap: page 0 = consumer page (consumer_pos, u64, user-writable),
 *   page 1 = producer page (producer_pos), then the data area of `size` bytes mapped TWICE in a
 *   row. libbpf maps producer page + 2*size. A record therefore never wraps: from any start in
 *   [0, size) its bytes are contiguous. So ONE DataView over 2*size bytes covers every record,
 *   built once; per record we only compute an offset (no toArrayBuffer, no allocation).
 * - Each record has an 8-byte header (u32 len with BUSY bit 31 / DISCARD bit 30, u32 pgoff);
 *   the sample starts 8 bytes after it; lengths round up to 8. libbpf skips BUSY (stops and
 *   waits) and DISCARD (advances without calling us): we only ever see committed samples.
 * - The data area's address is private to libbpf (struct ring). We recover it: libbpf 1.1's
 *   ringbuf_process_ring() publishes consumer_pos (smp_store_release) after EVERY record, and
 *   calls sample_cb before publishing, so during a callback *consumer_pos is the position of the
 *   record being delivered: data = sample - 8 - (consumer_pos & (size - 1)). We read
 *   consumer_pos through our own read-only mapping of the consumer page, on the first callback
 *   only. Every callback checks that the record lies inside the view (cheap, no allocation).
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
  private consumerPage = 0;
  private consumer: DataView;
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
    if (size < pageSize || (size & (size - 1)) !== 0) throw new RingError("open ring buffer", 22, `size ${size} is not a power of 2 ≥ ${pageSize}`);
    this.limit = 2 * size;
    this.consumerPage = mmap(pageSize, PROT_READ, MAP_SHARED, mapFd, 0);
    this.consumer = new DataView(toArrayBuffer(this.consumerPage, 0, pageSize));
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
    if (this.view === null) this.mapData(data);
    const at = data - this.base;
    if (at < 8 || at + len > this.limit) {
      this.pending = new RingError("read ring buffer", 14, `record at ${at}+${len} outside the ${this.limit}-byte data view`);
      return -1;
    }
    try {
      // `at` is a difference of two addresses (doubles) and stays a double even when integral;
      // handed on as such, every DataView access downstream sees a double index and the JIT's
      // int32 speculation fails again and again (decoders stuck in the baseline tier, ~3x slower).
      // In bounds it is < limit ≤ 2^31: `| 0` makes it an int32.
      this.onRecord(this.view!, at | 0, len);
    } catch (e) {
      this.pending = e;
      return -1;
    }
    return 0;
  };

  private mapData(data: number): void {
    // consumer_pos is a u64 that only grows; size divides 2^32, so its low word suffices.
    const pos = this.consumer.getUint32(0, true) % this.size;
    this.base = data - 8 - pos;
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
    if (this.busy) throw new RingError("close ring buffer", 16, "called from inside onRecord; stop after poll() returns");
    if (this.closed) return;
    this.closed = true;
    if (this.rb) bpf.ring_buffer__free(this.rb);
    this.rb = null;
    this.view = null;
    this.base = 0;
    if (this.consumerPage) munmap(this.consumerPage, pageSize);
    this.consumerPage = 0;
    this.cb.close();
  }
}
