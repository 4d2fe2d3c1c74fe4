// Event → sink in the chosen format: JSON straight into the sink's buffer, or table lines.

import type { EventView, RecordEvent } from "../decode/event.ts";
import { JsonEncoder } from "./json.ts";
import type { ByteBuf } from "./bytes.ts";
import { Table, type TableOptions } from "./table.ts";

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

/** The per-event callback for the run's loop, writing each event to sink as format says. */
export function eventWriter(format: "json" | "table", sink: LineSink, captureEnv: boolean, table: TableOptions, hash = false): EventWriter {
  if (format === "json") {
    const json = new JsonEncoder(captureEnv, hash);
    return {
      write: (ev) => {
        json.encode(sink, ev);
        sink.commit();
      },
      finish: () => {},
      tick: () => {},
      holding: () => false,
    };
  }
  return tableWriter(sink, table);
}

/** Table lines to sink, the header first (tracer show uses it for saved events too). */
export function tableWriter(sink: { write(s: string): void }, o: TableOptions): { write(ev: EventView): void; finish(): void; tick(): void; holding(): boolean } {
  const t = new Table(o);
  sink.write(t.header());
  return {
    write: (ev) => sink.write(t.add(ev)),
    finish: () => sink.write(t.finish()),
    tick: () => {
      const held = t.expire(BigInt(Date.now()) * 1_000_000n);
      if (held) sink.write(held);
    },
    holding: () => t.holding(),
  };
}
