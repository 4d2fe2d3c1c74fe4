// ContainerRegistry: container id → runtime metadata, cached, asked of every reachable runtime at
// once, bounded in time; from the runtimes' event streams, new containers are known (or asked
// about) before their first process runs, and removed ones evicted a while later.
import { constants } from "node:os";
import { libc } from "../../ffi/libc";
import { Containerd, CONTAINERD_NAMESPACES } from "./containerd";
import { DockerApi } from "./docker-api";
import type { ContainerMeta, OnChange, Runtime } from "./meta";

export const DEFAULT_SOCKETS = {
  docker: "/var/run/docker.sock",
  podman: "/run/podman/podman.sock",
  containerd: "/run/containerd/containerd.sock",
} as const;

/** How long an event waits for its container's metadata. Docker answers an inspect of a container
 * being started only once the start is over (a few hundred ms on a loaded host; 200 ms made the
 * first events of new containers "late"), so the default leaves room for that. */
export const CONTAINER_BOUND_MS = 1000;

/** How long a removed container's entry stays after its runtime reported the removal: its last
 * events may still be in the ring or held behind a look-up. */
export const REMOVAL_GRACE_MS = 10_000;

export interface RegistryOptions {
  /** Socket paths; null leaves that runtime out. Defaults: DEFAULT_SOCKETS. */
  dockerSocket?: string | null;
  podmanSocket?: string | null;
  containerdSocket?: string | null;
  containerdNamespaces?: readonly string[];
  /** Use these runtime clients instead of the three above (tests). Asked in this order of trust. */
  runtimes?: Runtime[];
  /** How long lookup() waits before it resolves null (default CONTAINER_BOUND_MS). */
  boundMs?: number;
  /** How long one question to the runtimes may take in all before it is abandoned (default 5 s). */
  requestTimeoutMs?: number;
  /** How long "no runtime has this id" is remembered (default 30 s). */
  absentTtlMs?: number;
  /** How long a removed container's entry stays after the runtime reported its removal, for its
   * events still in the ring or held (default REMOVAL_GRACE_MS). */
  removalGraceMs?: number;
  /** How long an unreachable runtime is left alone before it is asked again (default 10 s). */
  retryDownMs?: number;
  /** Most entries kept; the oldest go first beyond it (a backstop for missed removals). */
  maxEntries?: number;
  /** Where the one line per unreachable runtime goes (default: stderr, "tracer: containers: …"). */
  diagnostic?: (line: string) => void;
  /** Called when an entry is evicted (after a removal, or beyond maxEntries). */
  onEvict?: (id: string) => void;
}

interface RuntimeState {
  rt: Runtime;
  /** performance.now() of the last failure, or null while the runtime answers. */
  downAt: number | null;
  told: boolean;
  watcher: AbortController | null;
  /** Resolves once the watcher is subscribed (or its stream ended). */
  watching: Promise<void>;
  /** Epoch seconds the next subscription replays the runtime's events from. */
  since: number;
}

interface Entry {
  meta: ContainerMeta | null;
  at: number;
}

interface Flight {
  /** The whole question (up to requestTimeoutMs), or a creation event's answer if that comes first. */
  full: Promise<ContainerMeta | null>;
  settle: (m: ContainerMeta | null) => void;
  /** The same, or null once boundMs has passed since the first lookup() (not since the question
   * was asked: a creation event asks ahead of any lookup): what lookup() hands out. */
  bounded: Promise<ContainerMeta | null> | null;
  timer?: ReturnType<typeof setTimeout>;
  /** The bound passed before the answer came. */
  late: boolean;
}

export class ContainerRegistry {
  readonly boundMs: number;
  private readonly requestTimeoutMs: number;
  private readonly absentTtlMs: number;
  private readonly removalGraceMs: number;
  private readonly retryDownMs: number;
  private readonly maxEntries: number;
  private readonly diagnostic: (line: string) => void;
  private readonly onEvict: (id: string) => void;
  private readonly runtimes: RuntimeState[];
  private readonly entries = new Map<string, Entry>();
  private readonly flights = new Map<string, Flight>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly closing = new AbortController();
  /** When a runtime last told of a change or a question was last asked (performance.now()). */
  private lastStir = -Infinity;

  constructor(opts: RegistryOptions = {}) {
    this.boundMs = opts.boundMs ?? CONTAINER_BOUND_MS;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5000;
    this.absentTtlMs = opts.absentTtlMs ?? 30_000;
    this.removalGraceMs = opts.removalGraceMs ?? REMOVAL_GRACE_MS;
    this.retryDownMs = opts.retryDownMs ?? 10_000;
    this.maxEntries = opts.maxEntries ?? 8192;
    this.diagnostic = opts.diagnostic ?? ((line) => process.stderr.write(`tracer: containers: ${line}\n`));
    this.onEvict = opts.onEvict ?? (() => {});
    const rts = opts.runtimes ?? defaultRuntimes(opts);
    const now = Date.now() / 1000;
    this.runtimes = rts.map((rt) => ({
      rt,
      downAt: null,
      told: false,
      watcher: null,
      watching: Promise.resolve(),
      since: now,
    }));
  }

