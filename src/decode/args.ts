// One walk over a record's args, two consumers: plain Arg objects (the decoders), or JSON written
// straight from the record's bytes (format/json-record.ts). The walkers in exec.ts, fork.ts and
// exit.ts are the one place that says which args an event has, of which type, in which order.
import type { Arg } from "../event";
import { epochNs, spanLen, spanStart, spanText, u64, type DecodeContext, type Rec } from "./record";
import { splitNul } from "./text";

/** What a walker hands over, arg by arg. Offsets `at` are absolute (r.off already added). */
export interface ArgVisitor {
  num(name: string, type: string, v: number): void;
  bool(name: string, type: string, v: boolean): void;
  text(name: string, type: string, v: string): void;
  list(name: string, type: string, v: readonly string[]): void;
  /** The string the span at field offset `field` points to. */
  span(name: string, type: string, r: Rec, field: number): void;
  /** The NUL-separated strings r.u8[start, end) (argv, env, see splitNul); returns their count. */
  nulList(name: string, type: string, r: Rec, start: number, end: number): number;
  /** A u64: a number where exact, else a bigint. */
  u64(name: string, type: string, r: Rec, at: number): void;
  /** A u64, always a bigint (inode ctimes). */
  big(name: string, type: string, r: Rec, at: number): void;
  /** A boot-time ns stamp as epoch ns (bigint; 0 stays 0: unknown). */
  time(name: string, type: string, r: Rec, at: number, ctx: DecodeContext): void;
  /** ns from the stamp at `startAt` to the one at `endAt` (bigint). */
  duration(name: string, type: string, r: Rec, endAt: number, startAt: number): void;
}

/** A NUL-separated area of the process (argv or env) and what the capture limit left out. */
export interface StringArea {
  start: number;
  end: number;
  /** The last string was cut (the captured bytes do not end with NUL). */
  lastCut: boolean;
  /** Bytes the process had that were not captured. */
  droppedBytes: number;
  /** Strings the process had (argc, envc). */
  count: number;
}

export function stringArea(r: Rec, spanAt: number, totalAt: number, countAt: number): StringArea {
  const start = spanStart(r, spanAt);
  const len = spanLen(r, spanAt);
  const total = r.dv.getUint32(r.off + totalAt, true);
  return {
    start,
    end: start + len,
    lastCut: len > 0 && r.u8[start + len - 1] !== 0,
    droppedBytes: total > len ? total - len : 0,
    count: r.dv.getUint32(r.off + countAt, true),
  };
}

/** Strings not captured whole (the cut one included), given how many were captured. */
export function droppedItems(a: StringArea, captured: number): number {
  return Math.max(0, a.count - (captured - (a.lastCut ? 1 : 0)));
}

/** The area was cut by the capture limit. */
export function areaCut(a: StringArea): boolean {
  return a.lastCut || a.droppedBytes > 0;
}

/** Builds the Arg objects of an event. */
export class ArgList implements ArgVisitor {
  readonly args: Arg[] = [];

  num(name: string, type: string, v: number): void {
    this.args.push({ name, type, value: v });
  }
  bool(name: string, type: string, v: boolean): void {
    this.args.push({ name, type, value: v });
  }
  text(name: string, type: string, v: string): void {
    this.args.push({ name, type, value: v });
  }
  list(name: string, type: string, v: readonly string[]): void {
    this.args.push({ name, type, value: v.slice() });
  }
  span(name: string, type: string, r: Rec, field: number): void {
    this.args.push({ name, type, value: spanText(r, field) });
  }
  nulList(name: string, type: string, r: Rec, start: number, end: number): number {
    const items = splitNul(r.u8, start, end).items;
    this.args.push({ name, type, value: items });
    return items.length;
  }
  u64(name: string, type: string, r: Rec, at: number): void {
    this.args.push({ name, type, value: u64(r.dv, at) });
  }
  big(name: string, type: string, r: Rec, at: number): void {
    this.args.push({ name, type, value: r.dv.getBigUint64(at, true) });
  }
  time(name: string, type: string, r: Rec, at: number, ctx: DecodeContext): void {
    this.args.push({ name, type, value: epochNs(r.dv, at, ctx) });
  }
  duration(name: string, type: string, r: Rec, endAt: number, startAt: number): void {
    this.args.push({ name, type, value: r.dv.getBigUint64(endAt, true) - r.dv.getBigUint64(startAt, true) });
  }
}
