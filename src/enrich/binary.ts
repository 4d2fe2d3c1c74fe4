// process_execute_failed: resolve the caller's path the way the kernel would and stat it.
// No tracepoint sees the file a failed exec opened, so this runs in user space, right after the
// record is read: it can race with a rename (the event says binary_resolved_in: "userspace").
import { closeSync, lstatSync, openSync, readSync, realpathSync, statSync, type BigIntStats } from "node:fs";
import type { RecordEvent } from "../decode/event";
import { callerView, pathUnreadable, type ExecCallerView } from "../decode/events/exec-failed";
import { encodeBytes, decodeBytes } from "../decode/text";
import { nsInode } from "../load/host-ns";

const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const AT_SYMLINK_NOFOLLOW = 0x100;

let ownMountNs = -1;
export function tracerMountNs(): number {
  if (ownMountNs < 0) ownMountNs = nsInode("self", "mnt") ?? 0;
  return ownMountNs;
}

function join(dir: string, rel: string): string {
  if (rel === "") return dir;
  return dir.endsWith("/") ? dir + rel : dir + "/" + rel;
}

/** The path, as seen from the tracer, that the caller's exec named. */
export function callerPath(c: ExecCallerView): string {
  const sameNs = c.mountNamespace === tracerMountNs();
  // Outside our mount namespace the walked paths mean nothing here: go through /proc/PID.
  const root = sameNs ? c.root : `/proc/${c.hostProcessId}/root`;
  const prefix = (p: string) => (sameNs ? (root === "/" ? p : root + p) : root + p);
  if (c.path.startsWith("/")) return prefix(c.path);
  if (c.dirfd !== AT_FDCWD && c.dirfdPath) {
    if (c.path === "" && c.flags & AT_EMPTY_PATH) return prefix(c.dirfdPath);
    return prefix(join(c.dirfdPath, c.path));
  }
  return sameNs ? prefix(join(c.pwd, c.path)) : join(`/proc/${c.hostProcessId}/cwd`, c.path);
}

/** Kernel dev_t encoding of a stat(2) st_dev. */
export function kernelDev(stDev: bigint): number {
  const major = Number(((stDev >> 8n) & 0xfffn) | ((stDev >> 32n) & ~0xfffn));
  const minor = Number((stDev & 0xffn) | ((stDev >> 12n) & ~0xffn));
  return ((major << 20) | minor) >>> 0;
}

/** Interpreter named by the file's first bytes: "#!" line, or an ELF's PT_INTERP. */
export function interpreterOf(file: string | Buffer): string {
  let fd = -1;
  try {
    fd = openSync(file, "r");
    const head = new Uint8Array(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n >= 2 && head[0] === 0x23 && head[1] === 0x21) {
      let end = head.indexOf(0x0a, 2);
      if (end < 0) end = n;
      const line = decodeBytes(head, 2, Math.min(end, n)).replace(/^[ \t]+/, "");
      return line.split(/[ \t]/)[0] ?? "";
    }
    if (n >= 64 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46 && head[4] === 2) {
      const dv = new DataView(head.buffer);
      const phoff = Number(dv.getBigUint64(32, true));
      const phentsize = dv.getUint16(54, true);
      const phnum = dv.getUint16(56, true);
      const ph = new Uint8Array(phentsize * phnum);
      readSync(fd, ph, 0, ph.length, phoff);
      const pv = new DataView(ph.buffer);
      for (let i = 0; i < phnum; i++) {
        if (pv.getUint32(i * phentsize, true) !== 3 /* PT_INTERP */) continue;
        const off = Number(pv.getBigUint64(i * phentsize + 8, true));
        const size = Number(pv.getBigUint64(i * phentsize + 32, true));
        const buf = new Uint8Array(Math.min(size, 4096));
        readSync(fd, buf, 0, buf.length, off);
        const nul = buf.indexOf(0);
        return decodeBytes(buf, 0, nul < 0 ? buf.length : nul);
      }
    }
  } catch {
    // unreadable, a directory, gone: no interpreter to report
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  return "";
}

/** Fill binary and interpreter_path of a failed exec (ev.x). A path that could not be read, or
 * an empty one, names nothing: it is not resolved (resolving "" would name the caller's cwd). */
export function resolveFailedBinary(ev: RecordEvent): void {
  if (pathUnreadable(ev)) return;
  const c = callerView(ev);
  if (c.path === "" && !(c.flags & AT_EMPTY_PATH)) return;
  const target = callerPath(c);
  const raw = Buffer.from(encodeBytes(target)); // paths are bytes: keep non-UTF-8 names exact
  // execveat(AT_SYMLINK_NOFOLLOW) does not follow a symlink in the last component (ELOOP): nor
  // does this; the directories before it are followed, as the kernel did.
  const nofollow = (c.flags & AT_SYMLINK_NOFOLLOW) !== 0;
  let st: BigIntStats;
  try {
    st = nofollow ? lstatSync(raw, { bigint: true }) : statSync(raw, { bigint: true });
  } catch {
    return; // does not exist (or cannot be reached): binary.path stays the unresolved path, numbers 0
  }
  let resolved = target;
  try {
    const cut = raw.lastIndexOf(0x2f);
    const b =
      nofollow && cut >= 0
        ? Buffer.concat([
            realpathSync(cut === 0 ? "/" : raw.subarray(0, cut), { encoding: "buffer" }),
            raw.subarray(cut),
          ])
        : realpathSync(raw, { encoding: "buffer" });
    resolved = decodeBytes(b, 0, b.length).replace(/^\/\//, "/");
  } catch {}
  if (!c.path.startsWith("/proc/") && resolved.startsWith(`/proc/${c.hostProcessId}/root/`)) {
    resolved = resolved.slice(`/proc/${c.hostProcessId}/root`.length);
  }
  ev.x.binary = {
    path: resolved,
    device_id: kernelDev(st.dev),
    inode_number: st.ino,
    ctime: st.ctimeNs,
    inode_mode: Number(st.mode),
  };
  if (st.isFile()) ev.x.interpreterPath = interpreterOf(raw);
}