  /** Probe every runtime (at most requestTimeoutMs): one diagnostic line for each that does not
   * answer, event-stream watchers for those that do (subscribed when it resolves: containers
   * created from then on are known from their creation). Resolves with the names of those that
   * answer. Optional: lookups work without it, and say the same lines the first time they need a
   * runtime. */
  async start(): Promise<string[]> {
    const answered = await Promise.all(
      this.runtimes.map(async (s) => {
        try {
          await s.rt.probe(this.signal());
          this.up(s);
          return true;
        } catch (e) {
          this.down(s, e);
          return false;
        }
      }),
    );
    const up = this.runtimes.filter((_, i) => answered[i]);
    const limit = AbortSignal.any([AbortSignal.timeout(this.requestTimeoutMs), this.closing.signal]);
    await Promise.race([
      Promise.all(up.map((s) => s.watching)),
      new Promise((resolve) => limit.addEventListener("abort", resolve)),
    ]);
    return up.map((s) => s.rt.name);
  }

  /** A question is in flight, or one was asked or a runtime told of a change within the last
   * `ms`: answers and stream messages are coming through the event loop. */
  stirring(ms: number): boolean {
    return this.flights.size > 0 || performance.now() - this.lastStir < ms;
  }

  /** Cached answer, without asking: the metadata; null when no runtime had this id (remembered
   * absentTtlMs); undefined when never asked, evicted, expired, or the question is in flight. */
  known(id: string): ContainerMeta | null | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (e.meta === null && performance.now() - e.at > this.absentTtlMs) {
      this.entries.delete(id);
      return undefined;
    }
    return e.meta;
  }

  /** The metadata of container `id`, asking the runtimes when it is not cached. Resolves within
   * boundMs (plus a timer's lateness): null when no runtime has it, none answered, or the answer
   * did not come in time. A question still in flight is shared, never asked twice; once it has
   * missed a bound, lookups resolve null at once until it ends (an answer that comes later is
   * cached for the next lookup). */
  lookup(id: string): Promise<ContainerMeta | null> {
    const k = this.known(id);
    if (k !== undefined) return Promise.resolve(k);
    const f = this.flights.get(id) ?? this.fly(id);
    if (f.late) return Promise.resolve(null);
    return (f.bounded ??= Promise.race([
      f.full,
      new Promise<null>((resolve) => {
        f.timer = setTimeout(() => {
          f.late = true;
          resolve(null);
        }, this.boundMs);
      }),
    ]));
  }

  /** Forget id now (its next lookup asks the runtimes again). */
  evict(id: string): void {
    if (this.entries.delete(id)) this.onEvict(id);
  }

  /** Number of cached entries (found or absent). */
  get size(): number {
    return this.entries.size;
  }

  /** Stop the watchers and timers, close the sockets. */
  close(): void {
    this.closing.abort(new Error("container registry closed"));
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.runtimes) s.rt.close();
  }

  /** Start the question about id (not yet asked, not cached): `answer`, else the runtimes'. */
  private fly(id: string, answer?: Promise<ContainerMeta | null>): Flight {
    let settle!: (m: ContainerMeta | null) => void;
    const full = new Promise<ContainerMeta | null>((resolve) => (settle = resolve));
    const f: Flight = { full, settle, bounded: null, late: false };
    this.lastStir = performance.now();
    this.flights.set(id, f);
    full.then(() => {
      clearTimeout(f.timer);
      if (this.flights.get(id) === f) this.flights.delete(id);
    });
    (answer ?? this.ask(id)).then(settle);
    return f;
  }

  /** Ask every usable runtime at once; the first in trust order that has it answers (Docker's
   * containers are in containerd's "moby" namespace too, unnamed there). Never rejects. */
  private async ask(id: string): Promise<ContainerMeta | null> {
    const signal = this.signal();
    const asking = this.runtimes.filter((s) => this.usable(s));
    const answers = asking.map((s) =>
      s.rt.inspect(id, signal).then(
        (m) => {
          this.up(s);
          return m;
        },
        (e) => {
          this.down(s, e);
          return undefined; // no answer
        },
      ),
    );
    let failed = false;
    for (const a of answers) {
      const m = await a;
      if (m) {
        this.remember(id, m);
        return m;
      }
      if (m === undefined) failed = true;
    }
    // "Nobody has it" is remembered only when everybody asked could answer.
    if (!failed && !this.closing.signal.aborted) this.remember(id, null);
    return null;
  }

  private remember(id: string, meta: ContainerMeta | null): void {
    // A question that ended in "nobody has it" after a creation event said who: the container was
    // removed in between (its entry stays until its removal's grace ends).
    if (meta === null && this.entries.get(id)?.meta) return;
    this.entries.delete(id);
    this.entries.set(id, { meta, at: performance.now() });
    while (this.entries.size > this.maxEntries) this.evict(this.entries.keys().next().value!);
  }

  private usable(s: RuntimeState): boolean {
    return s.downAt === null || performance.now() - s.downAt >= this.retryDownMs;
  }

  private up(s: RuntimeState): void {
    s.downAt = null;
    if (!s.watcher && !this.closing.signal.aborted) this.watch(s);
  }

  private down(s: RuntimeState, e: unknown): void {
    if (this.closing.signal.aborted) return;
    s.downAt = performance.now();
    if (s.told) return;
    s.told = true;
    this.diagnostic(
      `${s.rt.name} (${s.rt.socket}): ${this.reason(e)}; its containers get ids only (asked again every ${this.retryDownMs / 1000} s, without saying so again)`,
    );
  }

  /** Follow the runtime's creations and removals while it answers; a broken stream is reopened
   * after retryDownMs, replaying from where it broke where the runtime can (Docker, podman;
   * containerd's removals in the gap are missed: maxEntries bounds what that leaves). */
  private watch(s: RuntimeState): void {
    const ac = new AbortController();
    s.watcher = ac;
    const signal = AbortSignal.any([ac.signal, this.closing.signal]);
    let opened!: () => void;
    s.watching = new Promise((resolve) => (opened = resolve));
    const onChange: OnChange = (change, id, describe) =>
      change === "created" ? this.created(id, describe) : this.removed(id);
    s.rt
      .watch(onChange, signal, { since: s.since, opened })
      .catch(() => {})
      .finally(() => {
        opened();
        s.watcher = null;
        s.since = Date.now() / 1000;
        if (!this.closing.signal.aborted) this.later(this.retryDownMs, () => s.watcher || this.watch(s));
      });
  }

  /** A container was just created: its metadata from the creation event where it carries it
   * (Docker, podman: this also answers a question already in flight, which they would answer
   * only once the container's start is over), else asked about now, so that the look-up its
   * first event makes finds the answer cached or in flight with a head start. */
  private created(id: string, describe?: (signal: AbortSignal) => Promise<ContainerMeta | null>): void {
    this.lastStir = performance.now();
    if (!describe) {
      if (this.known(id) === undefined && !this.flights.has(id)) this.fly(id);
      return;
    }
    const described = describe(this.signal()).then(
      (m) => {
        if (m) this.remember(id, m);
        return m;
      },
      () => null, // the image could not be asked: the container's own inspect is the fallback
    );
    const f =
      this.flights.get(id) ??
      this.fly(
        id,
        described.then((m) => m ?? this.ask(id)),
      );
    described.then((m) => m && f.settle(m));
  }

  /** A container was removed: its entry (or the answer still in flight) is evicted
   * removalGraceMs later. */
  private removed(id: string): void {
    this.lastStir = performance.now();
    if (!this.entries.has(id) && !this.flights.has(id)) return;
    this.later(this.removalGraceMs, () => this.evict(id));
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    (t as { unref?: () => void }).unref?.();
    this.timers.add(t);
  }

  /** "No such file or directory (ENOENT)", "no answer within 5000 ms", or the error's message
   * (that of its innermost cause: http2 wraps a failed connect in a cancelled stream). */
  private reason(e: unknown): string {
    while ((e as { cause?: unknown })?.cause !== undefined) e = (e as { cause: unknown }).cause;
    const { name, code, message } = (e ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
    if (name === "TimeoutError") return `no answer within ${this.requestTimeoutMs} ms`;
    const errno = typeof code === "string" ? (constants.errno as Record<string, number>)[code] : undefined;
    if (errno !== undefined) return `${String(libc.strerror(errno))} (${code})`;
    return typeof message === "string" && message !== "" ? message.split("\n")[0]! : String(e);
  }

  private signal(): AbortSignal {
    return AbortSignal.any([AbortSignal.timeout(this.requestTimeoutMs), this.closing.signal]);
  }
}

function defaultRuntimes(o: RegistryOptions): Runtime[] {
  const out: Runtime[] = [];
  const docker = o.dockerSocket === undefined ? DEFAULT_SOCKETS.docker : o.dockerSocket;
  const podman = o.podmanSocket === undefined ? DEFAULT_SOCKETS.podman : o.podmanSocket;
  const containerd = o.containerdSocket === undefined ? DEFAULT_SOCKETS.containerd : o.containerdSocket;
  if (docker) out.push(new DockerApi("docker", docker));
  if (podman) out.push(new DockerApi("podman", podman));
  if (containerd) out.push(new Containerd(containerd, o.containerdNamespaces ?? CONTAINERD_NAMESPACES));
  return out;
}
