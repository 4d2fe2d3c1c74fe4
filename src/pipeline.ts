// The data path: ring records → decoder → formatter → sink. Owns the counters of what passed.
import { rec_header as H, record_kind as K } from "./decode/layout.gen";
import { decodeRecord, DecodeError, type DecoderOptions } from "./decode/index";
import type { TraceEvent } from "./event";
import { createEnricher } from "./enrich/index";

export interface PipelineStats {
  decoded: number;
  malformed: number;
  excluded: number; // decoded, then left out by a user-space filter (--exec)
  lastError: string;
}

/** Builds the onRecord handler: one reusable Rec and Uint8Array per ring view, no per-record allocation besides the event itself. */
export function recordHandler(opts: DecoderOptions, emit: (e: TraceEvent) => void, stats: PipelineStats) {
  const enrich = createEnricher();
  let lastView: DataView | null = null;
  const rec = { dv: null as unknown as DataView, u8: null as unknown as Uint8Array, off: 0, len: 0 };
  return (view: DataView, offset: number, length: number): void => {
    if (view !== lastView) {
      lastView = view;
      rec.dv = view;
      rec.u8 = Buffer.from(view.buffer, view.byteOffset, view.byteLength); // a Buffer: utf8Slice without copies
    }
    rec.off = offset;
    rec.len = length;
    let ev: TraceEvent;
    try {
      ev = decodeRecord(rec, opts);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      stats.malformed++;
      stats.lastError = e.message;
      return;
    }
    stats.decoded++;
    enrich(ev);
    emit(ev);
  };
}
