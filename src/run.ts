// One tracing session: load and attach → (start COMMAND) → poll the ring → drain → summary.
// Stages in order, one cleanup path in reverse.
import objectPath from "../.output/tracer.bpf.o" with { type: "file" };
import legacyObjectPath from "../.output/tracer-legacy.bpf.o" with { type: "file" };
import { readlinkSync } from "node:fs";
import type { Config } from "./cli";
import { openSink, Writer } from "./sink/writer";
import { eventWriter } from "./format/output";
import { ProcessTree } from "./format/tree";
import { BpfTracer, LoadError } from "./loader";
import { createPipeline, type PipelineStats } from "./pipeline";
import { startContainerPipe } from "./containers/pipe";
import { EpochClock } from "./decode/clock";
import { programsFor, configureRodata, ALSO_ATTACH, WAKEUP_MS } from "./programs";
import { probeKernel, type KernelFeatures } from "./kernel-features";
import { SeqNumbers } from "./decode/seq";
import { configureScope, fillScopeMaps, follow } from "./filter/scope";
import { execPathFilter } from "./filter/exec-path";
import { bootToEpochOffsetNs } from "../ffi/libc";
import { CounterReader, LossReporter, formatStats } from "./stats";
import { Command, terminalSendsSigint } from "./command";
import { startBlocked, startEnvironment, startIgnored } from "./startup";
import type { RecordEvent } from "./decode/event";
import { CiSession } from "./ci/session";

const EINTR = 4;

function ownMountNs(): number {
  return Number(/\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/mnt"))?.[1] ?? 0);
}

/** A load failure names the kernel and the object variant (-v shows the verifier's log). */
function withKernel<T>(k: KernelFeatures, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof LoadError)) throw e;
    const variant = k.modern ? "default object" : "legacy object";
    throw new LoadError(`${e.op} (Linux ${k.release}, ${variant})`, e.errno, e.log, e.message.split("\n")[0]!.slice(e.op.length + 2) + "; -v shows the verifier's log");
  }
}

