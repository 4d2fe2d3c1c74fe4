// The host's mount namespace, which --host/--container compare with: that of the host's init
// (PID 1, when the tracer sees the host's pids, as in a container run with --pid=host), else that
// of the kernel's threads (kthreadd, PID 2: the initial one), else the tracer's own (then it says so).
import { readFileSync, readlinkSync } from "node:fs";

/** The initial pid namespace's inode, fixed by the kernel (PROC_PID_INIT_INO, include/linux/proc_ns.h). */
export const INIT_PID_NS = 0xeffffffc;

/** The inode of /proc/PID/ns/KIND ("mnt:[4026531841]"), or null when it cannot be read. */
export function nsInode(pid: number | "self", kind: "mnt" | "pid"): number | null {
  try {
    return Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${kind}`))?.[1] ?? Number.NaN) || null;
  } catch {
    return null; // gone, or not ours to read (PID 1 may refuse even root without all its capabilities)
  }
}

/** The mount namespace of PID `pid` when it lives in the initial pid namespace (and, for PID 2,
 * is the kernel's kthreadd), else null. */
function initialMountNs(pid: 1 | 2): number | null {
  if (nsInode(pid, "pid") !== INIT_PID_NS) return null;
  if (pid === 2) {
    try {
      if (readFileSync("/proc/2/comm", "utf8").trim() !== "kthreadd") return null;
    } catch {
      return null;
    }
  }
  return nsInode(pid, "mnt");
}

/** The mount namespace --host means, and a line to say when it is only the tracer's own. */
export function hostMountNs(): { inode: number; note: string | null } {
  const host = initialMountNs(1) ?? initialMountNs(2);
  if (host !== null) return { inode: host, note: null };
  return {
    inode: nsInode("self", "mnt") ?? 0,
    note: "the host's pids are not visible here (run with --pid=host): --host/--container compare with the tracer's own mount namespace",
  };
}
