// A memory cgroup of its own for a tool under test: its peak charge is what a container would be
// charged for it (heap, page cache it touched, and the BPF maps it created, the ring's pages once).
// cgroup v1 (memory.max_usage_in_bytes) or v2 (memory.peak), whichever has the memory controller.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface MemCgroup {
  dir: string;
  /** Wrap a command so it joins the cgroup before it execs (same pid, nothing else in it). */
  wrap(argv: string[]): string[];
  /** Peak charge so far, KiB. */
  peakKb(): number;
  /** Remove the cgroup once its processes are gone. */
  remove(): Promise<void>;
}

function cgroup2Root(): string | null {
  for (const line of readFileSync("/proc/self/mounts", "utf8").split("\n")) {
    const f = line.split(" ");
    if (f[2] !== "cgroup2") continue;
    try {
      if (readFileSync(join(f[1]!, "cgroup.controllers"), "utf8").split(/\s+/).includes("memory")) return f[1]!;
    } catch {
      // not readable: try the next mount
    }
  }
  return null;
}

/** Where memory cgroups are made and which file holds the peak; null when neither is available. */
function flavour(): { parent: string; peakFile: string } | null {
  const v1 = "/sys/fs/cgroup/memory";
  if (existsSync(join(v1, "memory.max_usage_in_bytes"))) return { parent: v1, peakFile: "memory.max_usage_in_bytes" };
  const v2 = cgroup2Root();
  if (!v2) return null;
  const ctl = join(v2, "cgroup.subtree_control");
  if (!readFileSync(ctl, "utf8").split(/\s+/).includes("memory")) writeFileSync(ctl, "+memory");
  return { parent: v2, peakFile: "memory.peak" };
}

let counter = 0;

export function createMemCgroup(): MemCgroup | null {
  const f = flavour();
  if (!f) return null;
  const dir = join(f.parent, `tracer-bench-${process.pid}-${counter++}`);
  mkdirSync(dir);
  const peak = join(dir, f.peakFile);
  if (!existsSync(peak)) {
    rmdirSync(dir);
    return null; // cgroup v2 before Linux 5.19 has no memory.peak
  }
  return {
    dir,
    wrap: (argv) => ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', join(dir, "cgroup.procs"), ...argv],
    peakKb: () => Number(readFileSync(peak, "utf8").trim()) / 1024,
    async remove() {
      for (let i = 0; ; i++) {
        try {
          rmdirSync(dir);
          return;
        } catch (e) {
          if (i >= 40) throw new Error(`remove ${dir}: ${(e as Error).message}`);
          await Bun.sleep(50);
        }
      }
    },
  };
}