export async function run(cfg: Config): Promise<number> {
  const commandMode = cfg.command.length > 0;
  // With COMMAND, stdout belongs to the command: events go to -o FILE (- : stdout), else to stderr.
  const sink: Writer = cfg.output === null && commandMode ? new Writer(2, "stderr", false) : openSink(cfg.output);
  const bootToEpochNs = bootToEpochOffsetNs();
  const stats: PipelineStats = { decoded: 0, malformed: 0, excluded: 0, lastError: "" };
  const write = eventWriter(cfg.format, sink, cfg.env, cfg.hash);
  const tree = cfg.tree !== null ? new ProcessTree() : null;
  // Opened now, so that a bad --tree path fails before COMMAND runs (same rules as -o).
  const treeOut = cfg.tree !== null && cfg.tree !== "-" ? openSink(cfg.tree) : null;
  const ci = CiSession.open(cfg); // --attest, --profile, --baseline, GITHUB_STEP_SUMMARY: src/ci/
  const deliverTree = tree ? (e: RecordEvent) => (tree.add(e), write(e)) : write;
  const deliver = ci ? (e: RecordEvent) => (ci.add(e), deliverTree(e)) : deliverTree;
  const keep = execPathFilter(cfg.execPath);
  const containers = await startContainerPipe(cfg.containers, deliver, () => stats.excluded++);
  const onEvent = keep ? (e: RecordEvent) => (keep(e) ? containers.push(e) : stats.excluded++) : containers.push;
  const hostMntNs = ownMountNs();

  // The object variant follows from probes of the kernel (helpers, atomics, BTF), not from a
  // load that failed: the default one from Linux 5.17, the legacy one from 5.10.
  const kernel = probeKernel();
  const object = await Bun.file(kernel.modern ? objectPath : legacyObjectPath).bytes();
  if (cfg.verbose) {
    process.stderr.write(`tracer: Linux ${kernel.release}: ${kernel.modern ? "default BPF object" : `legacy BPF object (no ${kernel.missing.join(", ")})`}; sched_process_exit ${kernel.exitGroupDead ? "passes" : "lacks"} group_dead\n`);
  }
  const pipeline = createPipeline({ clock: new EpochClock(bootToEpochNs), captureEnv: cfg.env, hash: cfg.hash, seq: new SeqNumbers() }, onEvent, stats);
  const tracer = withKernel(kernel, () => BpfTracer.open({
    object,
    ringMap: "events",
    ringSize: cfg.bufferSize,
    perCpuMaps: ["scratch"],
    programs: programsFor(cfg),
    alsoAttach: ALSO_ATTACH,
    configure: (rodata) => {
      configureRodata(rodata, cfg, kernel);
      configureScope(rodata, cfg.scope, hostMntNs, commandMode);
    },
    onRecord: pipeline.onRecord,
    verbose: cfg.verbose,
  }));

  let stop = false;
  let command: Command | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (command && !command.finished) {
      // The command decides; we follow it. A terminal's Ctrl-C has reached it already.
      if (!(sig === "SIGINT" && terminalSendsSigint())) command.signal(sig);
    } else stop = true;
  };
  // SIGHUP too: a dropped ssh session must not lose what is still buffered (default action: die).
  // A signal ignored when the tracer started (nohup: SIGHUP) stays ignored, by the tracer and by
  // COMMAND, which inherits it ignored: it is neither handled nor forwarded.
  for (const [sig, n] of [["SIGINT", 2n], ["SIGTERM", 15n], ["SIGHUP", 1n]] as const) {
    if (!((startIgnored >> (n - 1n)) & 1n)) process.on(sig, onSignal);
  }

  const counters = new CounterReader(tracer);
  const losses = new LossReporter(bootToEpochNs);
  const reportLoss = () => {
    const rec = losses.check(counters.read());
    if (rec) pipeline.onOwnRecord(rec);
  };
  let status = 0;
  try {
    fillScopeMaps(tracer, cfg.scope);
    if (commandMode) {
      // Returns once the stub has exec'd and waits: only then is its pid followed (command.ts).
      command = Command.start(cfg.command, { env: startEnvironment(), ignored: startIgnored, blocked: startBlocked, user: cfg.user ?? undefined });
      follow(tracer, command.pid);
    }
    process.stderr.write("ready\n");
    ci?.begin();
    command?.release();
    // Busy (the last poll delivered records): poll every WAKEUP_MS, since the kernel batches
    // wake-ups. Idle: sleep until woken (the first record after a quiet WAKEUP_MS wakes us).
    let busy = false;
    while (!stop && !sink.closed) {
      // While a container's metadata is awaited, its events wait in memory: keep the event loop
      // turning (the runtime's answer comes through it), and the ring read without sleeping.
      const asking = containers.waiting();
      let n = tracer.poll(asking ? 0 : busy || commandMode || containers.active ? WAKEUP_MS : 1000);
      if (n < 0 && n !== -EINTR) throw new LoadError("poll ring buffer", -n);
      // A timeout consumes nothing, and records sent without a wake-up do not make the ring's
      // fd ready: take them now (ring_buffer__consume).
      if (n === 0) n = tracer.drain();
      busy = n > 0;
      if (n > 0) reportLoss();
      sink.flush();
      if (command?.poll()) stop = true;
      if (asking) await Bun.sleep(1);
      else await new Promise<void>((r) => setImmediate(r));
    }
    if (command) {
      while (!command.poll()) await Bun.sleep(WAKEUP_MS); // the output went away (EPIPE) first
      status = command.exitStatus;
    }
  } finally {
    tracer.detach(); // nothing new arrives; then deliver what is still in the ring
    if (!sink.closed) tracer.drain();
    const c = counters.read();
    tracer.close(false);
    if (!sink.closed) {
      const rec = losses.check(c);
      if (rec) pipeline.onOwnRecord(rec);
    }
    await containers.drained(); // events still waiting for their container's metadata
    containers.close();
    sink.flush();
    sink.close();
    if (stats.malformed) process.stderr.write(`tracer: ${stats.malformed} malformed records skipped (last: ${stats.lastError})\n`);
    const lost = c.lost.reduce((a, b) => a + b, 0);
    if (lost && !sink.closed) process.stderr.write(`tracer: ${lost} events lost (ring buffer full; raise --buffer-size)\n`);
    if (cfg.stats) process.stderr.write(formatStats(c, stats, cfg.format === "json", pipeline.hashStats));
    if (tree) {
      const text = tree.render();
      if (treeOut) {
        treeOut.write(text);
        treeOut.close();
      } else process.stderr.write(text);
    }
  }
  if (ci) status = ci.finish(status, { malformed: stats.malformed, excluded: stats.excluded, unread: sink.closed });
  if (sink.failure) {
    // Without COMMAND this ends the run at once; with COMMAND the loop stopped reading but the
    // command was left to finish (a CI build is not abandoned half-way), and only then is the
    // incomplete record reported.
    if (!command) throw sink.failure;
    process.stderr.write(`tracer: ${sink.failure.message}; events from then on were not written; the command exited with status ${status}\n`);
    return 1;
  }
  return status;
}
