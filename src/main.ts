// Entry point: options → load and attach → ring → decode → format → sink; one cleanup path.
import objectPath from "../.output/tracer.bpf.o" with { type: "file" };
import { parseArgs, type Config } from "./cli";
import { fatal, UsageError } from "./errors";
import { openSink } from "./sink/writer";
import { formatJson } from "./format/json";
import { createTableFormatter } from "./format/table";
import { BpfTracer } from "./loader";
import { recordHandler, type PipelineStats } from "./pipeline";
import { programsFor, configureRodata } from "./programs";
import { bootToEpochOffsetNs } from "../ffi/libc";
import { readCounters, formatStats } from "./stats";
import type { TraceEvent } from "./event";

async function main(argv: string[]): Promise<number> {
  const cfg: Config = parseArgs(argv);
  const sink = openSink(cfg.output);
  const format: (e: TraceEvent) => string = cfg.json ? formatJson : createTableFormatter(sink);
  const stats: PipelineStats = { decoded: 0, malformed: 0, lastError: "" };
  const onEvent = (e: TraceEvent) => sink.write(format(e));

  let stop = false;
  const onSignal = () => { stop = true; };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const tracer = BpfTracer.open({
    object: await Bun.file(objectPath).bytes(),
    ringMap: "events",
    ringSize: cfg.bufferSize,
    perCpuMaps: ["scratch"],
    programs: programsFor(cfg),
    configure: (rodata) => configureRodata(rodata, cfg),
    onRecord: recordHandler({ bootToEpochNs: bootToEpochOffsetNs(), captureEnv: cfg.env }, onEvent, stats),
    verbose: cfg.verbose,
  });
  process.stderr.write("ready\n");

  try {
    while (!stop && !sink.closed) {
      const n = tracer.poll(100);
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
