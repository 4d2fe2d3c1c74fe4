// One tracing session, in stages: privileges checked, then --nats and the files opened (-o,
// --tree, --timeline, the CI outputs: a refused one ends the run before anything is loaded) →
// load and attach → the formatter and the data path (pipeline.ts) → (start COMMAND) → poll loop
// → finish (drain, losses, stats, tree, summary). One cleanup path in reverse.
import objectPath from "../../.output/tracer.bpf.o" with { type: "file" };
import legacyObjectPath from "../../.output/tracer-legacy.bpf.o" with { type: "file" };
import { fstatSync, readFileSync, writeSync } from "node:fs";
import { ciRun, type Config } from "./config";
import { openSink, Writer } from "../sink/writer";
import { eventWriter } from "../format/output";
import { ProcessTree } from "../format/tree";
import { RunSummary } from "../format/summary";
import { BpfTracer, LoadError, requirePrivileges } from "../load/loader";
import {
  createPipeline,
  startDelivery,
  type Delivery,
  type EventOutputs,
  type Pipeline,
  type PipelineStats,
} from "../pipeline";
import { EpochClock } from "../decode/clock";
import { programsFor, configureRodata, unusedMaps, ALSO_ATTACH, WAKEUP_MS, wakeupMsFor } from "../load/programs";
import { maps as M } from "../decode/layout.gen";
import { probeKernel, type KernelFeatures } from "../load/kernel-features";
import { SeqNumbers } from "../decode/seq";
import type { ContainerPipe } from "../containers/pipe";
import { CiSession, ciWanted } from "../ci/session";
import { TraceLog } from "../ci/collect";
import { buildTimeline, timelineText } from "../ci/timeline";
import { criticalPath, criticalPathLine } from "../ci/critical-path";
import { configureScope, excludeSelf, fillScopeMaps, follow, onlyLaterProcesses, scopeMapSizes } from "../load/scope";
import { hostMountNs } from "../load/host-ns";
import { bootToEpochOffsetNs, clockNs, CLOCK_BOOTTIME } from "../../ffi/libc";
import { CounterReader, LossReporter, type KernelCounters } from "../load/counters";
import { formatNatsStats, formatStats } from "./stats";
import { Command, terminalSendsSigint } from "./command";
import { startBlocked, startEnvironment, startIgnored } from "./startup";
import { forOption, say } from "../errors";
import type { RecordEvent } from "../decode/event";
import { isatty, terminal } from "../format/screen";
import { openPublisher, type Publisher } from "./publish";

const EINTR = 4;
/** Poll period while COMMAND shares the terminal the rows go to. */
const SHARED_TTY_POLL_MS = 5;
const EPERM = 1;

/** A load failure names the kernel and the object variant (-v shows the verifier's log). */
function withKernel<T>(k: KernelFeatures, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof LoadError) || e.errno === EPERM) throw e; // not root: the kernel is not the question
    const variant = k.modern ? "default object" : "legacy object";
    throw new LoadError(
      `${e.op} (Linux ${k.release}, ${variant})`,
      e.errno,
      e.log,
      e.message.split("\n")[0]!.slice(e.op.length + 2) + "; -v shows the verifier's log",
    );
  }
}

/** What the tracer writes to: events (the data path's outputs but the CI session), --tree's and
 * --timeline's files. */
interface Outputs extends Omit<EventOutputs, "ci"> {
  treeOut: Writer | null;
  timelineOut: Writer | null;
}

