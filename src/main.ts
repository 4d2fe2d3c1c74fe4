// Entry point: options → load and attach → ring → decode → format → sink; one cleanup path.
import objectPath from "../.output/tracer.bpf.o" with { type: "file" };
import { parseArgs, type Config } from "./cli";
import { fatal } from "./errors";
import { openSink } from "./sink/writer";
import { eventWriter } from "./format/output";
import { BpfTracer, LoadError } from "./loader";
import { recordHandler, type PipelineStats } from "./pipeline";
import { programsFor, configureRodata, type KernelFeatures } from "./programs";
import { bootToEpochOffsetNs } from "../ffi/libc";
import { readCounters, formatStats } from "./stats";
import type { TraceEvent } from "./event";

async function main(argv: string[]): Promise<number> {
  const cfg: Config = parseArgs(argv);
  const sink = openSink(cfg.output);
  const stats: PipelineStats = { decoded: 0, malformed: 0, lastError: "" };
  const onEvent: (e: TraceEvent) => void = eventWriter(cfg.format, sink);

  let stop = false;
  const onSignal = () => { stop = true; };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const object = await Bun.file(objectPath).bytes();
  const onRecord = recordHandler({ bootToEpochNs: bootToEpochOffsetNs(), captureEnv: cfg.env }, onEvent, stats);
  const open = (k: KernelFeatures) =>
    BpfTracer.open({
      object,
      ringMap: "events",
      ringSize: cfg.bufferSize,
      perCpuMaps: ["scratch"],
      programs: programsFor(cfg),
      configure: (rodata) => configureRodata(rodata, cfg, k),
      onRecord,
      verbose: cfg.verbose,
    });
  let tracer: BpfTracer;
  try {
    tracer = open({ exitGroupDead: true });
  } catch (e) {
    // Kernels whose sched_process_exit has no group_dead argument refuse the program that reads
    // it; the fallback reads signal->live instead.
    if (!(e instanceof LoadError) || !cfg.events.includes("sched_process_exit")) throw e;
    tracer = open({ exitGroupDead: false });
  }
  process.stderr.write("ready\n");

  try {
    while (!stop && !sink.closed) {
      const n = tracer.poll(1000);
      if (n < 0 && n !== -4 /* EINTR */) throw new Error(`poll ring buffer: errno ${-n}`);
      sink.flush();
      await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    const counters = readCounters(tracer);
    tracer.close(!sink.closed); // detach, then drain what is still in the ring
    sink.flush();
    sink.close();
    if (stats.malformed) process.stderr.write(`tracer: ${stats.malformed} malformed records skipped (last: ${stats.lastError})\n`);
    const lost = counters.lost.reduce((a, b) => a + b, 0);
    if (lost) process.stderr.write(`tracer: ${lost} events lost (ring buffer full; raise --buffer-size)\n`);
    if (cfg.stats) process.stderr.write(formatStats(counters, stats));
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => fatal(e),
);
