// BPF object lifecycle: open → configure → load → attach → ring → poll → close (one cleanup path, in reverse).
import { existsSync, readFileSync } from "node:fs";
import { ptr, toArrayBuffer, type Pointer } from "bun:ffi";
import {
  bpf,
  cstr,
  str,
  lastErrno,
  setLibbpfVerbose,
  clearLibbpfLog,
  libbpfLogTail,
  muteLibbpfLog,
  BPF_MAP_TYPE_RINGBUF,
  BPF_ANY,
} from "../../ffi/libbpf.ts";
import { describeErrno, errnoName, errno, libc } from "../../ffi/libc.ts";
import { RingReader, RingError, type RecordHandler } from "../ring/reader.ts";
import { withHugePageHeap } from "./heap.ts";

export type { RecordHandler } from "../ring/reader.ts";

export interface LoadOptions {
  /** BPF ELF bytes (e.g. the embedded .output/tracer.bpf.o). Kept alive until close(). */
  object: Uint8Array;
  /** libbpf object name (map names get its first 8 chars as prefix: "tracer.rodata"). */
  name?: string;
  /** Write the .rodata initial value before load (offsets: `rodata` in src/decode/layout.gen.ts). */
  configure?(rodata: DataView): void;
  /** BPF_MAP_TYPE_RINGBUF map name, and its size in bytes (power of 2, ≥ page size), set before load. */
  ringMap: string;
  ringSize: number;
  /** Maps whose max_entries become libbpf_num_possible_cpus() before load. */
  perCpuMaps?: string[];
  /** Maps given fewer entries before load (never more than the object gives them): e.g. 1 for a
   * map this run's programs never touch (a preallocated hash map's elements cost CPU to create). */
  maxEntries?: Record<string, number>;
  /** Programs to load and attach; every other program in the object gets autoload=false. */
  programs: string[];
  /** Further tracepoints ("category/name") a program is attached to besides its own section's. */
  alsoAttach?: Record<string, string[]>;
  /** One call per ring record; see RecordHandler for how long the bytes stay valid. */
  onRecord: RecordHandler;
  /** Copy libbpf's log (including debug) to stderr. */
  verbose?: boolean;
}

/** A failed BPF operation: `op: cause`, plus the tail of libbpf's log (the verifier's words). */
export class LoadError extends Error {
  constructor(
    readonly op: string,
    readonly errno: number,
    readonly log: string[] = [],
    detail?: string,
  ) {
    super(`${op}: ${detail ?? describeErrno(errno)}` + (log.length ? "\n" + log.join("\n") : ""));
    this.name = "LoadError";
  }
}

export interface ObjectInfo {
  programs: string[];
  maps: { name: string; type: string; maxEntries: number; valueSize: number }[];
}

const LOG_TAIL = 40;
const EPERM = 1,
  ENOENT = 2,
  EBADF = 9,
  EINVAL = 22;

function notPermitted(e: number): string | undefined {
  if ((e === EPERM || e === 13) && libc.geteuid() !== 0)
    return `${describeErrno(e)}; run as root (or with CAP_BPF and CAP_PERFMON)`;
}

function fail(op: string, e: number, detail?: string): never {
  throw new LoadError(op, e, libbpfLogTail(LOG_TAIL), detail ?? notPermitted(e));
}

const CAP_SYS_ADMIN = 21n,
  CAP_BPF = 39n;

/** Neither CAP_BPF nor CAP_SYS_ADMIN in the effective set: the load would fail with EPERM. Its
 * error, said before the session opens any file (a check that costs a read of /proc/self/status). */
export function requirePrivileges(): void {
  const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  if (eff === undefined || BigInt(`0x${eff}`) & ((1n << CAP_SYS_ADMIN) | (1n << CAP_BPF))) return;
  throw new LoadError("load BPF object", EPERM, [], notPermitted(EPERM));
}

/** Check a libbpf int return (0 or -errno). */
function check(op: string, rc: number): void {
  if (rc < 0) fail(op, -rc);
}

const TRACEFS = "/sys/kernel/tracing";

/**
 * Classic tracepoints (SEC("tracepoint/...")) are found by their id in tracefs. When nothing
 * mounted it (no systemd, a fresh VM or container), mount it where libbpf looks first, as
 * systemd's sys-kernel-tracing.mount would. tp_btf programs do not need it.
 */
