// A BPF ring buffer filled with records whose bytes we choose: a ring map and tiny socket-filter
// programs (bpf_skb_load_bytes of the test packet, then bpf_ringbuf_output), run through
// BPF_PROG_TEST_RUN. For the ring reader's tests and bench/ring-bench.ts.
import { ptr } from "bun:ffi";
import { closeSync } from "node:fs";
import { bpf, BPF_MAP_TYPE_RINGBUF, cstr } from "../../ffi/libbpf.ts";
import { describeErrno, errno } from "../../ffi/libc.ts";

const BPF_PROG_TYPE_SOCKET_FILTER = 1;
const FN_SKB_LOAD_BYTES = 26;
const FN_RINGBUF_OUTPUT = 130;
export const BPF_RB_NO_WAKEUP = 1;
const ETH_HLEN = 14; // test_run pulls the Ethernet header: the program's offset 0 is the byte after it
/** Longest record: the program stages it on its 512-byte stack. */
export const MAX_RECORD = 512;

/** One BPF instruction: opcode, dst and src registers, offset, immediate. */
function insn(code: number, dst: number, src: number, off: number, imm: number): number[] {
  return [code, dst | (src << 4), off, imm];
}

/** r6 = ctx; load `len` packet bytes to the stack; bpf_ringbuf_output(map, stack, len, flags). */
function program(mapFd: number, len: number, flags: number): Uint8Array {
  const ins = [
    insn(0xbf, 6, 1, 0, 0), // r6 = r1
    insn(0xbf, 1, 6, 0, 0), // r1 = r6
    insn(0xb7, 2, 0, 0, 0), // r2 = 0 (offset)
    insn(0xbf, 3, 10, 0, 0), // r3 = r10
    insn(0x07, 3, 0, 0, -len), // r3 += -len
    insn(0xb7, 4, 0, 0, len), // r4 = len
    insn(0x85, 0, 0, 0, FN_SKB_LOAD_BYTES),
    insn(0x55, 0, 0, 7, 0), // if r0 != 0 goto exit (the 7 slots below are skipped)
    insn(0x18, 1, 1, 0, mapFd), // r1 = map (ld_imm64, BPF_PSEUDO_MAP_FD)
    insn(0, 0, 0, 0, 0),
    insn(0xbf, 2, 10, 0, 0), // r2 = r10
    insn(0x07, 2, 0, 0, -len), // r2 += -len
    insn(0xb7, 3, 0, 0, len), // r3 = len
    insn(0xb7, 4, 0, 0, flags), // r4 = flags
    insn(0x85, 0, 0, 0, FN_RINGBUF_OUTPUT),
    insn(0xb7, 0, 0, 0, 0), // exit: r0 = 0
    insn(0x95, 0, 0, 0, 0), // exit
  ];
  const out = new Uint8Array(ins.length * 8);
  const dv = new DataView(out.buffer);
  ins.forEach(([code, regs, off, imm], i) => {
    dv.setUint8(i * 8, code!);
    dv.setUint8(i * 8 + 1, regs!);
    dv.setInt16(i * 8 + 2, off!, true);
    dv.setInt32(i * 8 + 4, imm!, true);
  });
  return out;
}

function check(what: string, rc: number): number {
  if (rc < 0) throw new Error(`${what}: ${describeErrno(-rc || errno())}`);
  return rc;
}

export class SyntheticRing {
  readonly mapFd: number;
  private readonly progs = new Map<number, number>(); // record length → program fd
  private readonly opts = new Uint8Array(80); // struct bpf_test_run_opts (libbpf 1.1: 80 bytes)
  private readonly packet = new Uint8Array(ETH_HLEN + MAX_RECORD);

  constructor(
    readonly size: number,
    private readonly flags = BPF_RB_NO_WAKEUP,
  ) {
    this.mapFd = check(
      "create ring buffer map",
      bpf.bpf_map_create(BPF_MAP_TYPE_RINGBUF, cstr("synthetic"), 0, 0, size, null),
    );
    new DataView(this.opts.buffer).setBigUint64(0, 80n, true); // sz
  }

  private prog(len: number): number {
    let fd = this.progs.get(len);
    if (fd === undefined) {
      if (len < 1 || len > MAX_RECORD) throw new Error(`record length ${len} not in 1..${MAX_RECORD}`);
      const code = program(this.mapFd, len, this.flags);
      fd = check(
        `load producer (${len} bytes)`,
        bpf.bpf_prog_load(
          BPF_PROG_TYPE_SOCKET_FILTER,
          cstr("ring_producer"),
          cstr("GPL"),
          ptr(code),
          code.byteLength / 8,
          null,
        ),
      );
      this.progs.set(len, fd);
    }
    return fd;
  }

  /** Emit `record` (1..MAX_RECORD bytes) into the ring, `repeat` times (the ring drops what does
   * not fit, as it would a tracer's). */
  emit(record: Uint8Array, repeat = 1): void {
    const fd = this.prog(record.byteLength);
    this.packet.fill(0);
    this.packet.set(record, ETH_HLEN);
    const dv = new DataView(this.opts.buffer);
    dv.setBigUint64(8, BigInt(ptr(this.packet)), true); // data_in
    dv.setUint32(24, this.packet.byteLength, true); // data_size_in
    dv.setInt32(60, repeat, true); // repeat
    check("run producer", bpf.bpf_prog_test_run_opts(fd, ptr(this.opts)));
  }

  close(): void {
    for (const fd of this.progs.values()) closeSync(fd);
    this.progs.clear();
    closeSync(this.mapFd);
  }
}
