// The descriptors the tracer was started with, noted before it opens any of its own.
import { readdirSync, readlinkSync } from "node:fs";

/**
 * The descriptors the caller passed: those open when the tracer started, less the runtime's own
 * (its epoll and eventfd, anonymous inodes). main.ts imports this module first, before anything
 * opens a descriptor (the BPF object, the ring, the embedded libraries), so `-o /dev/fd/N` can
 * name only one of these, never one of the tracer's own.
 */
export const passedFds: ReadonlySet<number> = (() => {
  const fds = new Set<number>();
  for (const name of readdirSync("/proc/self/fd")) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // the descriptor readdir itself used, closed by now
    }
    if (!target.startsWith("anon_inode:")) fds.add(Number(name));
  }
  return fds;
})();
