// Event → sink in the chosen format: JSON straight into the sink's buffer, or table lines.

import { dfgOnly } from "../jit";
import type { EventView, RecordEvent } from "../decode/event.ts";
import { JsonEncoder } from "./json.ts";
import { ByteBuf } from "./bytes.ts";
import type { Table, TableOptions } from "./table.ts";

/** Where lines go: a byte buffer whose commit() ends a line (sink/writer.ts's Writer). */
export interface LineSink extends ByteBuf {
  commit(): void;
  write(s: string): void;
}

export interface EventWriter {
  write(ev: RecordEvent): void;
  /** The end of the events: lines the table still holds (PATH searches). */
  finish(): void;
  /** Called after each poll: lines held longer than their bound are written (table). */
  tick(): void;
  /** Lines are held (the loop must come back soon to write them). */
  holding(): boolean;
}

/** Each event's JSON line (without its newline), valid during the call: --nats's input. */
export type LineTap = (line: Uint8Array, ev: RecordEvent) => void;

/** The per-event callback for the run's loop, writing each event to sink as format says; with
 * `tap`, each JSON line is also handed to it: encoded once, the same bytes as sink's line
 * (sink null: only to tap). */
export async function eventWriter(
  format: "json" | "table",
  sink: LineSink | null,
  captureEnv: boolean,
  table: TableOptions,
  hash = false,
  tap: LineTap | null = null,
): Promise<EventWriter> {
  const rows = sink !== null && format === "table" ? tableWriter(sink, await newTable(table)) : null;
  if (tap) return tappedWriter(rows, sink, captureEnv, hash, tap);
  if (sink === null) throw new Error("eventWriter: no sink and no tap");
  if (format === "json") {
    const json = new JsonEncoder(captureEnv, hash);
    const write = (ev: RecordEvent) => {
      json.encode(sink, ev);
      sink.commit();
    };
    dfgOnly(write); // src/jit.ts
    return {
      write,
      finish: () => {},
      tick: () => {},
      holding: () => false,
    };
  }
  return rows!;
}

/** The table's modules (table.ts and what only it needs: the saved lines' scanner, the cells)
 * are evaluated when a table is written, not at every start: a JSON run's CPU to `ready` is
 * ~3 ms less (2026-12-07). */
async function newTable(o: TableOptions): Promise<Table> {
  return new (await import("./table.ts")).Table(o);
}

function tappedWriter(
  rows: EventWriter | null,
  sink: LineSink | null,
  captureEnv: boolean,
  hash: boolean,
  tap: LineTap,
): EventWriter {
  const json = new JsonEncoder(captureEnv, hash);
  const line = new ByteBuf(1 << 16);
  return {
    write: (ev) => {
      line.pos = 0;
      json.encode(line, ev);
      const n = line.pos;
      tap(line.buf.subarray(0, n - 1), ev);
      if (rows) rows.write(ev);
      else if (sink) {
        sink.reserve(n);
        sink.buf.set(line.buf.subarray(0, n), sink.pos);
        sink.pos += n;
        sink.commit();
      }
    },
    finish: () => rows?.finish(),
    tick: () => rows?.tick(),
    holding: () => rows?.holding() ?? false,
  };
}

/** Table t's lines to sink, the header first (tracer show uses it for saved events too). */
export function tableWriter(
  sink: LineSink,
  t: Table,
): { write(ev: EventView): void; finish(): void; tick(): void; holding(): boolean } {
  sink.write(t.header());
  return {
    write: (ev) => {
      t.write(ev, sink);
      sink.commit();
    },
    finish: () => sink.write(t.finish()),
    tick: () => {
      const held = t.expire(BigInt(Date.now()) * 1_000_000n);
      if (held) sink.write(held);
    },
    holding: () => t.holding(),
  };
}
