// bun:ffi binding to the few glibc calls tracer needs: its version, clocks, ids, memfd, errno,
// vsnprintf, and starting COMMAND (posix_spawn, socketpair, waitpid).
import { dlopen, FFIType, ptr, read, type Pointer } from "bun:ffi";
import { errnoName as systemErrnoName } from "./errno.ts";

const { i32, u32, i64, u64, ptr: P, cstring } = FFIType;

// libc.so.6 is the one library we never embed: the process already runs on it. Every symbol
// here is in every glibc since 2.17 (Bun's own floor), but before 2.34 pthread_* live in
// libpthread.so.0, not libc.so.6: there we look them up through libpthread.so.0 (Bun's runtime
// needs it, so it is loaded; dlsym on its handle also searches its dependency, libc.so.6).
// memfd_create (2.27) is called through syscall(2): see memfdCreate.
const SYMBOLS = {
  clock_gettime: { args: [i32, P], returns: i32 },
  geteuid: { args: [], returns: u32 },
  getpid: { args: [], returns: i32 },
  getpgrp: { args: [], returns: i32 },
  pthread_create: { args: [P, P, P, P], returns: i32 },
  pthread_join: { args: [u64, P], returns: i32 },
  tcgetpgrp: { args: [i32], returns: i32 },
  isatty: { args: [i32], returns: i32 },
  sysconf: { args: [i32], returns: i64 },
  syscall: { args: [i64, P, u32], returns: i32 },
  gnu_get_libc_version: { args: [], returns: cstring },
  close: { args: [i32], returns: i32 },
  mount: { args: [P, P, P, u64, P], returns: i32 },
  __errno_location: { args: [], returns: P },
  strerror: { args: [i32], returns: cstring },
  // va_list is passed as a pointer on x86-64 (it is __va_list_tag[1]).
  vsnprintf: { args: [P, u64, P, P], returns: i32 },
  // posix_spawn(pid_t *, path, file_actions *, attr *, argv, envp): returns an errno, not -1.
  posix_spawn: { args: [P, P, P, P, P, P], returns: i32 },
  posix_spawn_file_actions_init: { args: [P], returns: i32 },
  posix_spawn_file_actions_adddup2: { args: [P, i32, i32], returns: i32 },
  posix_spawn_file_actions_destroy: { args: [P], returns: i32 },
  socketpair: { args: [i32, i32, i32, P], returns: i32 },
  waitpid: { args: [i32, P, i32], returns: i32 },
  // glibc's heap, which libbpf allocates from (src/load/heap.ts)
  mallopt: { args: [i32, i32], returns: i32 },
  malloc: { args: [u64], returns: u64 },
  free: { args: [u64], returns: FFIType.void },
  malloc_trim: { args: [u64], returns: i32 },
  madvise: { args: [u64, u64, i32], returns: i32 },
} as const;

function openLibc() {
  try {
    return dlopen("libc.so.6", SYMBOLS);
  } catch {
    return dlopen("libpthread.so.0", SYMBOLS); // glibc < 2.34
  }
}
const lib = openLibc();

export const libc = lib.symbols;

/** The running glibc's version ("2.36"). */
export function glibcVersion(): string {
  return String(lib.symbols.gnu_get_libc_version());
}

const SYS_memfd_create = process.arch === "arm64" ? 279 : 319;

/** memfd_create(2), -1 and errno on failure; through syscall(2): glibc has the wrapper since 2.27. */
export function memfdCreate(name: Pointer, flags: number): number {
  return lib.symbols.syscall(SYS_memfd_create, name, flags);
}

export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_BOOTTIME = 7;

export const MFD_CLOEXEC = 1;
export const MFD_EXEC = 0x10; // kernel >= 6.3; older kernels answer EINVAL
export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_CLOEXEC = 0o2000000;
export const WNOHANG = 1;
/** glibc's posix_spawn_file_actions_t is 80 bytes on 64-bit. */
export const SPAWN_FILE_ACTIONS_SIZE = 80;

const errnoPtr = lib.symbols.__errno_location() as number;

/** errno of the calling (JS) thread; read it right after the failing call. */
export function errno(): number {
  return read.i32(errnoPtr, 0);
}

/** Codes that are not the C library's: the kernel-internal ENOTSUPP and libbpf's own. */
const ERRNO_NAMES: Record<number, string> = {
  524: "ENOTSUPP",
  4007: "LIBBPF_ERRNO__PROG2BIG",
  4003: "LIBBPF_ERRNO__FORMAT",
  4004: "LIBBPF_ERRNO__KVERSION",
  4005: "LIBBPF_ERRNO__ENDIAN",
  4006: "LIBBPF_ERRNO__INTERNAL",
  4008: "LIBBPF_ERRNO__KVER",
  4009: "LIBBPF_ERRNO__LOADFAIL",
  4010: "LIBBPF_ERRNO__VERIFY",
  4011: "LIBBPF_ERRNO__PROGTYPE",
  4012: "LIBBPF_ERRNO__WRNGPID",
  4013: "LIBBPF_ERRNO__INVSEQ",
  4014: "LIBBPF_ERRNO__NLPARSE",
};

/** "Operation not permitted (EPERM)" for a positive errno. */
export function describeErrno(e: number): string {
  const name = errnoName(e);
  if (e >= 4000) return name; // libbpf's own codes have no strerror text
  return `${String(lib.symbols.strerror(e))} (${name})`;
}

export function errnoName(e: number): string {
  return ERRNO_NAMES[e] ?? systemErrnoName(e);
}

const ts = new BigInt64Array(2);
const tsPtr = ptr(ts);

/** clock_gettime(clock) in nanoseconds. */
export function clockNs(clock: number): bigint {
  if (lib.symbols.clock_gettime(clock, tsPtr) !== 0)
    throw new Error(`clock_gettime(${clock}): ${describeErrno(errno())}`);
  return ts[0]! * 1_000_000_000n + ts[1]!;
}

/**
 * Offset to add to a CLOCK_BOOTTIME timestamp (bpf_ktime_get_boot_ns) to get epoch ns.
 * Takes the tightest of a few REALTIME/BOOTTIME/REALTIME sandwiches; call it again after a
 * wall-clock step if that matters.
 */
export function bootToEpochOffsetNs(): bigint {
  let best = 0n;
  let bestWidth = -1n;
  for (let i = 0; i < 5; i++) {
    const r0 = clockNs(CLOCK_REALTIME);
    const b = clockNs(CLOCK_BOOTTIME);
    const r1 = clockNs(CLOCK_REALTIME);
    const width = r1 - r0;
    if (bestWidth < 0n || width < bestWidth) {
      bestWidth = width;
      best = r0 + width / 2n - b;
    }
  }
  return best;
}

export const pageSize = Number(lib.symbols.sysconf(30 /* _SC_PAGESIZE */));
