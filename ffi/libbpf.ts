// bun:ffi binding to libbpf 1.1: dlopen of the embedded libz → libelf → libbpf, typed symbols, log capture.
import { dlopen, FFIType, JSCallback, ptr, type CString } from "bun:ffi";
import { writeSync } from "node:fs";
import { libc, errno } from "./libc.ts";
import { materialize } from "./memfd.ts";

// The shared libraries are embedded in the executable (`bun build --compile` puts `type: "file"`
// imports in its /$bunfs). scripts/build-bpf.sh copies them to .output/lib/ under their SONAMEs.
import libzPath from "../.output/lib/libz.so.1" with { type: "file" };
import libelfPath from "../.output/lib/libelf.so.1" with { type: "file" };
import libbpfPath from "../.output/lib/libbpf.so.1" with { type: "file" };

const { i32, u32, u64, i64_fast, ptr: P, cstring, bool, function: fn } = FFIType;

// All three are materialized before the first dlopen and released after the last: glibc also
// matches a dlopen path against the paths already loaded, so a reused fd number
// (/proc/self/fd/5 twice) would hand back the previous library.
const files = [
  materialize(libzPath, "libz.so.1"),
  materialize(libelfPath, "libelf.so.1"),
  materialize(libbpfPath, "libbpf.so.1"),
] as const;

function open<T extends Record<string, { args: readonly FFIType[]; returns: FFIType }>>(
  file: { path: string },
  soname: string,
  symbols: T,
) {
  try {
    return dlopen(file.path, symbols);
  } catch (e) {
    throw new Error(`dlopen ${soname}: ${(e as Error).message}`);
  }
}

const LIBBPF_SYMBOLS = {
  libbpf_major_version: { args: [], returns: u32 },
  libbpf_minor_version: { args: [], returns: u32 },
  libbpf_set_print: { args: [P], returns: P }, // a pointer (not fn): null must pass, see muteLibbpfLog
  libbpf_get_error: { args: [P], returns: i64_fast },
  libbpf_num_possible_cpus: { args: [], returns: i32 },
  libbpf_bpf_map_type_str: { args: [u32], returns: cstring },

  bpf_object__open_mem: { args: [P, u64, P], returns: P },
  bpf_object__load: { args: [P], returns: i32 },
  bpf_object__close: { args: [P], returns: FFIType.void },
  bpf_object__find_map_by_name: { args: [P, P], returns: P },
  bpf_object__next_map: { args: [P, P], returns: P },
  bpf_object__find_program_by_name: { args: [P, P], returns: P },
  bpf_object__next_program: { args: [P, P], returns: P },

  bpf_map__name: { args: [P], returns: cstring },
  bpf_map__type: { args: [P], returns: u32 },
  bpf_map__fd: { args: [P], returns: i32 },
  bpf_map__max_entries: { args: [P], returns: u32 },
  bpf_map__set_max_entries: { args: [P, u32], returns: i32 },
  bpf_map__key_size: { args: [P], returns: u32 },
  bpf_map__value_size: { args: [P], returns: u32 },
  bpf_map__set_value_size: { args: [P, u32], returns: i32 },
  bpf_map__initial_value: { args: [P, P], returns: P },
  bpf_map__lookup_elem: { args: [P, P, u64, P, u64, u64], returns: i32 },
  bpf_map_lookup_elem: { args: [i32, P, P], returns: i32 },
  bpf_map_update_elem: { args: [i32, P, P, u64], returns: i32 },
  bpf_map_delete_elem: { args: [i32, P], returns: i32 }, // test/load/lru.test.ts

  bpf_program__name: { args: [P], returns: cstring },
  bpf_program__section_name: { args: [P], returns: cstring },
  bpf_program__set_autoload: { args: [P, bool], returns: i32 },
  bpf_program__attach: { args: [P], returns: P },
  bpf_program__attach_tracepoint: { args: [P, P, P], returns: P },
  bpf_program__fd: { args: [P], returns: i32 },
  bpf_obj_get_info_by_fd: { args: [i32, P, P], returns: i32 },
  bpf_link__destroy: { args: [P], returns: i32 },

  libbpf_probe_bpf_helper: { args: [u32, u32, P], returns: i32 },
  bpf_prog_load: { args: [u32, P, P, P, u64, P], returns: i32 },
  btf__load_vmlinux_btf: { args: [], returns: P },
  btf__find_by_name_kind: { args: [P, P, u32], returns: i32 },
  btf__type_by_id: { args: [P, u32], returns: P },
  btf__name_by_offset: { args: [P, u32], returns: cstring },
  btf__free: { args: [P], returns: FFIType.void },
  // with bpf_prog_load, what test/ring/producer.ts builds a ring with known records from (tests, bench)
  bpf_map_create: { args: [u32, P, u32, u32, u32, P], returns: i32 },
  bpf_prog_test_run_opts: { args: [i32, P], returns: i32 },

  ring_buffer__new: { args: [i32, fn, P, P], returns: P },
  ring_buffer__poll: { args: [P, i32], returns: i32 },
  ring_buffer__consume: { args: [P], returns: i32 },
  ring_buffer__epoll_fd: { args: [P], returns: i32 },
  ring_buffer__free: { args: [P], returns: FFIType.void },
} as const;