function ensureTracefs(op: string): void {
  if (existsSync(`${TRACEFS}/events`) || existsSync("/sys/kernel/debug/tracing/events")) return;
  const rc = libc.mount(cstr("tracefs"), cstr(TRACEFS), cstr("tracefs"), 0, null);
  if (rc !== 0) {
    const e = errno();
    throw new LoadError(op, e, [], `tracefs is not mounted at ${TRACEFS} and mounting it failed: ${describeErrno(e)}`);
  }
}

export class BpfTracer {
  private obj: Pointer | null = null;
  private links: Pointer[] = [];
  private ring: RingReader | null = null;
  private maps = new Map<string, Pointer>();
  private objectBytes: Buffer | null;
  private closed = false;

  /** Number of possible CPUs (per-CPU map values have this many slots, each rounded up to 8 bytes). */
  static readonly possibleCpus: number = bpf.libbpf_num_possible_cpus();

  private constructor(bytes: Buffer) {
    this.objectBytes = bytes;
  }

  /** Programs and maps of an object, without loading it (opens and closes it). */
  static inspect(object: Uint8Array, name = "tracer"): ObjectInfo {
    const t = new BpfTracer(Buffer.from(object));
    try {
      t.openObject(name);
      const programs: string[] = [];
      for (let p = bpf.bpf_object__next_program(t.obj, null); p; p = bpf.bpf_object__next_program(t.obj, p)) {
        programs.push(str(bpf.bpf_program__name(p)));
      }
      const maps = [...t.maps.entries()].map(([name, m]) => {
        const type = bpf.bpf_map__type(m);
        return {
          name,
          type: str(bpf.libbpf_bpf_map_type_str(type)) || `type ${type}`,
          maxEntries: bpf.bpf_map__max_entries(m),
          valueSize: bpf.bpf_map__value_size(m),
        };
      });
      return { programs, maps };
    } finally {
      t.close(false);
    }
  }

  /** Open, configure, load and attach; on any failure everything done so far is undone. */
  static open(o: LoadOptions): BpfTracer {
    setLibbpfVerbose(!!o.verbose);
    clearLibbpfLog();
    // libbpf keeps pointing into the ELF bytes while the object lives: own a copy.
    const t = new BpfTracer(Buffer.from(o.object));
    try {
      t.openObject(o.name ?? "tracer");
      t.configure(o);
      t.load();
      t.attach(o.programs, o.alsoAttach ?? {});
      t.ring = new RingReader(t.mapFd(o.ringMap), o.ringSize, o.onRecord);
    } catch (e) {
      t.close(false);
      if (e instanceof RingError) throw new LoadError(e.op, e.errno, [], e.detail);
      throw e;
    }
    return t;
  }

  private openObject(name: string): void {
    if (!existsSync("/sys/kernel/btf/vmlinux")) {
      throw new LoadError(
        "open BPF object",
        ENOENT,
        [],
        "kernel has no BTF (/sys/kernel/btf/vmlinux); it needs CONFIG_DEBUG_INFO_BTF=y",
      );
    }
    // struct bpf_object_open_opts { size_t sz; const char *object_name; ... }: the first two
    // fields are enough (libbpf accepts a smaller sz from older callers).
    const nameBuf = cstr(name);
    const opts = new BigUint64Array(2);
    opts[0] = 16n;
    opts[1] = BigInt(ptr(nameBuf));
    const bytes = this.objectBytes!;
    this.obj = bpf.bpf_object__open_mem(ptr(bytes), bytes.length, ptr(opts)) as Pointer | null;
    if (!this.obj) fail("open BPF object", lastErrno());
    for (
      let m = bpf.bpf_object__next_map(this.obj, null) as Pointer | null;
      m;
      m = bpf.bpf_object__next_map(this.obj, m) as Pointer | null
    ) {
      this.maps.set(str(bpf.bpf_map__name(m)), m);
    }
  }

  private map(name: string): Pointer {
    const m = this.maps.get(name);
    if (!m)
      throw new LoadError(
        `find map ${name}`,
        ENOENT,
        [],
        `not in the object (maps: ${[...this.maps.keys()].join(", ")})`,
      );
    return m;
  }

