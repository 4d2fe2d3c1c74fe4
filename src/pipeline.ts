// The data path: ring records → decoder → enrichment → formatter → sink. Owns the counters of what passed.
import { rec_header as H } from "./decode/layout.gen";
import { decodeRecord, DecodeError, type DecoderOptions } from "./decode/index";
import { checkRecord, type Rec } from "./decode/record";
import type { TraceEvent } from "./event";
import { createEnricher, createRecordEnricher } from "./enrich/index";
import { ProcessTable } from "./enrich/process-table";
import type { ByteBuf } from "./format/bytes";
import { DIRECT_KINDS, encodeRecordJson } from "./format/json-record";

export interface PipelineStats {
  decoded: number;
  malformed: number;
  excluded: number; // decoded, then left out by a user-space filter (--exec)
  lastError: string;
}

/** Where JSON lines of exec, fork and exit records go straight from the ring (see
 * format/json-record.ts): the sink's buffer; commit() after each line. */
export type JsonSink = ByteBuf & { commit(): void };

/**
 * Builds the onRecord handler: one reusable Rec and Uint8Array per ring view, no per-record
 * allocation besides the event itself. With `json`, exec, fork and exit records skip the event:
 * enriched from the record, written as JSON into `json`; everything else goes through `emit`.
 */
export function recordHandler(opts: DecoderOptions, emit: (e: TraceEvent) => void, stats: PipelineStats, json: JsonSink | null = null) {
  const table = new ProcessTable();
  const enrich = createEnricher(table);
  const programOf = createRecordEnricher(table);
  let lastView: DataView | null = null;
  const rec: Rec = { dv: null as unknown as DataView, u8: null as unknown as Uint8Array, off: 0, len: 0 };
  return (view: DataView, offset: number, length: number): void => {
    if (view !== lastView) {
      lastView = view;
      rec.dv = view;
      rec.u8 = Buffer.from(view.buffer, view.byteOffset, view.byteLength); // a Buffer: utf8Slice without copies
    }
    rec.off = offset;
    rec.len = length;
    try {
      const kind = length >= H.$size ? view.getUint32(offset + H.kind, true) : -1;
      const fixed = json !== null ? DIRECT_KINDS[kind] : undefined;
      if (fixed !== undefined) {
        checkRecord(rec, fixed); // before the process table reads the record
        encodeRecordJson(json!, rec, opts, opts.captureEnv, programOf(rec, kind));
        stats.decoded++;
        json!.commit();
        return;
      }
      const ev = decodeRecord(rec, opts);
      stats.decoded++;
      enrich(ev);
      emit(ev);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      stats.malformed++;
      stats.lastError = e.message;
    }
  };
}