function openAll() {
  return {
    libz: open(files[0], "libz.so.1", { zlibVersion: { args: [], returns: cstring } }),
    libelf: open(files[1], "libelf.so.1", { elf_version: { args: [u32], returns: u32 } }),
    libbpf: open(files[2], "libbpf.so.1", LIBBPF_SYMBOLS),
  };
}
let loaded: ReturnType<typeof openAll>;
try {
  loaded = openAll();
} finally {
  for (const f of files) f.done();
}
const { libz, libelf, libbpf } = loaded;

export const bpf = libbpf.symbols;
export const libzVersion = String(libz.symbols.zlibVersion());
void libelf; // loaded for libbpf's DT_NEEDED; no symbol of ours

export const BPF_MAP_TYPE_ARRAY = 2;
export const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
export const BPF_MAP_TYPE_RINGBUF = 27;
export const BPF_ANY = 0;

/** NUL-terminated copy of a JS string for a `const char *` argument. */
export function cstr(s: string): Buffer {
  return Buffer.from(s + "\0");
}

/** String from a `const char *` return (CString or null). */
export function str(c: CString | null): string {
  return c === null ? "" : String(c);
}

/** errno after a libbpf call returned NULL (libbpf 1.x sets errno; libbpf_get_error reads it). */
export function lastErrno(): number {
  return errno() || 22;
}

// ---- libbpf's log ----------------------------------------------------------------------------
// libbpf prints through one process-wide callback. We always capture the last lines (so a load
// failure can quote the verifier), and copy them to stderr only when verbose.

const LIBBPF_WARN = 0,
  LIBBPF_INFO = 1,
  LIBBPF_DEBUG = 2;
const LOG_KEEP = 400;
const logLines: string[] = [];
let verbose = false;
const fmtBuf = Buffer.alloc(16384);
const fmtPtr = ptr(fmtBuf);

function capture(level: number, fmt: number, args: number): number {
  let n = libc.vsnprintf(fmtPtr, fmtBuf.length, fmt as any, args as any);
  if (n < 0) return 0;
  if (n >= fmtBuf.length) n = fmtBuf.length - 1;
  const text = fmtBuf.toString("utf8", 0, n);
  if (verbose) writeSync(2, text.startsWith("libbpf: ") || level !== LIBBPF_WARN ? text : "libbpf: " + text);
  for (const line of text.split("\n")) {
    if (line === "") continue;
    logLines.push(line);
  }
  if (logLines.length > LOG_KEEP) logLines.splice(0, logLines.length - LOG_KEEP);
  return 0;
}

// libbpf calls this ~1,700 times in a load, nearly all debug lines: the callback itself is the one
// line that drops them, so what JSC compiles at DFG before `ready` is that line, not capture()
// (0.5-1.2 ms of a JIT thread, 2026-12-07).
const printCb = new JSCallback(
  (level: number, fmt: number, args: number): number =>
    level === LIBBPF_DEBUG && !verbose ? 0 : capture(level, fmt, args),
  { args: [i32, P, P], returns: i32 },
);
libbpf.symbols.libbpf_set_print(printCb.ptr!);
void LIBBPF_INFO;

/** Stop libbpf from calling into JS (for calls made on other threads); returns the undo. */
export function muteLibbpfLog(): () => void {
  libbpf.symbols.libbpf_set_print(null);
  return () => libbpf.symbols.libbpf_set_print(printCb.ptr!);
}

/** Copy libbpf's log (all levels) to stderr, or only capture it (warnings and info). */
export function setLibbpfVerbose(on: boolean): void {
  verbose = on;
}

/** Forget captured lines (call before an operation whose failure you want to explain). */
export function clearLibbpfLog(): void {
  logLines.length = 0;
}

/** The last `n` captured log lines. */
export function libbpfLogTail(n: number): string[] {
  return logLines.slice(-n);
}

export const libbpfVersion = `${bpf.libbpf_major_version()}.${bpf.libbpf_minor_version()}`;
