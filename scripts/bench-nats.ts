// bun scripts/bench-nats.ts [SPAWNS]: what --nats costs, against a local nats-server (root).
// 1. The sink alone: a real trace's lines pushed through NatsSink as fast as it takes them, to
//    the last acknowledgement: events per second and CPU per event (this process).
// 2. The tracer: an exec storm of SPAWNS (default 3000) followed with --pid-tree, -o FILE
//    with and without --nats: the tracer's CPU per event (utime+stime from /proc/PID/stat),
//    which a loaded machine disturbs less than wall-clock ratios.
import { spawn, spawnSync } from "bun";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NatsSink } from "../src/sink/nats";
import { natsDefaults } from "../src/session/config";
import { NatsServer } from "../test/nats/server";
import { fixture } from "../test/kernel/harness";

const spawns = Number(process.argv[2] ?? 3000);
const work = mkdtempSync(join(tmpdir(), "tracer-bench-nats-"));
const server = await NatsServer.create();
await server.start();
const storm = fixture("storm");
const TRACER = join(import.meta.dir, "..", "tracer");
const TICK_US = 1e6 / Number(spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim() || 100);

/** The tracer's CPU (µs) and event count for one storm. */
async function stormRun(extra: string[]): Promise<{ cpuUs: number; events: number }> {
  const base = extra.length ? await server.count("BENCH") : 0;
  const go = join(work, `go-${Math.random()}`);
  spawnSync(["mkfifo", go]);
  const w = spawn(["sh", "-c", `read x < ${go}; exec ${storm} ${spawns} /bin/true`], { stdout: "ignore" });
  const out = join(work, "events.jsonl");
  const t = spawn([TRACER, "--json", "-o", out, "--pid-tree", String(w.pid), ...extra], { stderr: "pipe" });
  const dec = new TextDecoder();
  let err = "";
  for await (const c of t.stderr) {
    err += dec.decode(c);
    if (err.includes("ready\n")) break;
  }
  await Bun.write(go, "\n");
  await w.exited;
  const events = () => readFileSync(out, "utf8").split("\n").length - 1;
  // every event written (and with --nats acknowledged: the stream holds as many)
  for (let n = -1; ; ) {
    await Bun.sleep(500);
    const now = events();
    if (now === n && (!extra.length || (await server.count("BENCH")) - base >= now)) break;
    n = now;
  }
  const stat = readFileSync(`/proc/${t.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const cpuUs = (Number(stat[11]) + Number(stat[12])) * TICK_US;
  t.kill("SIGTERM");
  await t.exited;
  return { cpuUs, events: events() };
}

try {
  await server.addStream("BENCH");
  // 1. the sink alone
  const sample = await stormRun(["--nats", server.url, "--nats-stream", "BENCH"]);
  const lines = readFileSync(join(work, "events.jsonl"), "utf8")
    .split("\n")
    .slice(0, -1)
    .map((l) => new TextEncoder().encode(l));
  const cfg = { ...natsDefaults(), servers: [server.url], stream: "BENCH" };
  const sink = await NatsSink.open(
    cfg,
    () => new Uint8Array(0),
    () => {},
  );
  const n = 50_000;
  const cpu0 = process.cpuUsage(),
    t0 = performance.now();
  for (let i = 0; i < n; i++) {
    sink.push(lines[i % lines.length]!, "sched_process_exec", 1e9 + i);
    if (i % 256 === 255) {
      sink.flush();
      await new Promise((r) => setImmediate(r)); // as the poll loop does between batches
    }
  }
  await sink.close(600_000);
  const ms = performance.now() - t0,
    cpu = process.cpuUsage(cpu0);
  console.log(
    `sink alone: ${n} events in ${(ms / 1000).toFixed(2)} s = ${Math.round(n / (ms / 1000))} events/s, ${((cpu.user + cpu.system) / n).toFixed(1)} µs CPU per event (acked ${sink.stats.acked})`,
  );
  // 2. the tracer with and without --nats, alternating
  const rows: Record<string, number[]> = { "-o FILE": [], "+ --nats": [] };
  for (let r = 0; r < 3; r++) {
    for (const [name, extra] of [
      ["-o FILE", []],
      ["+ --nats", ["--nats", server.url, "--nats-stream", "BENCH"]],
    ] as const) {
      const { cpuUs, events } = await stormRun([...extra]);
      rows[name]!.push(cpuUs / events);
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  for (const [name, v] of Object.entries(rows))
    console.log(
      `tracer ${name}: ${med(v).toFixed(1)} µs CPU per event (median of ${v.map((x) => x.toFixed(1)).join(", ")}; ${spawns} spawns)`,
    );
  console.log(
    `--nats adds ${(med(rows["+ --nats"]!) - med(rows["-o FILE"]!)).toFixed(1)} µs CPU per event (×${(med(rows["+ --nats"]!) / med(rows["-o FILE"]!)).toFixed(2)})`,
  );
} finally {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
