// The glibc floor: the build check (scripts/check-glibc.ts) against libraries compiled here, the
// compat shim (scripts/libs/glibc-compat.c) both in the check and at run time, the embedded
// libraries, and the one line for a glibc below the floor.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { dlopen, FFIType } from "bun:ffi";
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tooNew } from "../scripts/check-glibc.ts";
import { compareVersions, GLIBC_FLOOR, glibcRefusal } from "../src/session/glibc.ts";

const ROOT = join(import.meta.dir, "..");
let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tracer-glibc-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync(cmd, { cwd: ROOT });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

/** The default (@@) version of SYMBOL in this machine's libc.so.6, read by objdump. */
function libcDefaultVersion(symbol: string): string {
  const libc = run([
    "bash",
    "-c",
    "ldconfig -p | awk '$1 == \"libc.so.6\" && /x86-64|AArch64/ { print $NF; exit }'",
  ]).out.trim();
  const line = run(["objdump", "-T", libc])
    .out.split("\n")
    .find((l) => l.endsWith(` ${symbol}`) && !/\(GLIBC_/.test(l));
  const v = /GLIBC_(\d+\.\d+)/.exec(line ?? "")?.[1];
  if (!v) throw new Error(`no default version of ${symbol} in ${libc}`);
  return v;
}

// What libelf (fstat) and libbpf (fstat and fcntl with 64-bit offsets: fstat64, fcntl64) call.
const PROBE = `
#include <fcntl.h>
#include <sys/stat.h>
long probe_size(int fd) { struct stat st; return fstat(fd, &st) == 0 ? (long)st.st_size : -1; }
`;
const PROBE64 = `
#define _FILE_OFFSET_BITS 64
#include <fcntl.h>
#include <sys/stat.h>
long probe_size64(int fd) { struct stat st; return fstat(fd, &st) == 0 ? (long)st.st_size : -1; }
int probe_flags(int fd) { return fcntl(fd, F_GETFL); }
`;

function buildProbe(name: string, extra: string[]): string {
  writeFileSync(join(dir, "probe.c"), PROBE);
  writeFileSync(join(dir, "probe64.c"), PROBE64);
  const out = join(dir, name);
  const r = run(["gcc", "-O2", "-shared", "-fPIC", "-o", out, join(dir, "probe.c"), join(dir, "probe64.c"), ...extra]);
  if (r.code !== 0) throw new Error(`gcc: ${r.err}`);
  return out;
}

test("the build check names each symbol newer than the floor, and only those", () => {
  const want = ["fstat", "fstat64", "fcntl64"].map((sym) => ({ sym, version: libcDefaultVersion(sym) }));
  // Meaningful only where this machine's headers name versions above the floor (Debian 12: 2.33, 2.28).
  for (const { version } of want) expect(compareVersions(version, GLIBC_FLOOR)).toBeGreaterThan(0);
  const lib = buildProbe("plain.so", []);
  expect(tooNew(lib).sort()).toEqual(want.map(({ sym, version }) => `${sym}@GLIBC_${version}`).sort());

  const r = run([process.execPath, "scripts/check-glibc.ts", lib]);
  expect(r.code).toBe(1);
  for (const { sym, version } of want) {
    expect(r.err).toContain(
      `check-glibc: error: ${lib} needs ${sym}@GLIBC_${version}, newer than the floor glibc ${GLIBC_FLOOR}`,
    );
  }
  // At a floor equal to the newest of them, nothing is newer.
  const newest = want
    .map((w) => w.version)
    .sort(compareVersions)
    .at(-1)!;
  expect(run([process.execPath, "scripts/check-glibc.ts", "--floor", newest, lib]).code).toBe(0);
});

test("linked with glibc-compat.c the same code needs nothing above the floor, and works", () => {
  const compat = join(dir, "compat.o");
  expect(run(["gcc", "-O2", "-fPIC", "-c", "scripts/libs/glibc-compat.c", "-o", compat]).code).toBe(0);
  const lib = buildProbe("compat.so", [compat]);
  expect(tooNew(lib)).toEqual([]);
  const r = run([process.execPath, "scripts/check-glibc.ts", lib]);
  expect({ code: r.code, err: r.err }).toEqual({
    code: 0,
    err: `check-glibc: 1 file(s) need nothing newer than glibc ${GLIBC_FLOOR}\n`,
  });

  // The old entry points answer as the new ones: against stat(2) and the flags the file was opened with.
  const file = join(dir, "data");
  writeFileSync(file, Buffer.alloc(12345, 7));
  const { symbols } = dlopen(lib, {
    probe_size: { args: [FFIType.i32], returns: FFIType.i64 },
    probe_size64: { args: [FFIType.i32], returns: FFIType.i64 },
    probe_flags: { args: [FFIType.i32], returns: FFIType.i32 },
  });
  const fd = openSync(file, constants.O_RDWR | constants.O_APPEND);
  try {
    expect(Number(symbols.probe_size(fd))).toBe(statSync(file).size);
    expect(Number(symbols.probe_size64(fd))).toBe(statSync(file).size);
    expect(Number(symbols.probe_size(-1))).toBe(-1);
    // The kernel's own view of the flags (fdinfo, octal), less O_CLOEXEC, which F_GETFL leaves out.
    const kernelFlags = parseInt(/^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))![1]!, 8);
    const flags = symbols.probe_flags(fd);
    expect(flags).toBe(kernelFlags & ~0o2000000);
    expect(flags & constants.O_APPEND).toBe(constants.O_APPEND);
    expect(symbols.probe_flags(-1)).toBe(-1); // EBADF passes through
  } finally {
    closeSync(fd);
  }
});

test("the embedded libraries need nothing above the floor, and no library but each other and glibc", () => {
  for (const name of ["libbpf.so.1", "libelf.so.1", "libz.so.1"]) {
    const lib = join(ROOT, ".output/lib", name);
    expect({ name, tooNew: tooNew(lib) }).toEqual({ name, tooNew: [] });
    const needed = [...run(["readelf", "-d", "-W", lib]).out.matchAll(/\(NEEDED\)\s+Shared library: \[(.+)\]/g)].map(
      (m) => m[1],
    );
    for (const n of needed) expect(n).toMatch(/^(libc\.so\.6|libelf\.so\.1|libz\.so\.1|ld-linux-[\w-]+\.so\.\d)$/);
  }
});

test("a glibc below the floor gets one line naming both versions; the floor and above get none", () => {
  const line = glibcRefusal("2.19");
  expect(line).toBe(
    `glibc 2.19 found, ${GLIBC_FLOOR} or later needed: run tracer on a newer distribution (RHEL 8, Amazon Linux 2, Ubuntu 18.04, Debian 10 or later)`,
  );
  expect(line).not.toContain("\n");
  expect(glibcRefusal("2.9")).toContain("glibc 2.9 found"); // numeric, not string, order
  expect(glibcRefusal(GLIBC_FLOOR)).toBeUndefined();
  expect(glibcRefusal("2.100")).toBeUndefined();
  expect(glibcRefusal("3.0")).toBeUndefined();
  expect(glibcRefusal("unknown")).toBeUndefined(); // no version to compare: let it try
});