  private configure(o: LoadOptions): void {
    const ring = this.map(o.ringMap);
    if (bpf.bpf_map__type(ring) !== BPF_MAP_TYPE_RINGBUF)
      throw new LoadError(`configure ring map ${o.ringMap}`, EINVAL, [], "not a BPF_MAP_TYPE_RINGBUF map");
    const size = o.ringSize;
    if (!Number.isInteger(size) || size < 4096 || (size & (size - 1)) !== 0) {
      throw new LoadError(`configure ring map ${o.ringMap}`, EINVAL, [], `size ${size} is not a power of 2 ≥ 4096`);
    }
    check(`configure ring map ${o.ringMap}`, bpf.bpf_map__set_max_entries(ring, size));
    for (const name of o.perCpuMaps ?? []) {
      check(`configure map ${name}`, bpf.bpf_map__set_max_entries(this.map(name), BpfTracer.possibleCpus));
    }
    for (const [name, n] of Object.entries(o.maxEntries ?? {})) {
      const m = this.map(name);
      check(`configure map ${name}`, bpf.bpf_map__set_max_entries(m, Math.min(n, bpf.bpf_map__max_entries(m))));
    }
    if (o.configure) {
      const rodata = [...this.maps.entries()].find(([n]) => n.endsWith(".rodata"));
      if (!rodata) throw new LoadError("configure .rodata", ENOENT, [], "the object has no .rodata map");
      const psize = new BigUint64Array(1);
      const p = bpf.bpf_map__initial_value(rodata[1], ptr(psize));
      if (!p) fail("configure .rodata", lastErrno());
      o.configure(new DataView(toArrayBuffer(p, 0, Number(psize[0]))));
    }
    const wanted = new Set(o.programs);
    const seen = new Set<string>();
    for (let p = bpf.bpf_object__next_program(this.obj, null); p; p = bpf.bpf_object__next_program(this.obj, p)) {
      const name = str(bpf.bpf_program__name(p));
      seen.add(name);
      check(`configure program ${name}`, bpf.bpf_program__set_autoload(p, wanted.has(name)));
    }
    for (const name of wanted) {
      if (!seen.has(name))
        throw new LoadError(
          `find program ${name}`,
          ENOENT,
          [],
          `not in the object (programs: ${[...seen].join(", ")})`,
        );
    }
  }

  private load(): void {
    clearLibbpfLog();
    check(
      "load BPF object",
      withHugePageHeap(() => bpf.bpf_object__load(this.obj)),
    );
  }

