// Scope filters: what the user asked for (--pid, --uid, ...) → the kernel's filter maps and
// .rodata switches. Every scope filter runs in BPF, before a record is built or reserved.
import { statSync, readFileSync } from "node:fs";
import {
  filter_key as FK,
  filter_kind as K,
  filter_action as A,
  maps as M,
  scope_where as W,
  tracer_config as C,
  tracer_limits as LIMIT,
  rodata,
} from "../decode/layout.gen";
import type { BpfTracer } from "./loader";
import { UsageError, wrap } from "../errors";

/** One filter kind: values to keep (OR) and values to leave out (any wins). */
export interface ValueFilter<T> {
  include: T[];
  exclude: T[];
}

export interface Scope {
  pid: ValueFilter<number>;
  /** --pid-tree roots (and the -- COMMAND process): followed through forks in the kernel. */
  pidTree: number[];
  uid: ValueFilter<number>;
  comm: ValueFilter<string>;
  cgroup: ValueFilter<bigint>; // cgroup ids (cgroupId() resolves paths when the option is read)
  mntns: ValueFilter<number>;
  pidns: ValueFilter<number>;
  where: "any" | "container" | "host";
}

export function emptyScope(): Scope {
  const v = () => ({ include: [], exclude: [] });
  return { pid: v(), pidTree: [], uid: v(), comm: v(), cgroup: v(), mntns: v(), pidns: v(), where: "any" };
}

/** The scope with the tracer's own process left out (its threads are never events). */
export function excludeSelf(s: Scope, pid = process.pid): Scope {
  return { ...s, pid: { include: s.pid.include, exclude: [...s.pid.exclude, pid] } };
}

/** "123" → include, "!123" → exclude, for any value list. */
export function addValue<T>(f: ValueFilter<T>, raw: string, parse: (s: string) => T, parseExclude = parse): void {
  if (raw.startsWith("!")) f.exclude.push(parseExclude(raw.slice(1)));
  else f.include.push(parse(raw));
}

export function parseId(flag: string) {
  return (s: string): number => {
    if (!/^\d+$/.test(s) || Number(s) > 0xffffffff)
      throw new UsageError(`${flag} takes a number (or !number), not '${s}'`);
    return Number(s);
  };
}

function cgroup2Mount(): string {
  const line = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .find((l) => / - cgroup2 /.test(l));
  if (!line) throw new UsageError("--cgroup: no cgroup2 file system is mounted");
  return line.split(" ")[4]!;
}

/** A cgroup given as an id, an absolute path to its directory, or a path under the cgroup2 mount. */
export function cgroupId(spec: string): bigint {
  if (/^\d+$/.test(spec)) return BigInt(spec);
  const path =
    spec.startsWith("/sys/fs/cgroup") || spec.startsWith(cgroup2Mount())
      ? spec
      : cgroup2Mount() + (spec.startsWith("/") ? "" : "/") + spec;
  try {
    const st = statSync(path, { bigint: true });
    if (!st.isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR", errno: -20 });
    return st.ino; // cgroup v2: the directory's inode number is the cgroup id
  } catch (e) {
    throw new UsageError(`--cgroup ${spec}: ${wrap(path, e).message}`);
  }
}

function has(f: ValueFilter<unknown>): boolean {
  return f.include.length + f.exclude.length > 0;
}

/** Every process in scope starts after the programs are attached: only COMMAND's tree is
 * followed (no --pid, no --pid-tree), so nothing that began before the tracer has an event. */
export function onlyLaterProcesses(s: Scope, followCommand: boolean): boolean {
  return followCommand && s.pid.include.length === 0 && s.pidTree.length === 0;
}

/** The .rodata switches of a scope. */
export function configureScope(dv: DataView, s: Scope, hostMntNs: number, followCommand = false): void {
  const at = rodata.tracer_cfg;
  const kinds: [number, ValueFilter<unknown>][] = [
    [K.FK_PID, { include: [...s.pid.include, ...s.pidTree, ...(followCommand ? [0] : [])], exclude: s.pid.exclude }],
    [K.FK_UID, s.uid],
    [K.FK_COMM, s.comm],
    [K.FK_CGROUP, s.cgroup],
    [K.FK_MNTNS, s.mntns],
    [K.FK_PIDNS, s.pidns],
  ];
  let filterKinds = 0,
    includeKinds = 0;
  for (const [k, f] of kinds) {
    if (has(f)) filterKinds |= 1 << k;
    if (f.include.length) includeKinds |= 1 << k;
  }
  dv.setUint8(at + C.filter_kinds, filterKinds);
  dv.setUint8(at + C.include_kinds, includeKinds);
  dv.setUint8(at + C.follow_tree, s.pidTree.length || followCommand ? 1 : 0);
  dv.setUint8(
    at + C.scope_where,
    s.where === "container" ? W.SCOPE_CONTAINER : s.where === "host" ? W.SCOPE_HOST : W.SCOPE_ANY,
  );
  dv.setUint32(at + C.host_mnt_ns, hostMntNs, true);
}

/** The filter maps hold exactly what fillScopeMaps puts in them: sized for it (at most the
 * object's own max_entries, see LoadOptions.maxEntries) rather than preallocated for 4,096 and
 * 1,024 values (~1.5 ms of CPU at start-up on the bench host, 2026-12-07). */
export function scopeMapSizes(s: Scope): Record<string, number> {
  const n = (f: ValueFilter<unknown>) => f.include.length + f.exclude.length;
  return {
    [M.filter_values]: Math.max(1, n(s.pid) + n(s.uid) + n(s.cgroup) + n(s.mntns) + n(s.pidns)),
    [M.filter_comms]: Math.max(1, n(s.comm)),
  };
}

/** Fill the filter maps after load (before events can matter: attach happens first, but the
 * switches in .rodata already make every event fail an include until its value is here). */
export function fillScopeMaps(t: BpfTracer, s: Scope): void {
  const key = new Uint8Array(FK.$size);
  const kdv = new DataView(key.buffer);
  const put = (kind: number, value: bigint, action: number) => {
    kdv.setUint32(FK.kind, kind, true);
    kdv.setBigUint64(FK.value, value, true);
    t.update(M.filter_values, key, new Uint8Array([action]));
  };
  const each = <T>(kind: number, f: ValueFilter<T>, conv: (v: T) => bigint) => {
    for (const v of f.include) put(kind, conv(v), A.FA_INCLUDE);
    for (const v of f.exclude) put(kind, conv(v), A.FA_EXCLUDE);
  };
  each(K.FK_PID, s.pid, BigInt);
  each(K.FK_UID, s.uid, BigInt);
  each(K.FK_CGROUP, s.cgroup, (id) => id);
  each(K.FK_MNTNS, s.mntns, BigInt);
  each(K.FK_PIDNS, s.pidns, BigInt);
  const enc = new TextEncoder();
  const comm = (c: string, action: number) => {
    const k = new Uint8Array(LIMIT.TASK_COMM_LEN);
    k.set(enc.encode(c).subarray(0, LIMIT.TASK_COMM_LEN - 1));
    t.update(M.filter_comms, k, new Uint8Array([action]));
  };
  for (const c of s.comm.include) comm(c, A.FA_INCLUDE);
  for (const c of s.comm.exclude) comm(c, A.FA_EXCLUDE);
  for (const pid of s.pidTree) follow(t, pid);
}

/** Start following a process (and, through the kernel, every descendant it creates). */
export function follow(t: BpfTracer, pid: number): void {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, pid, true);
  t.update(M.traced, k, new Uint8Array([1]));
}
