// One tracing session, in stages: open the tracer (load, attach: privileges are checked here,
// before any file is created) → open the outputs → (start COMMAND) → poll loop → finish (drain,
// losses, stats, tree, summary). One cleanup path in reverse.
import objectPath from "../../.output/tracer.bpf.o" with { type: "file" };
import legacyObjectPath from "../../.output/tracer-legacy.bpf.o" with { type: "file" };
import { fstatSync } from "node:fs";
import { isatty } from "node:tty";
import type { Config } from "./cli";
import { openSink, Writer } from "../sink/writer";
import { eventWriter, type EventWriter } from "../format/output";
import { ProcessTree } from "../format/tree";
import { RunSummary } from "../format/summary";
import { BpfTracer, LoadError } from "../load/loader";
import { createPipeline, type Pipeline, type PipelineStats } from "../pipeline";
import { EpochClock } from "../decode/clock";
import { programsFor, configureRodata, ALSO_ATTACH, WAKEUP_MS } from "../load/programs";
import { probeKernel, type KernelFeatures } from "../load/kernel-features";
import { SeqNumbers } from "../decode/seq";
import { startContainerPipe, type ContainerPipe } from "../containers/pipe";
import { CiSession } from "../ci/session";
import { configureScope, excludeSelf, fillScopeMaps, follow } from "../filter/scope";
import { execPathFilter } from "../filter/exec-path";
import { hostMountNs } from "../filter/host-ns";
import { bootToEpochOffsetNs } from "../../ffi/libc";
import { CounterReader, LossReporter, formatStats, type KernelCounters } from "../load/counters";
import { Command, terminalSendsSigint } from "./command";
import { startBlocked, startEnvironment, startIgnored } from "./startup";
import { say } from "../errors";
import type { RecordEvent } from "../decode/event";
import { terminal } from "../format/screen";

const EINTR = 4;
const EPERM = 1;

/** A load failure names the kernel and the object variant (-v shows the verifier's log). */
function withKernel<T>(k: KernelFeatures, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof LoadError) || e.errno === EPERM) throw e; // not root: the kernel is not the question
    const variant = k.modern ? "default object" : "legacy object";
    throw new LoadError(`${e.op} (Linux ${k.release}, ${variant})`, e.errno, e.log, e.message.split("\n")[0]!.slice(e.op.length + 2) + "; -v shows the verifier's log");
  }
}

/** What the tracer writes to: events, --tree, the summary line. */
interface Outputs {
  sink: Writer;
  events: EventWriter;
  tree: ProcessTree | null;
  treeOut: Writer | null;
  summary: RunSummary | null;
}

