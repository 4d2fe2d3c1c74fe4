// Common record parts: bounds checks, the rec_header context, spans and entity ids.
import { rec_header as H, span as S } from "./layout.gen";
import { cString, decodeBytes } from "./text";
import type { Arg, EventName, TraceEvent } from "../event";
import type { SeqNumbers } from "./seq";

/** A record that cannot be decoded (truncated, inconsistent sizes, unknown kind). Skipped, counted. */
export class DecodeError extends Error {
  override name = "DecodeError";
}

/** Where one record lies: a DataView and a Uint8Array over the same memory, and its bounds. */
export interface Rec {
  dv: DataView;
  u8: Uint8Array;
  off: number; // first byte of the record in dv/u8
  len: number; // bytes available (the ring sample length)
}

/** Context of the decoder: the boot-time → epoch offset, measured once at start. */
export interface DecodeContext {
  bootToEpochNs: bigint;
  /** Makes one global sequence of per-CPU numbers (legacy kernels); without it seq is the kernel's. */
  seq?: SeqNumbers;
}

/** Check that the fixed part fits and that the header's size agrees with the sample. */
export function checkRecord(r: Rec, fixedSize: number): void {
  if (r.len < H.$size) throw new DecodeError(`record of ${r.len} bytes is shorter than its header (${H.$size})`);
  const size = r.dv.getUint32(r.off + H.size, true);
  if (size < fixedSize) throw new DecodeError(`record size ${size} is shorter than its fixed part (${fixedSize})`);
  if (size > r.len) throw new DecodeError(`record size ${size} exceeds the ${r.len} bytes received`);
}

/** Bounds of the span at field offset `at`, checked against the record's size. */
export function spanStart(r: Rec, at: number): number {
  const o = r.dv.getUint32(r.off + at + S.off, true);
  const n = r.dv.getUint32(r.off + at + S.len, true);
  const size = r.dv.getUint32(r.off + H.size, true);
  if (o + n > size) throw new DecodeError(`span at ${at} (${o}+${n}) runs past the record (${size})`);
  return r.off + o;
}

export function spanLen(r: Rec, at: number): number {
  return r.dv.getUint32(r.off + at + S.len, true);
}

/** The string a span points at (bytes, lossless; see text.ts). */
export function spanText(r: Rec, at: number): string {
  const start = spanStart(r, at);
  return decodeBytes(r.u8, start, start + spanLen(r, at));
}

/** A u64 as a number when exact, else as a bigint. */
export function u64(dv: DataView, at: number): number | bigint {
  const hi = dv.getUint32(at + 4, true);
  const lo = dv.getUint32(at, true);
  return hi < 0x200000 ? hi * 0x100000000 + lo : dv.getBigUint64(at, true);
}

/** Entity id of a task: 32-bit FNV-1a over (id, start time), both as the kernel gives them.
 * The same task gives the same id in its fork, exec and exit events. */
export function entityId(id: number, startLo: number, startHi: number): number {
  return fnv4(fnv4(fnv4(0x811c9dc5, id), startLo), startHi) >>> 0;
}

/** FNV-1a over the four little-endian bytes of a 32-bit word. */
function fnv4(h: number, w: number): number {
  h = Math.imul(h ^ (w & 0xff), 0x01000193);
  h = Math.imul(h ^ ((w >>> 8) & 0xff), 0x01000193);
  h = Math.imul(h ^ ((w >>> 16) & 0xff), 0x01000193);
  return Math.imul(h ^ (w >>> 24), 0x01000193);
}

export function entityAt(dv: DataView, idAt: number, startAt: number): number {
  return entityId(dv.getUint32(idAt, true), dv.getUint32(startAt, true), dv.getUint32(startAt + 4, true));
}

/** Boot-time ns at `at` → epoch ns (0 stays 0: unknown). */
export function epochNs(dv: DataView, at: number, ctx: DecodeContext): bigint {
  const t = dv.getBigUint64(at, true);
  return t === 0n ? 0n : t + ctx.bootToEpochNs;
}

const CONTAINER_RE = /(?:^|[-:])([0-9a-f]{64})(?:\.scope)?$/;

