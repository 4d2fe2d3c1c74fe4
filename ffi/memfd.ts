// An embedded file (a /$bunfs/ path of the compiled binary) as a path the kernel can open or
// exec: a memfd, or a private temporary copy where memfd is refused.
import { ptr } from "bun:ffi";
import { mkdtempSync, readFileSync, rmdirSync, unlinkSync, writeSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { libc, memfdCreate, MFD_CLOEXEC, MFD_EXEC } from "./libc.ts";

/*
 * Loading rules (verified with /proc/PID/maps of a compiled ./tracer copied to /tmp):
 * - Dependency order libz → libelf → libbpf. glibc matches a DT_NEEDED name against the SONAME
 *   of every object already loaded, so libbpf's "libelf.so.1"/"libz.so.1" resolve to our copies
 *   and the system ones are never opened.
 * - From source (bun test / bun run) the import is a real path in .output/: use it as is.
 * - In a compiled binary it is a /$bunfs/ path. Bun can dlopen those itself, but it does so by
 *   caching the bytes under a predictable name in /tmp (/tmp/.bun-UID-HASH.so) that it reuses
 *   after a stat: not something a root tool should trust. So we copy the bytes to a memfd and
 *   dlopen /proc/self/fd/N (nothing on disk, nothing to clean up); if memfd is refused we fall
 *   back to a private mkdtemp directory (0700) and unlink file and directory right after dlopen.
 */
export function materialize(path: string, soname: string): { path: string; done(): void } {
  if (!path.startsWith("/$bunfs/")) return { path, done() {} };
  const bytes = readFileSync(path);
  const name = Buffer.from(soname + "\0");
  let fd = memfdCreate(ptr(name), MFD_CLOEXEC | MFD_EXEC);
  if (fd < 0) fd = memfdCreate(ptr(name), MFD_CLOEXEC); // kernel < 6.3: no MFD_EXEC
  if (fd >= 0) {
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    return { path: `/proc/self/fd/${fd}`, done: () => void libc.close(fd) };
  }
  const dir = mkdtempSync(join(tmpdir(), "tracer-lib-"));
  const file = join(dir, soname);
  writeFileSync(file, bytes, { mode: 0o500 });
  return {
    path: file,
    done() {
      try {
        unlinkSync(file);
      } catch {}
      try {
        rmdirSync(dir);
      } catch {}
    },
  };
}