/** stdout and stderr are one file (2>&1, or the same terminal): events on stderr mix with COMMAND's output. */
function stderrShared(): boolean {
  if (isatty(2)) return true;
  try {
    const a = fstatSync(1), b = fstatSync(2);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/** Stage 2: the event sink (-o, stdout, or stderr with COMMAND), the formatter, --tree's file. */
function openOutputs(cfg: Config, commandMode: boolean): Outputs {
  // Opened first, so that a bad --tree path fails before the events' file is created (same rules as -o).
  const treeOut = cfg.tree !== null && cfg.tree !== "-" ? openSink(cfg.tree) : null;
  let sink: Writer | null = null;
  try {
    // With COMMAND, stdout belongs to the command: events go to -o FILE, else to stderr.
    sink = cfg.output === null && commandMode ? new Writer(2, "stderr", false) : openSink(cfg.output);
    if (commandMode && cfg.output === null && cfg.format === "json" && stderrShared()) {
      say("tracer: JSON events go to stderr, mixed with the command's output; use -o FILE to keep them apart\n");
    }
    const term = terminal(sink.fd);
    const events = eventWriter(cfg.format, sink, cfg.env, {
      width: cfg.wide || !term.tty ? null : term.columns,
      color: term.color,
      timeOfDay: cfg.timeOfDay || !term.tty,
      start: null,
      failures: cfg.failures,
    }, cfg.hash);
    const summary = isatty(2) || commandMode ? new RunSummary() : null;
    return { sink, events, tree: cfg.tree !== null ? new ProcessTree() : null, treeOut, summary };
  } catch (e) {
    sink?.close();
    treeOut?.close();
    throw e;
  }
}

/** Stage 1: load and attach the programs, configured for cfg; records go to `pipeline`. */
async function openTracer(cfg: Config, kernel: KernelFeatures, commandMode: boolean, pipeline: Pipeline): Promise<BpfTracer> {
  const object = await Bun.file(kernel.modern ? objectPath : legacyObjectPath).bytes();
  if (cfg.verbose) {
    say(`tracer: Linux ${kernel.release}: ${kernel.modern ? "default BPF object" : `legacy BPF object (no ${kernel.missing.join(", ")})`}; sched_process_exit ${kernel.exitGroupDead ? "passes" : "lacks"} group_dead; skipped program runs ${kernel.progInfo ? "counted" : "not counted (no recursion_misses)"}\n`);
  }
  const host = hostMountNs();
  if (host.note !== null && cfg.scope.where !== "any") say(`tracer: ${host.note}\n`);
  const scope = excludeSelf(cfg.scope); // the tracer's own threads are never events
  const tracer = withKernel(kernel, () => BpfTracer.open({
    object,
    ringMap: "events",
    ringSize: cfg.bufferSize,
    perCpuMaps: ["scratch"],
    programs: programsFor(cfg),
    alsoAttach: ALSO_ATTACH,
    configure: (rodata) => {
      configureRodata(rodata, cfg, kernel);
      configureScope(rodata, scope, host.inode, commandMode);
    },
    onRecord: pipeline.onRecord,
    verbose: cfg.verbose,
  }));
  try {
    fillScopeMaps(tracer, scope);
  } catch (e) {
    tracer.close(false);
    throw e;
  }
  return tracer;
}

/** Stage 3: read the ring until stopped (a signal, COMMAND's end, or the reader of stdout gone). */
async function pollLoop(tracer: BpfTracer, sink: Writer, stopped: () => boolean, reportLoss: () => void, command: Command | null, containers: ContainerPipe): Promise<void> {
  const commandMode = command !== null;
  // Busy (the last poll delivered records): poll every WAKEUP_MS, since the kernel batches
  // wake-ups. Idle: sleep until woken (the first record after a quiet WAKEUP_MS wakes us).
  let busy = false;
  let lossCheckedAt = -Infinity;
  let unchecked = false; // records delivered since the loss counters were last read
  while (!stopped() && !sink.closed) {
    // While a container's metadata is awaited, its events wait in memory: keep the event loop
    // turning (the runtime's answer comes through it), and the ring read without sleeping.
    const asking = containers.waiting();
    let n = tracer.poll(asking ? 0 : busy || commandMode || containers.lively() ? WAKEUP_MS : 1000);
    if (n < 0 && n !== -EINTR) throw new LoadError("poll ring buffer", -n);
    // A timeout consumes nothing, and records sent without a wake-up do not make the ring's
    // fd ready: take them now (ring_buffer__consume).
    if (n === 0) n = tracer.drain();
    busy = n > 0;
    // The loss counters (a map read, ~15% of the consumer's CPU in an exec storm when read after
    // every batch of ~3 spawns): at most every WAKEUP_MS while records flow, and once more when
    // they stop.
    if (n > 0) unchecked = true;
    if (unchecked && (n === 0 || performance.now() - lossCheckedAt >= WAKEUP_MS)) {
      lossCheckedAt = performance.now();
      unchecked = false;
      reportLoss();
    }
    sink.flush();
    if (command?.poll()) return;
    if (asking) await Bun.sleep(1);
    else await new Promise<void>((r) => setImmediate(r));
  }
}

/** Stage 4: nothing new arrives, what is in the ring is delivered, then the closing reports. */
async function finish(cfg: Config, tracer: BpfTracer, out: Outputs, counters: CounterReader, losses: LossReporter, pipeline: Pipeline, stats: PipelineStats, commandMode: boolean, startedMs: number, containers: ContainerPipe): Promise<void> {
  const { sink } = out;
  tracer.detach(); // nothing new arrives; then deliver what is still in the ring
  if (!sink.closed) tracer.drain();
  const c: KernelCounters = counters.read(true);
  tracer.close(false);
  if (!sink.closed) {
    const rec = losses.check(c);
    if (rec) pipeline.onOwnRecord(rec);
  }
  await containers.drained(); // events still waiting for their container's metadata
  containers.close();
  out.events.finish();
  sink.flush();
  sink.close();
  if (stats.malformed) say(`tracer: ${stats.malformed} malformed records skipped (last: ${stats.lastError})\n`);
  const skipped = c.skipped.reduce((a, b) => a + b, 0);
  const full = c.lost.reduce((a, b) => a + b, 0) - skipped - c.scratchClash;
  if (full && !sink.closed) say(`tracer: ${full} events lost (ring buffer full; raise --buffer-size)\n`);
  if (c.scratchClash && !sink.closed) say(`tracer: ${c.scratchClash} events lost: another program on the CPU held the scratch buffer (preemptible tracepoints)\n`);
  if (skipped && !sink.closed) say(`tracer: up to ${skipped} events lost: the kernel skipped runs of a program already running on that CPU (preemptible tracepoints)\n`);
  if (cfg.stats) say(formatStats(c, stats, cfg, commandMode, pipeline.hashStats));
  if (out.tree) {
    const text = out.tree.render();
    if (out.treeOut) {
      out.treeOut.write(text);
      out.treeOut.close();
    } else say(text);
  }
  if (out.summary) say(out.summary.line(BigInt(Math.round((performance.now() - startedMs) * 1e6))));
}

export async function run(cfg: Config): Promise<number> {
  const commandMode = cfg.command.length > 0;
  const bootToEpochNs = bootToEpochOffsetNs();
  const stats: PipelineStats = { decoded: 0, malformed: 0, excluded: 0, lastError: "" };
  let deliver: (e: RecordEvent) => void = () => {};
  // The object variant follows from probes of the kernel (helpers, atomics, BTF), not from a
  // load that failed: the default one from Linux 5.17, the legacy one from 5.10. Only the legacy
  // one numbers records per CPU (SeqNumbers makes that one sequence).
  const kernel = probeKernel();
  const seq = kernel.modern ? undefined : new SeqNumbers();
  const pipeline = createPipeline({ clock: new EpochClock(bootToEpochNs), captureEnv: cfg.env, hash: cfg.hash, seq }, (e) => deliver(e), stats);

  const tracer = await openTracer(cfg, kernel, commandMode, pipeline);
  let out: Outputs;
  try {
    out = openOutputs(cfg, commandMode);
  } catch (e) {
    tracer.close(false);
    throw e;
  }
  const { sink, tree, summary } = out;
  const write = out.events.write;
  const keep = execPathFilter(cfg.execPath);
  let ci: CiSession | null;
  let containers: ContainerPipe;
  try {
    ci = CiSession.open(cfg); // --attest, --profile, --baseline, GITHUB_STEP_SUMMARY: src/ci/
    // after --exec and the container filters: every output sees the same events
    containers = await startContainerPipe(cfg.containers, (e) => {
      ci?.add(e);
      tree?.add(e);
      summary?.add(e);
      write(e);
    }, () => stats.excluded++);
  } catch (e) {
    tracer.close(false);
    sink.close();
    throw e;
  }
  deliver = (e) => {
    if (keep && !keep(e)) {
      stats.excluded++;
      return;
    }
    containers.push(e);
  };

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

  const counters = new CounterReader(tracer, programsFor(cfg), kernel.progInfo);
  const losses = new LossReporter(bootToEpochNs);
  const reportLoss = () => {
    const rec = losses.check(counters.read());
    if (rec) pipeline.onOwnRecord(rec);
  };
  let status = 0;
  const startedMs = performance.now();
  try {
    if (commandMode) {
      // Returns once the stub has exec'd and waits: only then is its pid followed (command.ts).
      command = Command.start(cfg.command, { env: startEnvironment(), ignored: startIgnored, blocked: startBlocked, user: cfg.user ?? undefined });
      follow(tracer, command.pid);
    }
    say("ready\n");
    ci?.begin();
    command?.release();
    await pollLoop(tracer, sink, () => stop, reportLoss, command, containers);
    if (command) {
      while (!command.poll()) await Bun.sleep(WAKEUP_MS); // the output went away (EPIPE) first
      status = command.exitStatus;
    }
  } finally {
    await finish(cfg, tracer, out, counters, losses, pipeline, stats, commandMode, startedMs, containers);
  }
  if (ci) status = ci.finish(status, { malformed: stats.malformed, excluded: stats.excluded, unread: sink.closed });
  if (sink.failure) {
    // Without COMMAND this ends the run at once; with COMMAND the loop stopped reading but the
    // command was left to finish (a CI build is not abandoned half-way), and only then is the
    // incomplete record reported.
    if (!command) throw sink.failure;
    say(`tracer: ${sink.failure.message}; events from then on were not written; the command exited with status ${status}\n`);
    return 1;
  }
  return status;
}
