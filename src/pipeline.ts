// The data path: ring records → decoder (an event view over the record) → redaction →
// enrichment → the caller's delivery (filters, formatters, sinks). Owns the counters of what passed.
import { decodeInto, DecodeError, EVENTS } from "./decode/index";
import { RecordEvent, type DecodeOptions } from "./decode/event";
import { createEnricher } from "./enrich/index";
import { FileHasher, type HashStats } from "./enrich/hash";
import { byteRedactor, redactStage } from "./redact/record";
import { ProcessTable } from "./enrich/process-table";
import { walkProc } from "./enrich/proc-walk";
import type { RedactOptions } from "./redact/redactor";
import { dfgOnly } from "./jit";
import { TOP } from "./decode/top";
import * as decodeEvent from "./decode/event";
import * as decodeRecord from "./decode/record";
import * as decodeText from "./decode/text";
import * as decodeClock from "./decode/clock";
import * as decodeEntity from "./decode/entity";
import * as decodeStringArea from "./decode/string-area";
import * as decodeTop from "./decode/top";
import * as decodeSeq from "./decode/seq";
import * as redactBytes from "./redact/bytes";
import * as decodeIndex from "./decode/index";
import * as decodeSchema from "./decode/schema";
import * as execEvent from "./decode/events/exec";
import * as execFailedEvent from "./decode/events/exec-failed";

// The record path out of the FTL tier (src/jit.ts): what decodes, redacts and enriches a record,
// each event kind's per-record preparation and its fields' functions.
dfgOnly(
  decodeIndex,
  decodeSchema,
  execEvent,
  execFailedEvent,
  decodeEvent,
  decodeRecord,
  decodeText,
  decodeClock,
  decodeEntity,
  decodeStringArea,
  decodeTop,
  decodeSeq,
  redactBytes,
  ProcessTable,
);
for (const d of EVENTS) {
  dfgOnly(d.prepare);
  for (const f of [...TOP, ...d.args]) dfgOnly(f.fn, f.omit);
}

export interface PipelineStats {
  decoded: number;
  malformed: number;
  excluded: number; // decoded, then left out by a user-space filter (--exec)
  lastError: string;
}

export interface Pipeline {
  /** The ring reader's handler: one record, valid during the call only. */
  onRecord(view: DataView, offset: number, length: number): void;
  /** A record user space made (lost_events), through the same steps. */
  onOwnRecord(bytes: Uint8Array): void;
  /** --hash: what the hasher did (null without --hash). */
  readonly hashStats: HashStats | null;
  /** Seed the process table from /proc (once attached, before the first record): returns the
   * number of processes read. */
  walkProc(): number;
}

/** One reusable event view for the ring's records (no allocation per record besides what a
 * formatter asks for); `deliver` must not keep the view past its call (RecordEvent.clone). */
export function createPipeline(
  opts: DecodeOptions,
  deliver: (ev: RecordEvent) => void,
  stats: PipelineStats,
  redactions: RedactOptions | null = null,
): Pipeline {
  const ev = new RecordEvent(opts);
  const redactor = redactions && byteRedactor(redactions);
  const redact = redactor && redactStage(redactor); // before everything that reads the event
  const hasher = opts.hash ? new FileHasher() : null;
  const table = new ProcessTable(opts.clock, redactor, opts.ancestors ?? false);
  const enrich = createEnricher(hasher, table);
  let lastView: DataView | null = null;
  let u8: Uint8Array = new Uint8Array(0);
  const run = (dv: DataView, bytes: Uint8Array, offset: number, length: number, own: boolean) => {
    try {
      decodeInto(ev, dv, bytes, offset, length, own);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      stats.malformed++;
      stats.lastError = e.message;
      return;
    }
    stats.decoded++;
    if (redact !== null) redact(ev);
    if (opts.seq && !own) ev.x.seq = opts.seq.of(dv, offset); // once per ring record, in ring order
    enrich(ev);
    deliver(ev);
  };
  dfgOnly(run, enrich, redact);
  const p: Pipeline = {
    hashStats: hasher?.stats ?? null,
    walkProc: () => walkProc(table),
    onRecord(view, offset, length) {
      if (view !== lastView) {
        lastView = view;
        u8 = Buffer.from(view.buffer, view.byteOffset, view.byteLength); // a Buffer: utf8Slice without copies
      }
      run(view, u8, offset, length, false);
    },
    onOwnRecord(bytes) {
      const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      run(new DataView(b.buffer, b.byteOffset, b.byteLength), b, 0, b.length, true);
    },
  };
  dfgOnly(p.onRecord, p.onOwnRecord);
  return p;
}
