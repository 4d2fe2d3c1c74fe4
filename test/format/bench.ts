// Formatter throughput on a realistic exec event: bun test/format/bench.ts [json|json-string|table] [N]

import type { RecordEvent } from "../../src/decode/event.ts";
import { ByteBuf } from "../../src/format/bytes.ts";
import { formatJson, JsonEncoder } from "../../src/format/json.ts";
import { Table } from "../../src/format/table.ts";
import { execView } from "../records.ts";

const json = new JsonEncoder(false);

/** events/s of fn over n events (best of `rounds`), after a warm-up. */
function measure(fn: (e: RecordEvent) => number, n: number, rounds = 5): { rate: number; bytes: number } {
  const events = Array.from({ length: 1024 }, (_, i) => execView(i));
  for (let i = 0; i < 300_000; i++) fn(events[i & 1023]!); // warm up into the optimizing JIT
  let best = Infinity;
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    bytes = 0;
    const t0 = Bun.nanoseconds();
    for (let i = 0; i < n; i++) bytes += fn(events[i & 1023]!);
    best = Math.min(best, Bun.nanoseconds() - t0);
  }
  return { rate: n / (best / 1e9), bytes: bytes / n };
}

if (import.meta.main) {
  const which = process.argv[2] ?? "json";
  const n = Number(process.argv[3] ?? 1_000_000);
  const out = new ByteBuf(1 << 20);
  const table = new Table({ width: null, color: false, timeOfDay: true, start: null, failures: false });
  const fns: Record<string, (e: RecordEvent) => number> = {
    // the sink path: encode into the writer's buffer (reset where the writer would flush)
    json: (e) => {
      const before = out.pos;
      json.encode(out, e);
      const len = out.pos - before;
      if (out.pos > 900_000) out.pos = 0;
      return len;
    },
    // the string API (encode + decode back to a JS string)
    "json-string": (e) => formatJson(json, e).length,
    table: (e) => table.add(e).length,
  };
  const fn = fns[which];
  if (!fn) throw new Error(`unknown mode ${which}: ${Object.keys(fns).join(", ")}`);
  const { rate, bytes } = measure(fn, n);
  console.log(
    `${which}: ${Math.round(rate).toLocaleString("en")} events/s (${(1e9 / rate).toFixed(0)} ns/event, ${bytes.toFixed(0)} bytes/event)`,
  );
}