  private attach(programs: string[], also: Record<string, string[]>): void {
    for (const name of programs) {
      const p = bpf.bpf_object__find_program_by_name(this.obj, cstr(name));
      if (!p) fail(`find program ${name}`, lastErrno());
      const section = str(bpf.bpf_program__section_name(p));
      if (/^(tracepoint|tp)\//.test(section)) ensureTracefs(`attach program ${name}`);
      clearLibbpfLog();
      const link = bpf.bpf_program__attach(p) as Pointer | null;
      if (!link) fail(`attach program ${name}`, lastErrno());
      this.links.push(link);
      for (const tp of also[name] ?? []) {
        const [category, event] = tp.split("/");
        if (!category || !event) fail(`attach program ${name} to ${tp}`, EINVAL, "not category/name");
        clearLibbpfLog();
        const l = bpf.bpf_program__attach_tracepoint(p, cstr(category), cstr(event)) as Pointer | null;
        if (!l) fail(`attach program ${name} to ${tp}`, lastErrno());
        this.links.push(l);
      }
    }
  }

  /** The fd of a loaded program (valid until close()). */
  programFd(name: string): number {
    const p = this.obj && bpf.bpf_object__find_program_by_name(this.obj, cstr(name));
    if (!p) fail(`find program ${name}`, lastErrno());
    const fd = bpf.bpf_program__fd(p);
    if (fd < 0) fail(`program ${name} fd`, -fd);
    return fd;
  }

  /** The kernel's struct bpf_prog_info of a loaded program, copied into `info` (as much of it as
   * the kernel has; the length it wrote is returned). */
  programInfo(name: string, info: Uint8Array): number {
    const len = new Uint32Array([info.byteLength]);
    info.fill(0);
    check(`read info of program ${name}`, bpf.bpf_obj_get_info_by_fd(this.programFd(name), ptr(info), ptr(len)));
    return len[0]!;
  }

  /** The fd of a map (valid until close()). */
  mapFd(name: string): number {
    const fd = bpf.bpf_map__fd(this.map(name));
    if (fd < 0) fail(`map ${name} fd`, -fd);
    return fd;
  }

  /** Wait up to timeoutMs and deliver records to onRecord. Returns the count, or -errno (-EINTR: a signal came; go back to the event loop). */
  poll(timeoutMs: number): number {
    if (!this.ring) throw new LoadError("poll ring buffer", EBADF, [], "tracer is closed");
    return this.ring.poll(timeoutMs);
  }

  /** Deliver every committed record without waiting. */
  drain(): number {
    if (!this.ring) throw new LoadError("drain ring buffer", EBADF, [], "tracer is closed");
    return this.ring.drain();
  }

  /** Address of the ring's data area (0 until the first record); for tests. */
  get ringDataAddress(): number {
    return this.ring?.dataAddress ?? 0;
  }

  /** Copy a map value into `value` (sizes must match the map's; per-CPU: ncpus × round8(value size)). False if the key is absent. */
  lookup(map: string, key: Uint8Array, value: Uint8Array): boolean {
    const rc = bpf.bpf_map__lookup_elem(this.map(map), ptr(key), key.byteLength, ptr(value), value.byteLength, 0);
    if (rc === -ENOENT) return false;
    check(`lookup in map ${map}`, rc);
    return true;
  }

  /** Write a map value (BPF_ANY). */
  update(map: string, key: Uint8Array, value: Uint8Array): void {
    check(`update map ${map}`, bpf.bpf_map_update_elem(this.mapFd(map), ptr(key), ptr(value), BPF_ANY));
  }

  /** Value size of a map as the kernel has it (after load). */
  valueSize(map: string): number {
    return bpf.bpf_map__value_size(this.map(map));
  }

  /** Destroy the links: no new records arrive; maps and ring stay readable until close(). */
  detach(): void {
    const links = this.links.reverse();
    this.links = [];
    destroyLinks(links);
  }

  /**
   * Detach, then (drain=true) deliver what is still in the ring, then free ring and object.
   * Idempotent. Cleanup order is the reverse of open, except that links go first so nothing
   * new arrives while draining.
   */
  close(drain = true): void {
    if (this.ring?.dispatching)
      throw new LoadError("close BPF object", 16, [], "called from inside onRecord; close after poll() returns");
    if (this.closed) return;
    this.closed = true;
    let error: unknown = null;
    this.detach();
    if (this.ring) {
      if (drain) {
        try {
          this.ring.drain();
        } catch (e) {
          error = e;
        }
      }
      this.ring.close();
      this.ring = null;
    }
    if (this.obj) bpf.bpf_object__close(this.obj);
    this.obj = null;
    this.maps.clear();
    this.objectBytes = null;
    if (error !== null) throw error;
  }
}

/**
 * bpf_link__destroy for each link, all at once. Taking a program off a syscall tracepoint waits
 * for the kernel (~70 ms per tracepoint, measured with strace: four in a row made stopping take
 * ~0.3 s), so each link goes on a thread of its own and all are joined. bpf_link__destroy(struct
 * bpf_link *) serves as the thread's start routine: one pointer argument, and its int result is
 * not read. libbpf's log callback is JS and must not run on those threads: muted meanwhile.
 * A link whose thread cannot be created is destroyed here.
 */
function destroyLinks(links: Pointer[]): void {
  if (links.length === 0) return;
  const ids = new BigUint64Array(links.length);
  const started = links.map(() => false);
  const unmute = muteLibbpfLog();
  try {
    for (let i = 0; i < links.length; i++) {
      started[i] =
        libc.pthread_create(
          ptr(ids, 8 * i),
          null,
          (bpf.bpf_link__destroy as unknown as { ptr: Pointer }).ptr,
          links[i]!,
        ) === 0;
    }
    for (let i = 0; i < links.length; i++) {
      if (started[i]) libc.pthread_join(ids[i]!, null);
      else bpf.bpf_link__destroy(links[i]!);
    }
  } finally {
    unmute();
  }
}

export { errnoName, describeErrno };
