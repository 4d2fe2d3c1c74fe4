// The top-level fields of every JSON line, once, in the order of Tracee's trace.Event
// (types/trace/trace.go); ours ("seq", "containerMetadata") after Tracee's.
import { rec_header as H } from "./layout.gen";
import { dfgOnly } from "../jit";
import { hashTaskId } from "./entity";
import { T } from "./clock";
import { kernelSeq } from "./seq";
import type { EventView, RecordEvent } from "./event";
import type { ContainerMeta } from "./container";
import { argsList, argsOf, comm, epoch, num, obj, omitWhen, span, str, u32, u64, type Field } from "./schema";

/** HashTaskID of (the u32 id at idAt, the boot-time start at startAt) of the record. */
export function entityIdAt(ev: RecordEvent, idAt: number, startAt: number): number {
  ev.epoch(startAt);
  return hashTaskId(ev.u32(idAt), T.hi, T.lo);
}

const NONE = Object.freeze({});

/* Tracee's container and kubernetes objects: frozen and kept per container (the JSON encoder
 * writes a frozen object's bytes once), fields left out when empty as Go's omitempty does. */
/** A bounded cache of frozen objects, one made per key. */
function frozenPer<K, V extends object>(make: (k: K) => V, max = 4096): (k: K) => Readonly<V> {
  const cache = new Map<K, Readonly<V>>();
  const get = (k: K) => {
    let v = cache.get(k);
    if (v === undefined) {
      if (cache.size >= max) cache.clear();
      v = Object.freeze(make(k));
      cache.set(k, v);
    }
    return v;
  };
  dfgOnly(get); // src/jit.ts (it reached FTL: 2 ms of compile in a run of 3,000 spawns)
  return get;
}

const containerById = frozenPer((id: string) => ({ id }));
const described = new WeakMap<ContainerMeta, { container: object; kubernetes: object }>();
function containerOf(ev: RecordEvent): object {
  const meta = ev.x.container;
  if (meta) return describe(meta).container;
  const id = ev.containerId();
  return id === "" ? NONE : containerById(id);
}
function kubernetesOf(ev: RecordEvent): object {
  return ev.x.container ? describe(ev.x.container).kubernetes : NONE;
}
function describe(m: ContainerMeta) {
  let d = described.get(m);
  if (!d) {
    const some = (o: Record<string, string | boolean>) =>
      Object.freeze(Object.fromEntries(Object.entries(o).filter(([, v]) => v !== "" && v !== false)));
    d = {
      container: some({ id: m.id, name: m.name, image: m.image, imageDigest: m.imageDigest }),
      kubernetes: some({
        podName: m.podName,
        podNamespace: m.podNamespace,
        podUID: m.podUID,
        podSandbox: m.podSandbox,
      }),
    };
    described.set(m, d);
  }
  return d;
}

const FLAGS_HOST = Object.freeze({ containerStarted: false, isCompat: false });
const FLAGS_CONTAINER = Object.freeze({ containerStarted: true, isCompat: false });

/** `{path}` per program path, frozen and kept (the JSON encoder writes a frozen object once). */
const executableOf = frozenPer((path: string) => ({ path }));

/** How many args the event has in this run (see argsOf). */
export const argsNumOf = (ev: RecordEvent) => argsOf(ev.def, ev.opts.captureEnv, ev.opts.hash).length;

const isLost = (ev: RecordEvent) => ev.def.id === null;

