// One JSON line per event, field names and order as Tracee's trace.Event (types/trace/trace.go).

import type { Arg, TraceEvent } from "../event.ts";
import { ByteBuf, type Lit, lit } from "./bytes.ts";

/*
 * Encoded straight into a ByteBuf (the writer's buffer): constant keys are pre-encoded bytes,
 * numbers and bigints are written as digits (bigint → JSON integer, never a string, so epoch-ns
 * timestamps keep every digit), strings are escaped byte-identically to JSON.stringify (lone
 * surrogates, i.e. surrogate-escaped non-UTF-8 bytes, come out as \udcXX).
 *
 * Tracee fields left out because we have nothing true to put there: eventId (Tracee's numbers
 * change between releases; key on eventName), matchedPolicies, container, kubernetes,
 * stackAddresses, contextFlags, metadata. Our extra field: "seq", after "args".
 */

const K_TIMESTAMP = lit('{"timestamp":');
const K_THREAD_START = lit(',"threadStartTime":');
const K_PROCESS_NAME = lit(',"processName":');
const K_EXECUTABLE = lit(',"executable":{"path":');
const K_HOST_NAME = lit('},"hostName":');
const K_CONTAINER = lit(',"containerId":');
const K_EVENT_NAME = lit(',"eventName":');
const K_ARGS_NUM = lit(',"argsNum":');
const K_RETURN = lit(',"returnValue":');
const K_SYSCALL = lit(',"syscall":');
const K_THREAD_ENTITY = lit(',"threadEntityId":');
const K_PROCESS_ENTITY = lit(',"processEntityId":');
const K_PARENT_ENTITY = lit(',"parentEntityId":');
const K_ARGS = lit(',"args":[');
const K_SEQ = lit('],"seq":');
const K_END = lit("}\n");

const MAX_DEPTH = 16; // arg values are small plain objects; deeper means a bug, not data

/** Pre-encoded `{"name":N,"type":T,"value":` per arg name; names and types come from a table. */
interface Prefix {
  type: string;
  lit: Lit;
}
const prefixes = new Map<string, Prefix>();
const scratch = new ByteBuf(256);

function prefixOf(name: string, type: string): Lit {
  const hit = prefixes.get(name);
  if (hit !== undefined && hit.type === type) return hit.lit;
  if (prefixes.size > 4096) prefixes.clear(); // never grows without bound
  scratch.pos = 0;
  scratch.ascii('{"name":');
  scratch.str(name);
  scratch.ascii(',"type":');
  scratch.str(type);
  scratch.ascii(',"value":');
  const p = lit(scratch.bytes());
  prefixes.set(name, { type, lit: p });
  return p;
}

/** Encode an argument value: string, string[], number, bigint, boolean, small plain object. */
export function encodeValue(out: ByteBuf, v: unknown, depth = 0): void {
  switch (typeof v) {
    case "string":
      out.str(v);
      return;
    case "number":
      out.num(v);
      return;
    case "bigint":
      out.big(v);
      return;
    case "boolean":
      out.ascii(v ? "true" : "false");
      return;
    case "object":
      if (v === null || depth > MAX_DEPTH) {
        out.ascii("null");
      } else if (Array.isArray(v)) {
        encodeArray(out, v, depth);
      } else if (ArrayBuffer.isView(v)) {
        encodeArray(out, Array.from(v as Uint8Array), depth);
      } else if (typeof (v as { toJSON?: unknown }).toJSON === "function") {
        encodeValue(out, (v as { toJSON: () => unknown }).toJSON(), depth + 1);
      } else {
        encodeObject(out, v as Record<string, unknown>, depth);
      }
      return;
    default:
      out.ascii("null"); // undefined, function, symbol: as JSON.stringify does inside arrays
  }
}

function encodeArray(out: ByteBuf, a: readonly unknown[], depth: number): void {
  out.byte(0x5b); // [
  const n = a.length;
  for (let i = 0; i < n; i++) {
    if (i > 0) out.byte(0x2c);
    const x = a[i];
    if (typeof x === "string") out.str(x);
    else encodeValue(out, x, depth + 1);
  }
  out.byte(0x5d); // ]
}

function encodeObject(out: ByteBuf, o: Record<string, unknown>, depth: number): void {
  out.byte(0x7b); // {
  let first = true;
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    const v = o[k];
    const t = typeof v;
    if (t === "undefined" || t === "function" || t === "symbol") continue; // as JSON.stringify
    if (!first) out.byte(0x2c);
    first = false;
    out.str(k);
    out.byte(0x3a); // :
    encodeValue(out, v, depth + 1);
  }
  out.byte(0x7d); // }
}

/**
 * The arg list of an event kind repeats (same names, types, order), so the prefixes of the
 * last list seen per eventName are kept in an array and checked by identity first; a Map
 * lookup per arg is the fallback.
 */
export interface ArgShape {
  names: string[];
  types: string[];
  lits: Lit[];
}
const shapes = new Map<string, ArgShape>();

export function shapeOf(eventName: string): ArgShape {
  let shape = shapes.get(eventName);
  if (shape === undefined) {
    if (shapes.size > 64) shapes.clear();
    shape = { names: [], types: [], lits: [] };
    shapes.set(eventName, shape);
  }
  return shape;
}

