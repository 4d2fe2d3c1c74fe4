// The data path, top to bottom: ring records → decoder (an event view over the record) →
// redaction → enrichment (createPipeline) → the trace's end instant → --exec → containers (their
// metadata, their filters) → every output: the per-process record, the CI session, --tree, the
// summary line, the formatter (table or JSON lines) → the sink and --nats (startDelivery). Owns
// the counters of what passed. The session (session/run.ts) opens the outputs, loads, starts and
// stops; it builds this path and feeds it the ring.
import { decodeInto, DecodeError, EVENTS, LOST } from "./decode/index";
import { RecordEvent, type DecodeOptions } from "./decode/event";
import { createEnricher } from "./enrich/index";
import { FileHasher, type HashStats } from "./enrich/hash";
import { byteRedactor, redactStage } from "./redact/record";
import { ProcessTable } from "./enrich/process-table";
import { walkProc } from "./enrich/proc-walk";
import type { RedactOptions } from "./redact/redactor";
import { execPathFilter } from "./filter/exec-path";
import type { ValueFilter } from "./load/scope";
import { startContainerPipe, type ContainerOptions, type ContainerPipe } from "./containers/pipe";
import type { EventWriter } from "./format/output";
import type { ProcessTree } from "./format/tree";
import type { RunSummary } from "./format/summary";
import type { Writer } from "./sink/writer";
import type { TraceLog } from "./ci/collect";
import type { CiSession } from "./ci/session";
import { dfgOnly } from "./jit";
import { TOP, topAccessor } from "./decode/top";
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
  dfgOnly(d.prepare, d.syscall, d.returnValue);
  for (const f of [...TOP, ...d.args]) dfgOnly(f.fn, f.omit, f.nulBytes);
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

// ---- after enrichment: the trace's end instant → --exec → containers → every output ----------

/** This part's options: --exec, and the container stage's (--runtime-socket, --container-name,
 * --image, --pod). */
export interface DeliveryOptions {
  execPath: ValueFilter<string>;
  containers: ContainerOptions;
}

/** Where every event that passes goes, in this order; opened (and closed) by the session. */
export interface EventOutputs {
  /** The per-process record (ci/collect.ts): --timeline, the critical path, the CI outputs. */
  log: TraceLog | null;
  /** --attest, --profile, --baseline, the job summary. */
  ci: CiSession | null;
  tree: ProcessTree | null;
  summary: RunSummary | null;
  /** The formatter (table or JSON lines; it feeds --nats too), writing to `sink`. */
  events: EventWriter;
  /** -o FILE, stdout, or stderr with COMMAND: not written to once it has closed (a reader gone). */
  sink: Writer;
}

export interface Delivery {
  /** An enriched event (createPipeline's `deliver`): a view, copied by the container stage when
   * it has to wait. */
  deliver(ev: RecordEvent): void;
  /** The container stage: the run loop asks it whether events wait; the end drains it. */
  containers: ContainerPipe;
  /** The trace ends at this instant (epoch ns): later events are not part of it. */
  end(ns: bigint): void;
}

const eventTime = topAccessor("timestamp");

/** The rest of the path, once the outputs are open (runtimes probed: one line for each given one
 * that does not answer). */
export async function startDelivery(opts: DeliveryOptions, out: EventOutputs, stats: PipelineStats): Promise<Delivery> {
  const { log, ci, tree, summary, sink } = out;
  const write = out.events.write;
  const keep = execPathFilter(opts.execPath);
  // after --exec and the container filters: every output sees the same events
  const toOutputs = (e: RecordEvent) => {
    log?.add(e);
    ci?.add(e);
    tree?.add(e);
    summary?.add(e);
    if (!sink.closed) write(e);
  };
  dfgOnly(toOutputs); // src/jit.ts (it reached FTL: 7 ms of compile in a run of 3,000 spawns)
  const containers = await startContainerPipe(opts.containers, toOutputs, () => stats.excluded++);
  dfgOnly(containers); // src/jit.ts (the stage and its hold: in their modules)
  // The trace ends at one instant, when the stop begins: the programs are detached in parallel
  // and in no set order, so without this a thread created during the shutdown could show its exit
  // without its fork (or its exec without either). Events after it are not part of the trace.
  let endNs = -1n;
  const delivery: Delivery = {
    containers,
    end: (ns) => void (endNs = ns),
    deliver(e) {
      if (endNs >= 0n && eventTime(e) > endNs && !e.is(LOST)) return;
      if (keep && !keep(e)) {
        stats.excluded++;
        return;
      }
      containers.push(e);
    },
  };
  dfgOnly(delivery.deliver); // src/jit.ts
  return delivery;
}
