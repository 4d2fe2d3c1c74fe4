// --hash: SHA-256 of the file an exec ran and of its ELF interpreter, read in user space from the
// same file the kernel executed: /proc/PID/exe while the process lives, else the path after
// checking that device, inode and ctime are still the exec's. Cached by (device, inode, ctime), so
// a busy host reads each binary once; bounded in size and time, so a huge or slow file costs at
// most that and yields the event with `hash_error` instead.
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { exec_record as E, file_id as F, rec_header as H } from "../decode/layout.gen";
import { accessor, type RecordEvent } from "../decode/event";
import { EXEC } from "../decode/index";
import { encodeBytes } from "../decode/text";
import { kernelDev, tracerMountNs } from "./binary";

/** Files larger than this are not read (`too large`). */
export const HASH_MAX_BYTES = 256 * 1024 * 1024;
/** Reading one file stops after this long (`slow`): the event waits at most this. */
export const HASH_MAX_MS = 500;
/** Entries kept: (device, inode, ctime) → digest or error. */
export const HASH_CACHE_ENTRIES = 8192;

const CHUNK = 1 << 20;
const chunk = new Uint8Array(CHUNK);

export interface HashStats {
  files: number; // files read and hashed
  bytes: number; // bytes read
  hits: number; // answered from the cache
  errors: number; // events with a hash_error
}

interface FileKey {
  dev: number;
  ino: bigint;
  ctime: bigint;
}

type Result = { sha256: string; error: string };

const pathname = accessor(EXEC, "pathname");
const interpreterPathname = accessor(EXEC, "interpreter_pathname");
const cmdpath = accessor(EXEC, "cmdpath");
const bprmInterp = accessor(EXEC, "interp");
const pwd = accessor(EXEC, "pwd");

export class FileHasher {
  readonly stats: HashStats = { files: 0, bytes: 0, hits: 0, errors: 0 };
  private readonly cache = new Map<string, Result>();

  /** Fill ev.x.sha256, interpreterSha256 and hashError of an exec event. */
  hashExec(ev: RecordEvent<typeof EXEC>): void {
    const bin = this.keyAt(ev, E.binary);
    const pid = ev.u32(H.host_pid);
    const b = this.get(bin, [`/proc/${pid}/exe`, pathname(ev)]);
    ev.x.sha256 = b.sha256;
    let error = b.error;
    const interp = this.keyAt(ev, E.interpreter);
    if (interp.ino !== 0n) {
      const i = this.get(interp, [interpreterPathname(ev)]);
      ev.x.interpreterSha256 = i.sha256;
      if (i.error && !error) error = `interpreter: ${i.error}`;
    }
    // a `#!` script (the kernel ran an interpreter for it): the script is a program too
    const typed = cmdpath(ev);
    if (bprmInterp(ev) !== typed && typed !== "") {
      const s = this.script(typed, pwd(ev), pid, ev.u32(H.mnt_ns));
      ev.x.scriptPath = s.path;
      ev.x.scriptSha256 = s.sha256;
      if (s.error && !error) error = `script: ${s.error}`;
    }
    ev.x.hashError = error;
    if (error) this.stats.errors++;
  }

  /** The script's full path (links followed) and digest, read by path: no tracepoint names its
   * inode, so the file is the one found there now, cached by its own (device, inode, ctime). */
  private script(typed: string, cwd: string, pid: number, mntNs: number): Result & { path: string } {
    const full = typed.startsWith("/") ? typed : (cwd.endsWith("/") ? cwd : cwd + "/") + typed;
    // another mount namespace's paths mean nothing here: read through the process's root
    const root = mntNs === tracerMountNs() ? "" : `/proc/${pid}/root`;
    let path = full;
    try {
      const real = realpathSync(Buffer.from(encodeBytes(root + full)), { encoding: "buffer" }).toString();
      path = root && real.startsWith(root + "/") ? real.slice(root.length) : root ? full : real;
      const st = statSync(root + path, { bigint: true });
      return { path, ...this.get({ dev: kernelDev(st.dev), ino: st.ino, ctime: st.ctimeNs }, [root + path]) };
    } catch (e) {
      return {
        path,
        sha256: "",
        error:
          (e as NodeJS.ErrnoException).code === "ENOENT" ? "gone" : ((e as NodeJS.ErrnoException).code ?? "unreadable"),
      };
    }
  }

  private keyAt(ev: RecordEvent, at: number): FileKey {
    const dv = ev.r.dv;
    const o = ev.r.off + at;
    return {
      dev: dv.getUint32(o + F.dev, true),
      ino: dv.getBigUint64(o + F.inode, true),
      ctime: dv.getBigUint64(o + F.ctime, true),
    };
  }

  private get(key: FileKey, paths: string[]): Result {
    const k = `${key.dev}:${key.ino}:${key.ctime}`;
    const hit = this.cache.get(k);
    if (hit) {
      this.stats.hits++;
      return hit;
    }
    const r = this.read(key, paths);
    if (r.error !== "slow") {
      if (this.cache.size >= HASH_CACHE_ENTRIES) this.cache.clear();
      this.cache.set(k, r); // "slow" is retried next time: the file may be faster then
    }
    return r;
  }

  /** Hash the first of the paths that is still the executed file. */
  private read(key: FileKey, paths: string[]): Result {
    let error = "gone";
    for (const p of paths) {
      let fd: number;
      try {
        fd = openSync(Buffer.from(encodeBytes(p)), "r");
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "ESRCH") error = code ?? "open failed";
        continue;
      }
      let r: Result;
      try {
        r = this.readFd(fd, key);
      } finally {
        closeSync(fd);
      }
      // /proc/PID/exe names the process's program now: after a further exec it is another file
      if (r.error !== "changed") return r;
      error = r.error;
    }
    return { sha256: "", error };
  }

  private readFd(fd: number, key: FileKey): Result {
    const same = () => {
      const st = fstatSync(fd, { bigint: true });
      return st.ino === key.ino && kernelDev(st.dev) === key.dev && st.ctimeNs === key.ctime ? st : null;
    };
    const st = same();
    if (!st) return { sha256: "", error: "changed" };
    if (st.size > BigInt(HASH_MAX_BYTES)) return { sha256: "", error: "too large" };
    const h = new Bun.CryptoHasher("sha256");
    const deadline = performance.now() + HASH_MAX_MS;
    let pos = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, CHUNK, pos);
      if (n <= 0) break;
      h.update(n === CHUNK ? chunk : chunk.subarray(0, n));
      pos += n;
      if (performance.now() > deadline) return { sha256: "", error: "slow" };
    }
    this.stats.files++;
    this.stats.bytes += pos;
    if (!same()) return { sha256: "", error: "changed" }; // written while we read it
    return { sha256: h.digest("hex"), error: "" };
  }
}
