// libbpf parses the kernel's BTF (/sys/kernel/btf/vmlinux, 5.4 MB) inside bpf_object__load: the
// buffer it reads into, its copy and the type index are ~2,900 fresh 4 KiB pages of glibc's heap.
// Where a page fault is dear that is most of the load's CPU: on a VM with shadow page tables (the
// bench host, 2026-12-07) a first touch costs ~10 µs, the parse 55-60 ms of CPU in a fresh
// process against 5 ms once its pages exist. Huge pages make it ~60 faults and 12-37 ms: for the
// load, glibc serves large blocks from its heap instead of fresh mmaps, the heap grows once by
// 16 MiB advised MADV_HUGEPAGE (transparent huge pages in "madvise" mode, the common default; a
// no-op where they are off), and afterwards the defaults come back and the free part is returned.
import { libc } from "../../ffi/libc.ts";

const M_TRIM_THRESHOLD = -1,
  M_TOP_PAD = -2,
  M_MMAP_THRESHOLD = -3;
const MADV_HUGEPAGE = 14;
const HEAP_GROWTH = 16 << 20;
const HUGE = 2 << 20;
/** glibc's initial thresholds (it raises the mmap one by itself as blocks are freed). */
const DEFAULT_THRESHOLD = 128 << 10;

export function withHugePageHeap<T>(f: () => T): T {
  libc.mallopt(M_MMAP_THRESHOLD, 32 << 20);
  libc.mallopt(M_TRIM_THRESHOLD, 64 << 20);
  libc.mallopt(M_TOP_PAD, 0);
  const block = Number(libc.malloc(HEAP_GROWTH));
  if (block) {
    const start = Math.ceil(block / HUGE) * HUGE;
    const end = Math.floor((block + HEAP_GROWTH) / HUGE) * HUGE;
    if (end > start) libc.madvise(start, end - start, MADV_HUGEPAGE);
    libc.free(block); // the top of the heap again, kept (trim threshold), advised
  }
  try {
    return f();
  } finally {
    libc.mallopt(M_MMAP_THRESHOLD, DEFAULT_THRESHOLD);
    libc.mallopt(M_TRIM_THRESHOLD, DEFAULT_THRESHOLD);
    libc.malloc_trim(0);
  }
}
