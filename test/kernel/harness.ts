// Root-only kernel tests: run the real ./tracer, run workloads with unique markers, collect events.
import { afterAll, beforeAll, expect } from "bun:test";
import { spawn, type Subprocess } from "bun";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..", "..");
export const TRACER = join(ROOT, "tracer");
export const FIXTURES = join(ROOT, ".output", "test");

/** A marker unique to this test run, to find our own processes among everything on the host. */
export function marker(tag: string): string {
  return `tracer-test-${tag}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Compile a fixture once (static or dynamic) into .output/test/. */
export function fixture(name: string, opts: { static?: boolean } = {}): string {
  mkdirSync(FIXTURES, { recursive: true });
  const out = join(FIXTURES, name + (opts.static ? "-static" : ""));
  const src = join(ROOT, "test", "fixtures", name + ".c");
  // Rebuilt when its source is newer (a merge that changed a fixture must not run the old one).
  if (!existsSync(out) || statSync(src).mtimeMs > statSync(out).mtimeMs) {
    const args = ["gcc", "-O2", "-pthread", "-o", out, src];
    if (opts.static) args.splice(1, 0, "-static");
    const r = Bun.spawnSync(args, { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`gcc ${name}: ${r.stderr.toString()}`);
  }
  return out;
}

export type Json = Record<string, any>;

/** The summary line that ends a -- COMMAND run (and any run on a terminal), on stderr. */
export const SUMMARY_LINE =
  /^tracer: \d+ process(?:es)?, \d+ execs?, \d+ failed execs?, \d+ non-zero exits?, (?:\d+ killed by a signal, )?(?:\d+ events? lost, )?[\d.]+ m?s$/;

/** The critical path's line of a -- COMMAND run that started more than one process. */
export const CRITICAL_PATH_LINE = /^tracer: critical path \(\d+ processes\): .+ [\d.]+ m?s [\d.]+%$/;

/** stderr of a -- COMMAND run that said nothing else: "ready", the critical path when COMMAND
 * started other processes, then the summary line. */
export function readyAndSummary(stderr: string): void {
  const lines = stderr.split("\n");
  if (lines.length === 4 && CRITICAL_PATH_LINE.test(lines[1]!)) lines.splice(1, 1);
  if (lines.length !== 3 || lines[0] !== "ready" || !SUMMARY_LINE.test(lines[1]!) || lines[2] !== "") {
    throw new Error(`expected "ready" and the summary line, got ${JSON.stringify(stderr)}`);
  }
}

/** JSON.parse keeping integers beyond 2^53 exact (as bigint). ~6x cheaper than a reviver over
 * a regex that skips strings (97 against 650 µs for a 2.4 KB line, same run): a whole-host
 * trace on a busy host must not outrun the test reading it. */
export function parseLine(line: string): Json {
  // `"KEY":DIGITS` cannot occur inside a JSON string: the quote after KEY would have to be escaped
  return unbig(JSON.parse(line.replace(LONG_INT, '"$1":"#big#$2"')));
}
const LONG_INT = /"([^"\\]+)":(-?\d{16,})(?=[,}\]])/g;
function unbig(v: any): any {
  if (typeof v === "string") return v.startsWith("#big#") ? BigInt(v.slice(5)) : v;
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (typeof v[i] === "object" || typeof v[i] === "string") v[i] = unbig(v[i]);
  } else for (const k in v) if (typeof v[k] === "object" || typeof v[k] === "string") v[k] = unbig(v[k]);
  return v;
}

/** Epoch ns of an RFC 3339 time with up to 9 fraction digits, in UTC (Tracee's time.Time args). */
export function rfc3339Ns(s: string): bigint {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(s);
  if (!m) throw new Error(`not RFC 3339 UTC: ${s}`);
  return BigInt(Date.parse(m[1] + "Z")) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

/** Value of a named arg of an event. */
export function arg(e: Json, name: string): any {
  const a = (e.args as Json[]).find((x) => x.name === name);
  if (!a) throw new Error(`event ${e.eventName} has no arg ${name}`);
  return a.value;
}

export class TracerRun {
  private out = "";
  private err = "";
  private parsed: Json[] = [];
  private parsedTo = 0;
  private constructor(readonly proc: Subprocess<"ignore", "pipe", "pipe">) {}

  /** Start ./tracer with args and wait for its "ready" line on stderr. */
  static async start(args: string[] = ["--json"], opts: { timeoutMs?: number } = {}): Promise<TracerRun> {
    if (!existsSync(TRACER)) throw new Error(`${TRACER} is missing: run npm run build`);
    const proc = spawn([TRACER, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const run = new TracerRun(proc);
    run.pump(proc.stdout, (s) => (run.out += s));
    const ready = run.pump(
      proc.stderr,
      (s) => (run.err += s),
      () => run.err.includes("ready\n"),
    );
    const timeout = opts.timeoutMs ?? 20000;
    const ok = await Promise.race([ready, Bun.sleep(timeout).then(() => false), proc.exited.then(() => false)]);
    if (!ok) {
      proc.kill("SIGKILL");
      await proc.exited;
      throw new Error(`tracer did not become ready: ${run.err}`);
    }
    return run;
  }

  private pump(stream: ReadableStream<Uint8Array>, sink: (s: string) => void, until?: () => boolean): Promise<boolean> {
    const dec = new TextDecoder();
    let resolve!: (v: boolean) => void;
    const p = new Promise<boolean>((r) => (resolve = r));
    (async () => {
      for await (const chunk of stream) {
        sink(dec.decode(chunk, { stream: true }));
        if (until?.()) resolve(true);
      }
      resolve(false);
    })();
    return p;
  }

  get stdout(): string {
    return this.out;
  }
  get stderr(): string {
    return this.err;
  }

  /** Parsed JSON events seen so far (each line parsed once: a whole-system trace on a host busy
   * with exec storms of its own must not make every wait re-parse everything). */
  events(): Json[] {
    this.parse();
    return this.parsed.slice();
  }

  private parse(): void {
    const end = this.out.lastIndexOf("\n"); // a line still being written has no newline yet
    if (end >= this.parsedTo) {
      for (const l of this.out.slice(this.parsedTo, end).split("\n")) if (l.trim()) this.parsed.push(parseLine(l));
      this.parsedTo = end + 1;
    }
  }

  /** Wait until pred matches some event (the tracer flushes after each ring poll). The timeout
   * only decides when an absent event is declared missing: generous, so that a host flooded with
   * other work delays a test instead of failing it. */
  async waitFor(pred: (e: Json) => boolean, timeoutMs = 60000): Promise<Json[]> {
    const end = Date.now() + timeoutMs;
    const hits: Json[] = [];
    for (let seen = 0; ; ) {
      this.parse();
      for (; seen < this.parsed.length; seen++) if (pred(this.parsed[seen]!)) hits.push(this.parsed[seen]!);
      if (hits.length) return hits;
      if (Date.now() > end) throw new Error(`no matching event within ${timeoutMs} ms`);
      await Bun.sleep(20);
    }
  }

  /** SIGINT, wait for exit; returns exit code. */
  async stop(signal: "SIGINT" | "SIGTERM" | "SIGHUP" = "SIGINT"): Promise<number> {
    this.proc.kill(signal);
    const code = await this.proc.exited;
    await Bun.sleep(10);
    return code;
  }
}

/** Read a stream until `re` matches what came so far; the match. */
export async function readUntil(stream: ReadableStream<Uint8Array>, re: RegExp): Promise<RegExpExecArray> {
  const reader = stream.getReader();
  const dec = new TextDecoder();
  let text = "";
  for (;;) {
    const m = re.exec(text);
    if (m) {
      reader.releaseLock();
      return m;
    }
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before ${re}: ${text}`);
    text += dec.decode(value, { stream: true });
  }
}

