// What the running kernel offers the BPF programs, probed before anything is loaded (helpers
// with libbpf_probe_bpf_helper, atomics with a two-instruction program, tracepoint arguments from
// tracefs), in the spirit of cilium/ebpf's internal/feature: the object variant is chosen from
// these answers, never by loading, failing and loading again. The kernel's BTF (5.4 MB) is not
// parsed here: libbpf parses it again to load the object, and a parse costs ~5 ms warm, 25–50 ms
// in a fresh process (its pages faulted in), the largest part of the probes' cost (2026-12-07).
import { existsSync, readFileSync } from "node:fs";
import { release } from "node:os";
import { ptr, read, type Pointer } from "bun:ffi";
import { bpf, cstr } from "../../ffi/libbpf.ts";
import { libc } from "../../ffi/libc.ts";

const BPF_PROG_TYPE_SOCKET_FILTER = 1;
const BPF_PROG_TYPE_TRACEPOINT = 5;
const BTF_KIND_PTR = 2,
  BTF_KIND_TYPEDEF = 8,
  BTF_KIND_FUNC_PROTO = 13;

/** A helper: its number (enum bpf_func_id) and the release that added it. */
interface Helper {
  name: string;
  id: number;
  since: string;
}
const helper = (name: string, id: number, since: string): Helper => ({ name, id, since });

/** Needed by every variant: below these the tracer refuses to start. */
const FLOOR: Helper[] = [
  helper("bpf_probe_read_kernel", 113, "5.5"),
  helper("bpf_ktime_get_boot_ns", 125, "5.8"),
  helper("bpf_ringbuf_output", 130, "5.8"),
];
/** Needed by the default variant; without any of them the legacy one (from 5.10) is loaded. */
const MODERN: Helper[] = [
  helper("bpf_get_current_task_btf", 158, "5.11"),
  helper("bpf_task_pt_regs", 175, "5.15"),
  helper("bpf_find_vma", 180, "5.17"),
  helper("bpf_loop", 181, "5.17"),
];

export const FLOOR_RELEASE = "5.10";

export interface KernelFeatures {
  /** Kernel release (uname -r). */
  release: string;
  /** Helpers, atomics and callbacks of Linux 5.17 are all there: load the default object. */
  modern: boolean;
  /** What the default variant would need and this kernel lacks (empty when modern). */
  missing: string[];
  /** sched_process_exit passes group_dead (its BTF prototype has the argument). */
  exitGroupDead: boolean;
  /** struct bpf_prog_info as far as recursion_misses (Linux 5.12: runs of a program the kernel
   * skipped because it was already running on that CPU); null when the kernel lacks the field. */
  progInfo: ProgInfoLayout | null;
}

export interface ProgInfoLayout {
  size: number;
  recursionMisses: number;
}

/** offsetof(struct bpf_prog_info, recursion_misses): UAPI, so fixed once the field exists (the
 * kernel fills as much of the struct as both sides know and says how much: a shorter answer means
 * an older kernel). test/kernel/kernel-features.test.ts checks it against <linux/bpf.h> and the
 * kernel's BTF. */
const RECURSION_MISSES = 208;

function hasHelper(h: Helper): boolean {
  // 1: available; 0: not; < 0: the probe itself failed (treated as not available).
  return bpf.libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, h.id, null) === 1;
}

function insn(code: number, dst: number, src: number, off: number, imm: number): Uint8Array {
  const b = new DataView(new ArrayBuffer(8));
  b.setUint8(0, code);
  b.setUint8(1, (src << 4) | dst);
  b.setInt16(2, off, true);
  b.setInt32(4, imm, true);
  return new Uint8Array(b.buffer);
}

/** Load a socket filter of these instructions: its fd, or -1. */
function loadProgram(prog: Uint8Array[]): number {
  const code = new Uint8Array(prog.length * 8);
  prog.forEach((p, i) => {
    code.set(p, i * 8);
  });
  const fd = bpf.bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, null, ptr(cstr("GPL")), ptr(code), prog.length, null);
  return fd < 0 ? -1 : fd;
}

const EXIT_0 = [insn(0xb7, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0)]; // r0 = 0; exit

/** BPF_ATOMIC with BPF_FETCH (a fetch-add whose result is used; Linux 5.12): load
 * `*(u64 *)(r10 - 8) = 0; r1 = 1; r1 = atomic_fetch_add(*(u64 *)(r10 - 8), r1); r0 = 0; exit`. */
