// The event kinds by record kind, and the one step from a ring record to an event view.
import { rec_header as H, record_kind as K } from "./layout.gen";
import { DecodeError } from "./record";
import type { RecordEvent } from "./event";
import type { AnyDef } from "./schema";
import { EXEC } from "./events/exec";
import { EXEC_FAILED } from "./events/exec-failed";
import { FORK } from "./events/fork";
import { EXIT } from "./events/exit";
import { LOST } from "./events/lost";

export { DecodeError } from "./record";
export { EXEC, EXEC_FAILED, FORK, EXIT, LOST };

/** The events the kernel reports (selectable with --events), and every event, in docs/fields.md's order. */
export const TRACED = [EXEC, EXEC_FAILED, FORK, EXIT] as const;
export const EVENTS = [...TRACED, LOST] as const;

const BY_KIND: (AnyDef | undefined)[] = [];
for (const d of EVENTS) BY_KIND[d.kind] = d;

/** The definition of a record kind; DecodeError for an unknown one, and for lost_events unless
 * the record is user space's own (the kernel never sends one). */
export function defOfKind(kind: number, own = false): AnyDef {
  const d = kind === K.KIND_LOST && !own ? undefined : BY_KIND[kind];
  if (d === undefined) throw new DecodeError(`unknown record kind ${kind}`);
  return d;
}

/** Point `ev` at the record view[off, off + len) (`own`: made by user space, not the ring).
 * Throws DecodeError for a bad record. */
export function decodeInto(
  ev: RecordEvent,
  dv: DataView,
  u8: Uint8Array,
  off: number,
  len: number,
  own = false,
): RecordEvent {
  if (len < H.$size) throw new DecodeError(`record of ${len} bytes is shorter than its header (${H.$size})`);
  return ev.set(defOfKind(dv.getUint32(off + H.kind, true), own), dv, u8, off, len);
}