/** Events whose argv contains the marker. */
export function withMarker(events: Json[], m: string, name = "sched_process_exec"): Json[] {
  return events.filter(
    (e) =>
      e.eventName === name &&
      ((arg(e, name === "sched_process_exec" ? "argv" : "arguments") as string[]) ?? []).some((a) => a.includes(m)),
  );
}

/** Kernel dev_t encoding (major << 20 | minor) of a stat(2) st_dev. */
export function kernelDev(stDev: number | bigint): number {
  const d = BigInt(stDev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return (major << 20) | minor;
}

/** /proc/PID/cmdline as a list. */
/** The files under /proc/PID/DIR (fdinfo, task/TID/...) that still exist: `read` gets each
 * name; an entry gone between the listing and the read (an fd closed, a thread ended) is left
 * out, not an error. */
export function procEntries<T>(pid: number, dir: string, read: (name: string) => T): Map<string, T> {
  const out = new Map<string, T>();
  for (const name of readdirSync(`/proc/${pid}/${dir}`)) {
    try {
      out.set(name, read(name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT" && (e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
    }
  }
  return out;
}

/** Ids of the BPF objects (`prog_id` or `map_id`) whose descriptors process `pid` holds, as
 * its fdinfo shows them (the kernel's view, not the process's). */
export function heldBpfIds(pid: number, kind: "prog_id" | "map_id"): Set<number> {
  const ids = new Set<number>();
  for (const info of procEntries(pid, "fdinfo", (fd) => readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8")).values()) {
    const m = new RegExp(`^${kind}:\\s+(\\d+)$`, "m").exec(info);
    if (m) ids.add(Number(m[1]));
  }
  return ids;
}

export function procCmdline(pid: number): string[] {
  const raw = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  return raw.split("\0").slice(0, -1);
}

export function procLink(pid: number, what: string): string {
  return readlinkSync(`/proc/${pid}/${what}`);
}

/** A test file's whole-host tracer (`--json`) and scratch directory: made before its first test;
 * after its last, the tracer must stop with status 0, `cleanup` runs and the directory goes. */
export function sharedTracer(prefix: string, cleanup?: (dir: string) => void): { tracer: TracerRun; dir: string } {
  const s = {} as { tracer: TracerRun; dir: string };
  beforeAll(async () => {
    s.dir = mkdtempSync(join(tmpdir(), prefix));
    s.tracer = await TracerRun.start(["--json"]);
  });
  afterAll(async () => {
    expect(await s.tracer?.stop()).toBe(0);
    cleanup?.(s.dir);
    rmSync(s.dir, { recursive: true, force: true });
  });
  return s;
}
