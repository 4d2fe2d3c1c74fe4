// argv and env areas in a record: NUL-separated strings, and what the capture limit left out.
import { spanLen, spanStart, type Rec } from "./record";
import { nulListEnd } from "./text";
import type { NulArea } from "./schema";

export interface StringArea extends NulArea {
  /** The last string was cut (the captured bytes do not end with NUL). */
  lastCut: boolean;
  /** Bytes the process had that were not captured. */
  droppedBytes: number;
  /** Strings the process had (argc, envc). */
  count: number;
  /** Strings captured (the cut one included). */
  captured: number;
}

/** The area of the span at `spanAt`, with the process's byte total at `totalAt` and string count
 * at `countAt` (u32s of the record). */
export function stringArea(r: Rec, spanAt: number, totalAt: number, countAt: number): StringArea {
  const start = spanStart(r, spanAt);
  const len = spanLen(r, spanAt);
  const total = r.dv.getUint32(r.off + totalAt, true);
  const end = start + len;
  return {
    start,
    end,
    lastCut: len > 0 && r.u8[end - 1] !== 0,
    droppedBytes: total > len ? total - len : 0,
    count: r.dv.getUint32(r.off + countAt, true),
    captured: nulCount(r.u8, start, end),
  };
}

/** How many strings a NUL list holds (see text.ts nulListEnd). */
export function nulCount(u8: Uint8Array, start: number, end: number): number {
  if (end <= start) return 0;
  const stop = nulListEnd(u8, start, end);
  let n = 1;
  for (let i = start; i < stop; i++) if (u8[i] === 0) n++; // short strings: a loop beats indexOf
  return n;
}

/** Strings not captured whole (the cut one included). */
export function droppedItems(a: StringArea): number {
  return Math.max(0, a.count - (a.captured - (a.lastCut ? 1 : 0)));
}

/** The area was cut by the capture limit. */
export function areaCut(a: StringArea): boolean {
  return a.lastCut || a.droppedBytes > 0;
}
