// Tracee's decoder, as a test oracle: the rules Tracee's Go types (types/trace, v0.24.1) apply to
// a JSON line, and Tracee's own arg lists, written down from shared/tracee-json.md — not from our
// schema, so a drift on either side fails the tests that use it.

/** Tracee's event ids (`eventId` is a JSON string). */
export const TRACEE_IDS: Record<string, string> = {
  sched_process_fork: "714",
  sched_process_exec: "715",
  sched_process_exit: "716",
  process_execute_failed: "779",
};

/** Tracee's args per event, in Tracee's order (name, type). */
export const TRACEE_ARGS: Record<string, [string, string][]> = {
  sched_process_exec: [
    ["cmdpath", "string"],
    ["pathname", "string"],
    ["dev", "uint32"],
    ["inode", "uint64"],
    ["ctime", "uint64"],
    ["inode_mode", "uint16"],
    ["interpreter_pathname", "string"],
    ["interpreter_dev", "uint32"],
    ["interpreter_inode", "uint64"],
    ["interpreter_ctime", "uint64"],
    ["argv", "[]string"],
    ["interp", "string"],
    ["stdin_type", "uint16"],
    ["stdin_path", "string"],
    ["invoked_from_kernel", "bool"],
    ["prev_comm", "string"],
    ["env", "[]string"],
    ["pwd", "string"],
  ],
  sched_process_fork: [
    ["parent_tid", "int32"],
    ["parent_ns_tid", "int32"],
    ["parent_pid", "int32"],
    ["parent_ns_pid", "int32"],
    ["parent_start_time", "time.Time"],
    ["child_tid", "int32"],
    ["child_ns_tid", "int32"],
    ["child_pid", "int32"],
    ["child_ns_pid", "int32"],
    ["start_time", "time.Time"],
    ["parent_process_tid", "int32"],
    ["parent_process_ns_tid", "int32"],
    ["parent_process_pid", "int32"],
    ["parent_process_ns_pid", "int32"],
    ["parent_process_start_time", "time.Time"],
    ["leader_tid", "int32"],
    ["leader_ns_tid", "int32"],
    ["leader_pid", "int32"],
    ["leader_ns_pid", "int32"],
    ["leader_start_time", "time.Time"],
  ],
  sched_process_exit: [
    ["exit_code", "int32"],
    ["signal_code", "int32"],
    ["process_group_exit", "bool"],
  ],
};

/** Our specification's names for process_execute_failed (shared/spec/003), in its order. */
export const SPEC_FAILED_ARGS = [
  "path",
  "binary",
  "interpreter_path",
  "stdin_type",
  "stdin_path",
  "kernel_invoked",
  "environment",
  "arguments",
];

/** Number types Tracee's Argument.UnmarshalJSON accepts for a JSON number, with their ranges. */
const WIDTH: Record<string, [bigint, bigint]> = {
  int8: [-128n, 127n],
  uint8: [0n, 255n],
  uint16: [0n, 65535n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  "trace.Pointer": [0n, 2n ** 64n - 1n],
};

const INT_FIELDS = [
  "timestamp",
  "threadStartTime",
  "processorId",
  "processId",
  "cgroupId",
  "threadId",
  "parentProcessId",
  "hostProcessId",
  "hostThreadId",
  "hostParentProcessId",
  "userId",
  "mountNamespace",
  "pidNamespace",
  "argsNum",
  "returnValue",
  "threadEntityId",
  "processEntityId",
  "parentEntityId",
];

/** JSON.parse with every integer kept exact (Go's UseNumber): a number where a double holds it
 * exactly, else a bigint. */
export function parseExact(line: string): any {
  return JSON.parse(
    line.replace(/("(?:[^"\\]|\\.)*")|(-?\d+)(?=\s*[,\]}])/g, (m, str, num) => (str ? str : `"#int#${num}"`)),
    (_k, v) => {
      if (typeof v !== "string" || !v.startsWith("#int#")) return v;
      const n = BigInt(v.slice(5));
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    },
  );
}

const isInt = (v: unknown) => typeof v === "bigint" || Number.isInteger(v);

const RFC3339_NS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

/** What Tracee's decoder would say of the line: [] when trace.Event decodes it, else the errors. */
export function traceeErrors(line: string): string[] {
  const errs: string[] = [];
  let e: any;
  try {
    e = parseExact(line);
  } catch (x) {
    return [`not JSON: ${(x as Error).message}`];
  }
  for (const k of INT_FIELDS) if (k in e && !isInt(e[k])) errs.push(`${k} is not an integer`);
  if ("eventId" in e) {
    if (typeof e.eventId !== "string" || !/^-?\d+$/.test(e.eventId))
      errs.push(`eventId ${JSON.stringify(e.eventId)} is not a string of digits`);
    else if (TRACEE_IDS[e.eventName] !== undefined && e.eventId !== TRACEE_IDS[e.eventName])
      errs.push(`eventId ${e.eventId} is not Tracee's for ${e.eventName}`);
  }
  for (const k of ["processName", "hostName", "containerId", "eventName", "syscall"])
    if (typeof e[k] !== "string") errs.push(`${k} is not a string`);
  if (typeof e.executable?.path !== "string") errs.push("executable.path is not a string");
  for (const k of ["container", "kubernetes", "contextFlags"])
    if (typeof e[k] !== "object" || e[k] === null || Array.isArray(e[k])) errs.push(`${k} is not an object`);
  if (e.container && (e.container.id ?? "") !== e.containerId) errs.push("container.id differs from containerId");
  if (
    e.contextFlags &&
    (typeof e.contextFlags.containerStarted !== "boolean" || typeof e.contextFlags.isCompat !== "boolean")
  )
    errs.push("contextFlags are not booleans");
  if (!Array.isArray(e.args)) return [...errs, "args is not an array"];
  if (e.args.length !== e.argsNum) errs.push(`argsNum ${e.argsNum} but ${e.args.length} args`);
  for (const a of e.args) {
    if (typeof a.name !== "string" || typeof a.type !== "string") {
      errs.push("an arg without name or type");
      continue;
    }
    const v = a.value;
    if (typeof v === "bigint" || typeof v === "number") {
      const w = WIDTH[a.type] ?? (a.type.endsWith("*") ? WIDTH["trace.Pointer"] : undefined);
      if (!w && a.type !== "float" && a.type !== "float64")
        errs.push(`unrecognized argument type ${a.type} of argument ${a.name}`);
      else if (w && (BigInt(v) < w[0] || BigInt(v) > w[1]))
        errs.push(`argument ${a.name} = ${v} does not fit ${a.type}`);
    } else if (a.type === "[]string") {
      if (v !== null && !(Array.isArray(v) && v.every((s: unknown) => typeof s === "string")))
        errs.push(`argument ${a.name} is not []string`);
    } else if (a.type === "time.Time") {
      if (typeof v !== "string" || !RFC3339_NS.test(v))
        errs.push(`argument ${a.name} = ${JSON.stringify(v)} is not an RFC 3339 time`);
    }
  }
  const want = TRACEE_ARGS[e.eventName];
  if (want) {
    want.forEach(([n, t], i) => {
      const a = e.args[i];
      if (a?.name !== n || a?.type !== t) errs.push(`arg ${i} is ${a?.name} ${a?.type}, Tracee has ${n} ${t}`);
    });
  }
  if (e.eventName === "process_execute_failed") {
    SPEC_FAILED_ARGS.forEach((n, i) => {
      if (e.args[i]?.name !== n) errs.push(`arg ${i} is ${e.args[i]?.name}, the spec has ${n}`);
    });
  }
  return errs;
}
