// Event → sink in the chosen format: JSON straight into the sink's buffer, or a table line.

import type { RecordEvent } from "../decode/event.ts";
import type { Writer } from "../sink/writer.ts";
import { JsonEncoder } from "./json.ts";
import { createTableFormatter } from "./table.ts";

/** The per-event callback for the run's loop: (ev) => void, writing ev to sink as format says. */
export function eventWriter(format: "json" | "table", sink: Writer, captureEnv: boolean, hash = false): (ev: RecordEvent) => void {
  if (format === "json") {
    const json = new JsonEncoder(captureEnv, hash);
    return (ev) => {
      json.encode(sink, ev);
      sink.commit();
    };
  }
  const table = createTableFormatter(sink);
  return (ev) => sink.write(table(ev));
}