export const TOP = [
  epoch(
    "timestamp",
    H.ts,
    "when the event happened, ns since the epoch (the kernel's CLOCK_BOOTTIME stamp plus one offset measured at start-up)",
  ),
  epoch("threadStartTime", H.thread_start, "the thread's start, ns since the epoch"),
  u32("processorId", H.cpu, "CPU the event was seen on"),
  u32("processId", H.ns_pid, "process id in the task's own (innermost) pid namespace"),
  u64("cgroupId", H.cgroup_id, "cgroup v2 id of the task's cgroup"),
  u32("threadId", H.ns_tid, "thread id in the task's own pid namespace"),
  u32("parentProcessId", H.ns_ppid, "parent's process id in the task's pid namespace; 0 when the parent is outside it"),
  u32("hostProcessId", H.host_pid, "process id as the host sees it"),
  u32("hostThreadId", H.host_tid, "thread id as the host sees it"),
  u32("hostParentProcessId", H.host_ppid, "parent's process id as the host sees it"),
  u32("userId", H.uid, "real user id"),
  u32("mountNamespace", H.mnt_ns, "mount namespace inode"),
  u32("pidNamespace", H.pid_ns, "innermost pid namespace inode"),
  comm("processName", H.comm, "the task's comm"),
  obj("executable", (ev) => executableOf(ev.x.exePath), "`{path}`: the process's program (for an exec: the new one)"),
  span("hostName", H.hostname, "the task's UTS nodename"),
  str(
    "containerId",
    (ev) => ev.containerId(),
    "64-hex container id when the task's cgroup v2 leaf name carries one (docker, containerd, cri-o, podman), else empty",
  ),
  obj(
    "container",
    containerOf,
    "`{id, name, image, imageDigest}`: `id` as containerId, the rest from the container's runtime (Docker, podman, containerd; see Containers); empty on the host",
  ),
  obj(
    "kubernetes",
    kubernetesOf,
    "`{podName, podNamespace, podUID, podSandbox}` from the labels kubelet puts on a pod's containers; empty outside Kubernetes",
  ),
  omitWhen(
    str(
      "eventId",
      (ev) => ev.def.id ?? "",
      "Tracee's event id, a string (714 fork, 715 exec, 716 exit, 779 failed exec); none for lost_events",
    ),
    isLost,
  ),
  str("eventName", (ev) => ev.def.name, "the event's name"),
  num("argsNum", "int32", argsNumOf, "number of args"),
  num(
    "returnValue",
    "int32",
    (ev) => ev.def.returnValue(ev),
    "the syscall's return value: `-errno` for a failed exec, else 0",
  ),
  str("syscall", (ev) => ev.def.syscall(ev), "`execve` or `execveat` for exec events, else empty"),
  obj(
    "contextFlags",
    (ev) => (ev.containerId() === "" ? FLAGS_HOST : FLAGS_CONTAINER),
    "`{containerStarted, isCompat}`: containerStarted when the task is in a container's cgroup",
  ),
  num(
    "threadEntityId",
    "uint32",
    (ev) => entityIdAt(ev, H.host_tid, H.thread_start),
    "Tracee's HashTaskID of (host thread id, thread start): joins with Tracee's ids",
  ),
  num(
    "processEntityId",
    "uint32",
    (ev) => entityIdAt(ev, H.host_pid, H.process_start),
    "HashTaskID of the process (its group leader): kept across exec",
  ),
  num(
    "parentEntityId",
    "uint32",
    (ev) => entityIdAt(ev, H.host_ppid, H.parent_start),
    "HashTaskID of the parent process",
  ),
  argsList("args", "`[{name, type, value}]`, per event below"),
  omitWhen(
    num(
      "seq",
      "uint64",
      (ev) => (ev.x.seq >= 0 ? ev.x.seq : kernelSeq(ev.r.dv, ev.r.off)),
      "ours: global sequence number assigned before the record entered the ring (in the kernel; before Linux 5.12 per CPU there and made global in user space, in ring order); with lost_events it proves nothing was dropped silently",
    ),
    isLost,
  ),
  omitWhen(
    str(
      "containerMetadata",
      (ev) => ev.x.containerMeta,
      "ours, for a container's events: where `container` and `kubernetes` came from: `found` (its runtime answered), `absent` (no runtime has it), `late` (no answer within 1 s: the id only), `off` (no runtime socket)",
    ),
    (ev) => ev.containerId() === "",
  ),
] as const satisfies readonly Field[];

export type TopName = (typeof TOP)[number]["name"];

type TopField<N extends TopName> = Extract<(typeof TOP)[number], { name: N }>;
export type TopValue<N extends TopName> = TopField<N> extends Field<N, infer V> ? V : never;

/** A typed reader of one top-level field. */
export function topAccessor<N extends TopName>(name: N): (ev: EventView) => TopValue<N> {
  // A loop, not find() with a closure: 24 accessors × ~25 fields of calls had JSC compile the
  // closure at DFG before `ready` (0.2-0.6 ms of a JIT thread, 2026-12-07).
  let f: Field | undefined;
  for (const t of TOP)
    if (t.name === name) {
      f = t as Field;
      break;
    }
  const field = f!;
  const get = (ev: EventView) => ev.top(field) as TopValue<N>;
  dfgOnly(get); // src/jit.ts
  return get;
}
