// Who ran it, with which privileges, from where: the args both exec events take from a
// struct task_who (credentials as Tracee's SlimCred, audit login uid and session, tty).
import { dfgOnly } from "../../jit";
import { cred_id as C, rec_header as H, record_flag as RF, task_who as W } from "../layout.gen";
import { spanText } from "../record";
import type { RecordEvent } from "../event";
import { num, obj, str } from "../schema";

/** Tracee's SlimCred keys, each with where its value is in struct cred_id. */
const SLIM_CRED = [
  ["Uid", C.uid],
  ["Gid", C.gid],
  ["Suid", C.suid],
  ["Sgid", C.sgid],
  ["Euid", C.euid],
  ["Egid", C.egid],
  ["Fsuid", C.fsuid],
  ["Fsgid", C.fsgid],
  ["UserNamespace", C.user_ns],
  ["SecureBits", C.securebits],
] as const;
const SLIM_CAPS = [
  ["CapInheritable", C.cap_inheritable],
  ["CapPermitted", C.cap_permitted],
  ["CapEffective", C.cap_effective],
  ["CapBounding", C.cap_bounding],
  ["CapAmbient", C.cap_ambient],
] as const;

export type SlimCred = Record<(typeof SLIM_CRED)[number][0] | (typeof SLIM_CAPS)[number][0], number>;

function credsAt(ev: RecordEvent, at: number): SlimCred {
  const o: Record<string, number> = {};
  for (const [k, off] of SLIM_CRED) o[k] = ev.u32(at + off);
  // capability sets are 41 bits today: exact as numbers (a set beyond 2^53 would be a kernel bug)
  for (const [k, off] of SLIM_CAPS) o[k] = ev.u32(at + off) + ev.u32(at + off + 4) * 4294967296;
  return Object.freeze(o) as SlimCred;
}

/* A host runs few distinct credentials: each is kept as one frozen object (the JSON encoder then
 * writes its bytes once; building and encoding the object per exec cost ~15% of an exec line). */
const WORDS = C.$size / 4;
const credCache = new Map<number, { words: Int32Array; creds: SlimCred }[]>();

/** The record's cred_id at base holds these words. */
function sameWords(words: Int32Array, dv: DataView, base: number): boolean {
  for (let i = 0; i < WORDS; i++) if (words[i] !== dv.getInt32(base + 4 * i, true)) return false;
  return true;
}

// Index loops and no labelled continue: the for-of/continue-label version was compiled at the
// DFG tier 7 times in one run (bench/jit.ts), each time thrown away again. The words are read as
// int32 (the same bits): getUint32 gives a double for a word ≥ 2^31 (a full capability set), and
// the code compiled for the int32 ones it had seen exited to be compiled again.
function cachedCreds(ev: RecordEvent, at: number): SlimCred {
  const dv = ev.r.dv;
  const base = ev.r.off + at;
  let h = 0x811c9dc5;
  for (let i = 0; i < WORDS; i++) h = Math.imul(h ^ dv.getInt32(base + 4 * i, true), 0x01000193);
  let bucket = credCache.get(h);
  if (bucket !== undefined) {
    for (let j = 0; j < bucket.length; j++) if (sameWords(bucket[j]!.words, dv, base)) return bucket[j]!.creds;
  } else {
    if (credCache.size >= 1024) credCache.clear();
    credCache.set(h, (bucket = []));
  }
  const words = new Int32Array(WORDS);
  for (let i = 0; i < WORDS; i++) words[i] = dv.getInt32(base + 4 * i, true);
  const creds = credsAt(ev, at);
  bucket.push({ words, creds });
  return creds;
}

/** A tty's kernel name as ps(1) prints it: "pts3" → "pts/3" (the devpts node), others as they are. */
export function ttyName(kernelName: string): string {
  const m = /^pts(\d+)$/.exec(kernelName);
  return m ? `pts/${m[1]}` : kernelName;
}

const NO_LOGIN = 4294967295;

/** The who-args of an event whose record holds a struct task_who at `at`. */
export function whoFields(at: number) {
  const noAudit = (ev: RecordEvent) => (ev.u32(H.flags) & RF.RF_NO_LOGIN) !== 0;
  return [
    obj(
      "creds",
      (ev) => cachedCreds(ev, at + W.creds),
      "the credentials the program runs with (after the exec's setuid/capability change; for a failed exec, the caller's): Tracee's `SlimCred` `{Uid, Gid, Suid, Sgid, Euid, Egid, Fsuid, Fsgid, UserNamespace, SecureBits, CapInheritable, CapPermitted, CapEffective, CapBounding, CapAmbient}`, capability sets as bit masks, `UserNamespace` the user namespace's inode",
      "trace.SlimCred",
    ),
    num(
      "login_uid",
      "uint32",
      (ev) => (noAudit(ev) ? NO_LOGIN : ev.u32(at + W.login_uid)),
      "the audit login uid (`/proc/PID/loginuid`); 4294967295 when unset (or the kernel has no audit)",
    ),
    num(
      "session_id",
      "uint32",
      (ev) => (noAudit(ev) ? NO_LOGIN : ev.u32(at + W.session_id)),
      "the audit session id (`/proc/PID/sessionid`)",
    ),
    str(
      "tty",
      (ev) => ttyName(spanText(ev.r, at + W.tty)),
      "the controlling terminal as `ps` prints it (`pts/3`, `tty1`); empty when there is none",
    ),
  ] as const;
}

export type { RecordEvent };

dfgOnly(sameWords, cachedCreds); // src/jit.ts