/** `{"name":N,"type":T,"value":` of the i-th arg of an event of this shape. */
export function argPrefix(shape: ArgShape, i: number, name: string, type: string): Lit {
  if (shape.names[i] === name && shape.types[i] === type) return shape.lits[i]!;
  const p = prefixOf(name, type);
  shape.names[i] = name;
  shape.types[i] = type;
  shape.lits[i] = p;
  return p;
}

function encodeArgs(out: ByteBuf, eventName: string, args: readonly Arg[]): void {
  const shape = shapeOf(eventName);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (i > 0) out.byte(0x2c);
    out.raw(argPrefix(shape, i, a.name, a.type));
    const v = a.value;
    if (typeof v === "string") out.str(v);
    else if (typeof v === "number") out.num(v);
    else encodeValue(out, v);
    out.byte(0x7d);
  }
}

/*
 * The top-level fields go through three small loops (numbers, strings, numbers) over values
 * gathered into preallocated arrays, rather than one call per field: each loop inlines its
 * encoder once, so the optimizing JIT compiles a graph a fraction of the size (an unrolled
 * encodeJson took ~315 ms of FTL compile time on the tracer's JIT threads at start).
 */
/** Top-level number fields in Tracee's order (the record header's u32s, and cgroupId). */
export const NUM_FIELDS = [
  "processorId", "processId", "cgroupId", "threadId", "parentProcessId", "hostProcessId", "hostThreadId",
  "hostParentProcessId", "userId", "mountNamespace", "pidNamespace",
] as const;
export const NUM_KEYS = NUM_FIELDS.map((n) => lit(`,"${n}":`));
const STR_KEYS = [K_PROCESS_NAME, K_EXECUTABLE, K_HOST_NAME, K_CONTAINER, K_EVENT_NAME];
export const ENTITY_KEYS = [K_THREAD_ENTITY, K_PROCESS_ENTITY, K_PARENT_ENTITY];
const nums = new Array<number>(NUM_KEYS.length).fill(0);
const strs = new Array<string>(STR_KEYS.length).fill("");
const entities = new Array<number>(ENTITY_KEYS.length).fill(0);

/** The constant pieces of the top level that json-record.ts writes around its own values. */
export const TOP = {
  timestamp: K_TIMESTAMP, threadStart: K_THREAD_START, processName: K_PROCESS_NAME, executable: K_EXECUTABLE,
  hostName: K_HOST_NAME, container: K_CONTAINER, eventName: K_EVENT_NAME, argsNum: K_ARGS_NUM, returnValue: K_RETURN,
  syscall: K_SYSCALL, args: K_ARGS, seq: K_SEQ, end: K_END,
};

/** `,"key":N` for each key and value. */
function numberFields(out: ByteBuf, keys: readonly Lit[], vals: readonly number[]): void {
  for (let i = 0; i < keys.length; i++) {
    out.raw(keys[i]!);
    out.num(vals[i]!);
  }
}

/** Append the event as one line of JSON (newline included) to out. */
export function encodeJson(out: ByteBuf, e: TraceEvent): void {
  out.raw(K_TIMESTAMP);
  out.big(e.timestamp);
  out.raw(K_THREAD_START);
  out.big(e.threadStartTime);
  nums[0] = e.processorId;
  nums[1] = e.processId;
  nums[2] = e.cgroupId;
  nums[3] = e.threadId;
  nums[4] = e.parentProcessId;
  nums[5] = e.hostProcessId;
  nums[6] = e.hostThreadId;
  nums[7] = e.hostParentProcessId;
  nums[8] = e.userId;
  nums[9] = e.mountNamespace;
  nums[10] = e.pidNamespace;
  numberFields(out, NUM_KEYS, nums);
  strs[0] = e.processName;
  strs[1] = e.executable.path;
  strs[2] = e.hostName;
  strs[3] = e.containerId;
  strs[4] = e.eventName;
  for (let i = 0; i < STR_KEYS.length; i++) {
    out.raw(STR_KEYS[i]!);
    out.str(strs[i]!);
  }
  out.raw(K_ARGS_NUM);
  out.num(e.args.length);
  out.raw(K_RETURN);
  out.num(e.returnValue);
  out.raw(K_SYSCALL);
  out.str(e.syscall);
  entities[0] = e.threadEntityId;
  entities[1] = e.processEntityId;
  entities[2] = e.parentEntityId;
  numberFields(out, ENTITY_KEYS, entities);
  out.raw(K_ARGS);
  encodeArgs(out, e.eventName, e.args);
  out.raw(K_SEQ);
  out.num(e.seq);
  out.raw(K_END);
}

const line = new ByteBuf(4096);

/** The event as one line of JSON, newline included (string API; the sink path uses encodeJson). */
export function formatJson(e: TraceEvent): string {
  line.pos = 0;
  encodeJson(line, e);
  return line.take();
}

/** JSON text of one value, as encodeValue writes it. */
export function jsonValue(v: unknown): string {
  line.pos = 0;
  encodeValue(line, v);
  return line.take();
}
