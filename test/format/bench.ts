// Formatter throughput on a realistic exec event: bun test/format/bench.ts [json|json-string|table] [N]

import type { TraceEvent } from "../../src/event.ts";
import { ByteBuf } from "../../src/format/bytes.ts";
import { encodeJson, formatJson } from "../../src/format/json.ts";
import { formatTable } from "../../src/format/table.ts";

export function execEvent(i: number): TraceEvent {
  return {
    timestamp: 1700000000123456789n + BigInt(i),
    threadStartTime: 1700000000000000000n,
    processorId: i & 7,
    processId: 4242 + (i & 1023),
    threadId: 4242 + (i & 1023),
    parentProcessId: 4000,
    hostProcessId: 4242 + (i & 1023),
    hostThreadId: 4242 + (i & 1023),
    hostParentProcessId: 4000,
    userId: 1000,
    mountNamespace: 4026531841,
    pidNamespace: 4026531836,
    cgroupId: 5678,
    processName: "gcc",
    executable: { path: "/usr/bin/gcc" },
    hostName: "buildhost",
    containerId: "",
    eventName: "sched_process_exec",
    returnValue: 0,
    syscall: "execve",
    threadEntityId: 3735928559,
    processEntityId: 3735928559,
    parentEntityId: 305419896,
    seq: i,
    args: [
      { name: "cmdpath", type: "const char*", value: "/usr/bin/gcc" },
      { name: "pathname", type: "const char*", value: "/usr/bin/x86_64-linux-gnu-gcc-12" },
      { name: "dev", type: "dev_t", value: 66306 },
      { name: "inode", type: "unsigned long", value: 1837465n },
      { name: "ctime", type: "unsigned long", value: 1699999999000000000n },
      { name: "inode_mode", type: "umode_t", value: 33261 },
      {
        name: "argv",
        type: "const char**",
        value: ["gcc", "-O2", "-Wall", "-c", "-o", "build/obj/main.o", "src/main.c", "-Iinclude", "-DNDEBUG", "-fPIC"],
      },
      { name: "stdin_type", type: "umode_t", value: 8592 },
      { name: "stdin_path", type: "char*", value: "/dev/pts/3" },
      { name: "invoked_from_kernel", type: "bool", value: false },
    ],
  };
}

/** events/s of fn over n events (best of `rounds`), after a warm-up. */
function measure(fn: (e: TraceEvent) => number, n: number, rounds = 5): { rate: number; bytes: number } {
  const events = Array.from({ length: 1024 }, (_, i) => execEvent(i));
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
  const fns: Record<string, (e: TraceEvent) => number> = {
    // the sink path: encode into the writer's buffer (reset where the writer would flush)
    json: (e) => {
      const before = out.pos;
      encodeJson(out, e);
      const len = out.pos - before;
      if (out.pos > 900_000) out.pos = 0;
      return len;
    },
    // the string API (encode + decode back to a JS string)
    "json-string": (e) => formatJson(e).length,
    table: (e) => formatTable(e).length,
  };
  const fn = fns[which];
  if (!fn) throw new Error(`unknown mode ${which}: ${Object.keys(fns).join(", ")}`);
  const { rate, bytes } = measure(fn, n);
  console.log(`${which}: ${Math.round(rate).toLocaleString("en")} events/s (${(1e9 / rate).toFixed(0)} ns/event, ${bytes.toFixed(0)} bytes/event)`);
}
