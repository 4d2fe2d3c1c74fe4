// Where a ring record lies, its bounds checks, and reads of its spans and header strings.
import { rec_header as H, span as S } from "./layout.gen";
import { decodeBytes } from "./text";

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

/** Check every span of a record's fixed part at once, so that nothing is written for a record
 * that does not hold together (the JSON encoder writes as it reads). */
export function checkSpans(r: Rec, spans: readonly number[]): void {
  for (let i = 0; i < spans.length; i++) spanStart(r, spans[i]!);
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

/** The container id of the record's cgroup (cached per cgroup id). */
export function containerIdOfRecord(r: Rec): string {
  const cgroupId =
    r.dv.getUint32(r.off + H.cgroup_id, true) + r.dv.getUint32(r.off + H.cgroup_id + 4, true) * 4294967296;
  let id = containerIds.get(cgroupId);
  if (id === undefined) {
    id = containerIdOf(spanText(r, H.cgroup));
    if (containerIds.size >= 4096) containerIds.clear();
    containerIds.set(cgroupId, id);
  }
  return id;
}
