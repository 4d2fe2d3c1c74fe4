// Test helper: writes events through a Writer to stdout until the reader goes away, then exits 0.

import { JsonEncoder } from "../../src/format/json.ts";

const json = new JsonEncoder(false);
import { Writer } from "../../src/sink/writer.ts";
import { execView } from "../records.ts";

const mode = process.argv[2] ?? "text";
const w = Writer.open(null);
for (let i = 0; i < 10_000_000 && !w.closed; i++) {
  if (mode === "json") {
    json.encode(w, execView(i));
    w.commit();
  } else {
    w.write(`line ${i}\n`);
  }
  if (i % 100 === 0) w.flush(); // as the main loop does after each ring poll batch
}
w.close();
process.exit(w.closed ? 0 : 3); // 3: the reader never went away (test would hang first)