function hasAtomicFetch(): boolean {
  const fd = loadProgram([
    insn(0x7a, 10, 0, -8, 0), // BPF_ST | BPF_MEM | BPF_DW: *(u64 *)(r10 - 8) = 0
    insn(0xb7, 1, 0, 0, 1), // BPF_ALU64 | BPF_MOV | BPF_K: r1 = 1
    insn(0xdb, 10, 1, -8, 0x01), // BPF_STX | BPF_ATOMIC | BPF_DW, imm BPF_ADD | BPF_FETCH
    ...EXIT_0,
  ]);
  if (fd < 0) return false;
  libc.close(fd);
  return true;
}

/** Whether the kernel's struct bpf_prog_info reaches recursion_misses: the length it reports for
 * a program's info, asked for that much. */
function progInfoLayout(): ProgInfoLayout | null {
  const fd = loadProgram(EXIT_0);
  if (fd < 0) return null;
  try {
    const size = RECURSION_MISSES + 8;
    const info = new Uint8Array(size);
    const len = new Uint32Array([size]);
    if (bpf.bpf_obj_get_info_by_fd(fd, ptr(info), ptr(len)) !== 0) return null;
    return len[0]! >= size ? { size, recursionMisses: RECURSION_MISSES } : null;
  } finally {
    libc.close(fd);
  }
}

/** Whether sched_process_exit passes group_dead: its tracefs format has the field (the
 * tracepoint records the argument it is given), or, where tracefs is not mounted, its BTF
 * prototype has the parameter (the one place the kernel's BTF is parsed here). */
function exitHasGroupDead(): boolean {
  for (const root of ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]) {
    let format: string;
    try {
      format = readFileSync(`${root}/events/sched/sched_process_exit/format`, "utf8");
    } catch {
      continue;
    }
    return /^\s*field:bool group_dead;/m.test(format);
  }
  const btf = bpf.btf__load_vmlinux_btf() as Pointer | null;
  if (!btf) return false;
  try {
    return tracepointParams(btf, "sched_process_exit") >= 3;
  } finally {
    bpf.btf__free(btf);
  }
}

/** Number of parameters of a tracepoint's BTF prototype (btf_trace_NAME: a typedef of a pointer
 * to a function whose first parameter is the context), or -1 if the kernel's BTF lacks it. */
function tracepointParams(btf: Pointer, name: string): number {
  const id = bpf.btf__find_by_name_kind(btf, ptr(cstr(`btf_trace_${name}`)), BTF_KIND_TYPEDEF);
  if (id <= 0) return -1;
  // struct btf_type { __u32 name_off; __u32 info (vlen: bits 0-15, kind: bits 24-28); __u32 size_or_type; }
  let t = bpf.btf__type_by_id(btf, id) as Pointer | null;
  for (const kind of [BTF_KIND_TYPEDEF, BTF_KIND_PTR, BTF_KIND_FUNC_PROTO]) {
    if (!t) return -1;
    const info = read.u32(t, 4);
    if (((info >>> 24) & 0x1f) !== kind) return -1;
    if (kind === BTF_KIND_FUNC_PROTO) return info & 0xffff;
    t = bpf.btf__type_by_id(btf, read.u32(t, 8)) as Pointer | null;
  }
  return -1;
}

/** The kernel is below the floor or has no BTF: one line naming the release and what is missing. */
export class UnsupportedKernelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedKernelError";
  }
}

/** Probe the running kernel; throws UnsupportedKernelError below the floor or without BTF. */
export function probeKernel(): KernelFeatures {
  const rel = release();
  const need = `the tracer needs Linux ${FLOOR_RELEASE} or later with BTF`;
  if (!existsSync("/sys/kernel/btf/vmlinux")) {
    throw new UnsupportedKernelError(
      `Linux ${rel} has no BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF=y): ${need}`,
    );
  }
  const lacking = FLOOR.filter((h) => !hasHelper(h));
  if (lacking.length) {
    throw new UnsupportedKernelError(
      `Linux ${rel} lacks ${lacking.map((h) => `${h.name} (Linux ${h.since})`).join(", ")}: ${need}`,
    );
  }
  const missing = MODERN.filter((h) => !hasHelper(h)).map((h) => `${h.name} (${h.since})`);
  if (!hasAtomicFetch()) missing.push("atomic fetch-add (5.12)");
  return {
    release: rel,
    modern: missing.length === 0,
    missing,
    exitGroupDead: exitHasGroupDead(),
    progInfo: progInfoLayout(),
  };
}
