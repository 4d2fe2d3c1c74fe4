// Event → sink in the chosen format; JSON takes the no-string path straight into the buffer.

import type { TraceEvent } from "../event.ts";
import type { Writer } from "../sink/writer.ts";
import { encodeJson } from "./json.ts";
import { createTableFormatter } from "./table.ts";

/** The per-event callback for main's loop: (e) => void, writing e to sink as format says. */
export function eventWriter(format: "json" | "table", sink: Writer): (e: TraceEvent) => void {
  if (format === "json") {
    return (e) => {
      encodeJson(sink, e);
      sink.commit();
    };
  }
  const table = createTableFormatter(sink);
  return (e) => sink.write(table(e));
}