/** Container id from the leaf name of a cgroup (docker-<id>.scope, cri-containerd-<id>.scope,
 * libpod-<id>.scope, or a bare 64-hex id), else "". */
export function containerIdOf(cgroupName: string): string {
  return CONTAINER_RE.exec(cgroupName)?.[1] ?? "";
}

/** containerIdOf per cgroup id: a cgroup's name does not change, and a number key is cheap (a
 * Map keyed by the freshly decoded name string cost ~1 µs per event). */
const containerIds = new Map<number, string>();
function containerIdFor(r: Rec, cgroupId: number): string {
  let id = containerIds.get(cgroupId);
  if (id === undefined) {
    id = containerIdOf(spanText(r, H.cgroup));
    if (containerIds.size >= 4096) containerIds.clear();
    containerIds.set(cgroupId, id);
  }
  return id;
}

/** Where each u32 top-level field of an event comes from in the record header. */
export const HEADER_U32 = {
  processorId: H.cpu,
  processId: H.ns_pid,
  threadId: H.ns_tid,
  parentProcessId: H.ns_ppid,
  hostProcessId: H.host_pid,
  hostThreadId: H.host_tid,
  hostParentProcessId: H.host_ppid,
  userId: H.uid,
  mountNamespace: H.mnt_ns,
  pidNamespace: H.pid_ns,
} as const;

/** The (id, start time) pairs of the entity ids: thread, process, parent process. */
export const ENTITY_AT: readonly (readonly [id: number, start: number])[] = [
  [H.host_tid, H.thread_start],
  [H.host_pid, H.process_start],
  [H.host_ppid, H.parent_start],
];

/** The record's sequence number: the kernel's, or made global by ctx.seq (see seq.ts). */
export function seqOf(dv: DataView, off: number, ctx: DecodeContext): number {
  return ctx.seq ? ctx.seq.of(dv, off) : dv.getUint32(off + H.seq + 4, true) * 2 ** 32 + dv.getUint32(off + H.seq, true);
}

/** The container id of the record's cgroup (cached per cgroup id). */
export function containerIdOfRecord(r: Rec): string {
  return containerIdFor(r, u64(r.dv, r.off + H.cgroup_id) as number);
}

/** A new event: Tracee's top-level fields from the record header, in one object literal (one
 * hidden class for every event); args are filled by the caller, executable.path by enrichment
 * unless given. */
export function headerEvent(r: Rec, ctx: DecodeContext, eventName: EventName, syscall = "", returnValue = 0, path = ""): TraceEvent {
  const { dv, off } = r;
  const cgroupId = u64(dv, off + H.cgroup_id) as number;
  const U = HEADER_U32;
  return {
    timestamp: epochNs(dv, off + H.ts, ctx),
    threadStartTime: epochNs(dv, off + H.thread_start, ctx),
    processorId: dv.getUint32(off + U.processorId, true),
    processId: dv.getUint32(off + U.processId, true),
    threadId: dv.getUint32(off + U.threadId, true),
    parentProcessId: dv.getUint32(off + U.parentProcessId, true),
    hostProcessId: dv.getUint32(off + U.hostProcessId, true),
    hostThreadId: dv.getUint32(off + U.hostThreadId, true),
    hostParentProcessId: dv.getUint32(off + U.hostParentProcessId, true),
    userId: dv.getUint32(off + U.userId, true),
    mountNamespace: dv.getUint32(off + U.mountNamespace, true),
    pidNamespace: dv.getUint32(off + U.pidNamespace, true),
    cgroupId,
    processName: cString(r.u8, off + H.comm, off + H.comm + H.comm$count),
    executable: { path },
    hostName: spanText(r, H.hostname),
    containerId: containerIdFor(r, cgroupId),
    eventName,
    returnValue,
    syscall,
    threadEntityId: entityAt(dv, off + ENTITY_AT[0]![0], off + ENTITY_AT[0]![1]),
    processEntityId: entityAt(dv, off + ENTITY_AT[1]![0], off + ENTITY_AT[1]![1]),
    parentEntityId: entityAt(dv, off + ENTITY_AT[2]![0], off + ENTITY_AT[2]![1]),
    seq: seqOf(dv, off, ctx),
    args: [],
  };
}