/** stdout and stderr are one file (2>&1, or the same terminal): events on stderr mix with COMMAND's output. */
function stderrShared(): boolean {
  if (isatty(2)) return true;
  try {
    const a = fstatSync(1),
      b = fstatSync(2);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/** How long the end of a run waits for NATS to acknowledge what it has not yet. */
const NATS_DRAIN_MS = 30_000;

/** The files the tracer writes to, opened before the programs are loaded: one that is refused (a
 * planted link, a device, a directory, a descriptor it was not given) ends the run with one line
 * naming its option, nothing half-started and nothing printed (the formatter comes after the load). */
interface Files {
  sink: Writer;
  treeOut: Writer | null;
  timelineOut: Writer | null;
}

/** The run ends before it began: close them, and remove the files it created. */
function discardFiles(f: Files): void {
  f.sink.discard();
  f.treeOut?.discard();
  f.timelineOut?.discard();
}

/** Stage 1: the event sink (-o, stdout, or stderr with COMMAND; with --nats only -o), --tree's
 * and --timeline's files. */
function openFiles(cfg: Config, commandMode: boolean, nats: Publisher | null): Files {
  // Opened first, so that a bad --tree path fails before the events' file is created (same rules as -o).
  const treeOut = cfg.tree !== null && cfg.tree !== "-" ? forOption("--tree", () => openSink(cfg.tree)) : null;
  let timelineOut: Writer | null = null;
  try {
    timelineOut = cfg.timeline !== null ? forOption("--timeline", () => openSink(cfg.timeline)) : null;
    // With COMMAND, stdout belongs to the command: events go to -o FILE, else to stderr.
    // With --nats, the spool's bytes reach the kernel before -o's: a line in the file is in the
    // stream or in the spool, even after kill -9.
    const writeFn = nats
      ? (fd: number, b: Uint8Array, o: number, n: number) => (nats.sink.flushSpool(), writeSync(fd, b, o, n))
      : undefined;
    const sink =
      cfg.output === null && commandMode
        ? new Writer(2, "stderr", false)
        : openSink(cfg.output, { writeFn }) /* "open output FILE" names -o, --output */;
    return { sink, treeOut, timelineOut };
  } catch (e) {
    treeOut?.discard(); // a later file was refused: the run never began
    timelineOut?.discard();
    throw e;
  }
}

/** Stage 3, once the programs are attached: the formatter (the table's header first; feeding
 * --nats too), --tree, the summary line. */
async function openOutputs(
  cfg: Config,
  commandMode: boolean,
  files: Files,
  nats: Publisher | null,
  log: TraceLog | null,
): Promise<Outputs> {
  const { sink } = files;
  const local = nats === null || cfg.output !== null;
  if (local && commandMode && cfg.output === null && cfg.format === "json" && stderrShared()) {
    say("tracer: JSON events go to stderr, mixed with the command's output; use -o FILE to keep them apart\n");
  }
  const term = terminal(sink.fd);
  const events = await eventWriter(
    cfg.format,
    local ? sink : null,
    cfg.env,
    {
      width: cfg.wide || !term.tty ? null : term.columns,
      color: term.color,
      timeOfDay: cfg.timeOfDay || !term.tty,
      start: null,
      failures: cfg.failures,
      brief: !commandMode && !cfg.all,
      hash: cfg.hash,
    },
    cfg.hash,
    nats?.tap ?? null,
  );
  if (!commandMode && cfg.format === "table" && !cfg.all && !cfg.failures)
    say("tracer: execs and failures only (whole host); --all shows every fork and exit\n");
  const summary = isatty(2) || commandMode ? new RunSummary() : null;
  return { ...files, events, tree: cfg.tree !== null ? new ProcessTree() : null, log, summary };
}

/** Stage 2: load and attach the programs, configured for cfg; records go to `pipeline`. */
async function openTracer(
  cfg: Config,
  kernel: KernelFeatures,
  commandMode: boolean,
  pipeline: Pipeline,
  wakeupMs: number,
): Promise<BpfTracer> {
  // Read here, not with Bun.file().bytes(): that started Bun's HTTP client thread (~1-2 ms of CPU
  // before `ready`, 2026-12-07).
  const object = readFileSync(kernel.modern ? objectPath : legacyObjectPath);
  if (cfg.verbose) {
    say(
      `tracer: Linux ${kernel.release}: ${kernel.modern ? "default BPF object" : `legacy BPF object (no ${kernel.missing.join(", ")})`}; sched_process_exit ${kernel.exitGroupDead ? "passes" : "lacks"} group_dead; skipped program runs ${kernel.progInfo ? "counted" : "not counted (no recursion_misses)"}\n`,
    );
  }
  const host = hostMountNs();
  if (host.note !== null && cfg.scope.where !== "any") say(`tracer: ${host.note}\n`);
  const scope = excludeSelf(cfg.scope); // the tracer's own threads are never events
  const tracer = withKernel(kernel, () =>
    BpfTracer.open({
      object,
      ringMap: M.events,
      ringSize: cfg.bufferSize,
      perCpuMaps: [M.scratch],
      maxEntries: { ...unusedMaps(cfg, kernel), ...scopeMapSizes(scope) },
      programs: programsFor(cfg),
      alsoAttach: ALSO_ATTACH,
      configure: (rodata) => {
        configureRodata(rodata, cfg, kernel, wakeupMs);
        configureScope(rodata, scope, host.inode, commandMode);
      },
      onRecord: pipeline.onRecord,
      verbose: cfg.verbose,
    }),
  );
  try {
    fillScopeMaps(tracer, scope);
  } catch (e) {
    tracer.close(false);
    throw e;
  }
  return tracer;
}

/** One turn of the event loop: pending signal handlers run (one turn is enough for Bun's). */
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** Stage 4: read the ring until stopped (a signal, COMMAND's end, or the reader of stdout gone). */
async function pollLoop(
  tracer: BpfTracer,
  out: Outputs,
  stopped: () => boolean,
  reportLoss: () => void,
  command: Command | null,
  containers: ContainerPipe,
  nats: Publisher | null,
  wakeupMs: number,
): Promise<void> {
  const { sink, events } = out;
  const commandMode = command !== null;
  // Rows on the terminal COMMAND writes to: read every SHARED_TTY_POLL_MS, so that a row comes
  // out close to the command's own lines (make's "Error 127" right after the exec that failed);
  // elsewhere every wakeupMs while busy (WAKEUP_MS: 50 ms to a terminal, 200 to a file, pipe or
  // NATS). Measured: tracer -- sleep 10 on a terminal used 0.51 s of CPU against 0.36 s at 50 ms
  // (+1.5% of a core while COMMAND runs).
  const every = commandMode && isatty(sink.fd) ? SHARED_TTY_POLL_MS : wakeupMs;
  // Held rows (their 100 ms bound), a runtime's answers and NATS' acknowledgements come through
  // this loop's turns: at most WAKEUP_MS.terminal apart while they wait.
  const quick = Math.min(every, WAKEUP_MS.terminal);
  // Busy (the last poll delivered records): poll every `every`, since the kernel batches
  // wake-ups. Idle: sleep until woken (the first record after a quiet wakeupMs wakes us).
  let busy = false;
  let lossCheckedAt = -Infinity;
  let unchecked = false; // records delivered since the loss counters were last read
  // With COMMAND the ring is read until it ends even when the output is gone (a full disk, a
  // reader that left): the summary, --tree and the CI reports still count everything it did.
  while (!stopped() && (commandMode || !sink.closed)) {
    // While a container's metadata is awaited, its events wait in memory: keep the event loop
    // turning (the runtime's answer comes through it), and the ring read without sleeping.
    const asking = containers.waiting();
    let n = tracer.poll(
      asking
        ? 0
        : containers.lively() || events.holding() || nats?.sink.busy()
          ? quick
          : busy || commandMode
            ? every
            : 1000,
    );
    if (n < 0 && n !== -EINTR) throw new LoadError("poll ring buffer", -n);
    // A timeout consumes nothing, and records sent without a wake-up do not make the ring's
    // fd ready: take them now (ring_buffer__consume).
    if (n === 0) n = tracer.drain();
    busy = n > 0;
    // The loss counters (a map read, ~15% of the consumer's CPU in an exec storm when read after
    // every batch of ~3 spawns): at most every wakeupMs while records flow, and once more when
    // they stop.
    if (n > 0) unchecked = true;
    if (unchecked && (n === 0 || performance.now() - lossCheckedAt >= wakeupMs)) {
      lossCheckedAt = performance.now();
      unchecked = false;
      reportLoss();
    }
    events.tick();
    nats?.sink.flush(); // the spool first, then publish (acknowledgements come while we await)
    // A turn of the event loop before the rows go out, so a signal's handler runs first: a
    // terminal's Ctrl-C echoes ^C, then stops COMMAND, whose rows would share that line before
    // onSignal starts a new one (5 of 8 tries in tmux).
    await nextTurn();
    sink.flush();
    if (command?.poll()) return;
    if (asking) await Bun.sleep(1);
  }
}

/** Stage 5: nothing new arrives, what is in the ring is delivered, then the closing reports. */
async function finish(
  cfg: Config,
  tracer: BpfTracer,
  out: Outputs,
  counters: CounterReader,
  losses: LossReporter,
  pipeline: Pipeline,
  stats: PipelineStats,
  commandMode: boolean,
  startedMs: number,
  containers: ContainerPipe,
  nats: Publisher | null,
): Promise<void> {
  const { sink } = out;
  tracer.detach(); // nothing new arrives; then deliver what is still in the ring
  const counting = commandMode || !sink.closed; // see pollLoop
  if (counting) tracer.drain();
  const c: KernelCounters = counters.read(true);
  tracer.close(false);
  if (counting) {
    const rec = losses.check(c);
    if (rec) pipeline.onOwnRecord(rec);
  }
  await containers.drained(); // events still waiting for their container's metadata
  await nextTurn(); // a Ctrl-C's handler before the last rows (pollLoop)
  containers.close();
  out.events.finish();
  nats?.sink.flushSpool();
  sink.flush();
  sink.close();
  if (nats) {
    await nats.sink.close(NATS_DRAIN_MS);
    say(nats.sink.line());
  }
  if (stats.malformed) say(`tracer: ${stats.malformed} malformed records skipped (last: ${stats.lastError})\n`);
  const skipped = c.skipped.reduce((a, b) => a + b, 0);
  const full = c.lost.reduce((a, b) => a + b, 0) - skipped - c.scratchClash;
  if (full && !sink.closed) say(`tracer: ${full} events lost (ring buffer full; raise --buffer-size)\n`);
  if (c.scratchClash && !sink.closed)
    say(
      `tracer: ${c.scratchClash} events lost: another program on the CPU held the scratch buffer (preemptible tracepoints)\n`,
    );
  if (skipped && !sink.closed)
    say(
      `tracer: up to ${skipped} events lost: the kernel skipped runs of a program already running on that CPU (preemptible tracepoints)\n`,
    );
  if (cfg.stats) say(formatStats(c, stats, cfg, commandMode, pipeline.hashStats));
  if (cfg.stats && nats) say(formatNatsStats(nats.sink.stats, cfg.format));
  if (out.tree) {
    if (out.treeOut) {
      out.treeOut.write(out.tree.render());
      out.treeOut.close();
    } else {
      const term = terminal(2); // --tree -: stderr, fitted and coloured as the table is
      say(out.tree.render({ width: cfg.wide || !term.tty ? null : term.columns, color: term.color }));
    }
  }
  if (out.log && out.timelineOut) {
    out.timelineOut.write(timelineText(buildTimeline(out.log)));
    out.timelineOut.close();
    if (out.timelineOut.failure) say(`tracer: ${out.timelineOut.failure.message}\n`);
  }
  if (out.log && commandMode) {
    // for people: on a terminal fitted to its width, as the table's lines are (-w keeps it whole)
    const term = terminal(2);
    say(criticalPathLine(criticalPath(out.log), cfg.wide ? null : term.columns));
  }
  if (out.summary)
    say(out.summary.line(BigInt(Math.round((performance.now() - startedMs) * 1e6)), terminal(2).columns));
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
  const pipeline = createPipeline(
    { clock: new EpochClock(bootToEpochNs), captureEnv: cfg.env, hash: cfg.hash, seq, ancestors: cfg.ancestors },
    (e) => deliver(e),
    stats,
    cfg.redact,
  );

  // Every file is opened before the programs are loaded, and before anything is printed (the
  // table's header included): one that cannot be used ends the run with one line naming its
  // option, and nothing else. Not root: the load's own error, before any file is made.
  requirePrivileges();
  // The per-process record: the critical path of every -- COMMAND run; what the CI outputs and
  // the timeline say needs every exec's facts (`full`), the critical path less.
  const full = cfg.timeline !== null || ciWanted(cfg.ci) || !!process.env.GITHUB_STEP_SUMMARY;
  const log = commandMode || cfg.timeline !== null ? new TraceLog(full) : null;
  let nats: Publisher | null = null;
  let ci: CiSession | null;
  let files: Files;
  try {
    // A server that is not there yet is waited for in the background; bad credentials, an
    // unknown host, a stream that does not take our subjects end the run here.
    nats = await openPublisher(cfg, bootToEpochNs);
    ci = CiSession.open(ciRun(cfg), log); // --attest, --profile, --baseline, GITHUB_STEP_SUMMARY: src/ci/
    files = openFiles(cfg, commandMode, nats);
  } catch (e) {
    await nats?.sink.close(0);
    throw e;
  }
  // How long a record may wait in the ring: rows a person watches come sooner (WAKEUP_MS).
  const wakeupMs = wakeupMsFor(isatty(files.sink.fd));
  let tracer: BpfTracer;
  try {
    tracer = await openTracer(cfg, kernel, commandMode, pipeline, wakeupMs);
  } catch (e) {
    discardFiles(files);
    await nats?.sink.close(0);
    throw e;
  }
  // attached: what starts from now is seen by its events, what began before is in /proc now.
  // Only COMMAND's tree in scope: the processes that began before are the tree's ancestors and
  // subreapers, alive while it runs, so read from /proc when first met (a walk costs 5-8 ms of
  // CPU before `ready` on a quiet 2-core host, more where hundreds of processes run).
  if (!onlyLaterProcesses(cfg.scope, commandMode)) pipeline.walkProc();
  const out = await openOutputs(cfg, commandMode, files, nats, log);
  const { sink } = out;
  let delivery: Delivery;
  try {
    delivery = await startDelivery(cfg, { ...out, ci }, stats);
  } catch (e) {
    tracer.close(false);
    discardFiles(files);
    await nats?.sink.close(0);
    throw e;
  }
  deliver = delivery.deliver;
  const { containers } = delivery;

  let stop = false;
  let command: Command | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    // the terminal echoed ^C where its cursor was: what comes next starts a line of its own
    if (sig === "SIGINT" && isatty(2) && terminalSendsSigint()) say("\n");
    if (command && !command.finished) {
      // The command decides; we follow it. A terminal's Ctrl-C has reached it already.
      if (!(sig === "SIGINT" && terminalSendsSigint())) command.signal(sig);
    } else stop = true;
  };
  // SIGHUP too: a dropped ssh session must not lose what is still buffered (default action: die).
  // A signal ignored when the tracer started (nohup: SIGHUP) stays ignored, by the tracer and by
  // COMMAND, which inherits it ignored: it is neither handled nor forwarded.
  for (const [sig, n] of [
    ["SIGINT", 2n],
    ["SIGTERM", 15n],
    ["SIGHUP", 1n],
  ] as const) {
    if (!((startIgnored >> (n - 1n)) & 1n)) process.on(sig, onSignal);
  }
  // Started with & from a script, the tracer inherits SIGINT ignored and keeps it so, as
  // well-behaved programs do: say it once, with the way to stop it (a whole-host run went on
  // for 13 minutes and 3.4 GB when kill -INT did nothing).
  if ((startIgnored >> 1n) & 1n)
    say(`tracer: Ctrl-C and kill -INT are ignored (inherited); stop: kill -TERM ${process.pid}\n`);

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
      command = Command.start(cfg.command, {
        env: startEnvironment(),
        ignored: startIgnored,
        blocked: startBlocked,
        user: cfg.user ?? undefined,
      });
      follow(tracer, command.pid);
    }
    say("ready\n");
    sink.flush(); // the header now, not at the first poll: a Ctrl-C echoed meanwhile would share its line
    ci?.begin();
    command?.release();
    await pollLoop(tracer, out, () => stop, reportLoss, command, containers, nats, wakeupMs);
    if (command) {
      while (!command.poll()) await Bun.sleep(WAKEUP_MS.terminal); // a signal stopped the loop first
      status = command.exitStatus;
    }
  } finally {
    delivery.end(bootToEpochNs + clockNs(CLOCK_BOOTTIME)); // the trace's end instant (pipeline.ts)
    await finish(cfg, tracer, out, counters, losses, pipeline, stats, commandMode, startedMs, containers, nats);
  }
  const natsFailed =
    nats !== null && (nats.sink.failure !== null || (nats.sink.stats.unacked > 0 && cfg.nats!.spool === null));
  if (ci) status = ci.finish(status, { malformed: stats.malformed, excluded: stats.excluded, unread: sink.closed });
  if (sink.failure) {
    // Without COMMAND this ends the run at once; with COMMAND the loop stopped reading but the
    // command was left to finish (a CI build is not abandoned half-way), and only then is the
    // incomplete record reported.
    if (!command) throw sink.failure;
    say(
      `tracer: ${sink.failure.message}; events from then on were not written; the command exited with status ${status}\n`,
    );
    return 1;
  }
  if (natsFailed) {
    // said above (the nats line, or the stream's problem when the server came)
    return 1;
  }
  return status;
}
