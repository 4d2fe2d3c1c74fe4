// JavaScriptCore's per-function levers (bun:jsc), for the record path.
//
// Why the record path stays out of JSC's top tier (FTL): a fresh run of 3,000 spawns (9,000
// events) spent ~60 µs per event in JSC's JITWorker threads, four fifths of it in FTL compiles
// (B3/Air; ProcessTable.enrich alone, with what it inlines, ~30% of it), which a few thousand
// events never pay back: the DFG tier's code ran the steady path as fast within the noise of a
// shared host (bench/jit.ts, side by side with BUN_JSC_useFTLJIT=0: see the commit that made
// this). The runtime reads BUN_JSC_* only at process start, so the lever is per function.
//
// tracer show's path too (redaction of a saved line, the summary, the tree, the cells; marked
// "src/jit.ts: tracer show"): a 266,127-line trace does not pay FTL's compiles back either (JIT
// threads of show --tree ~700 → ~120 ms); CPU, 7 paired runs, load ~4: --tree -28%, --failures
// -11%, the table -2% (its Table already DFG only). The scanner (decode/json-scan.ts), where
// each line's fields are found, does: at FTL, 13 paired runs, the table -3%, the others even.
import * as jsc from "bun:jsc";

type Fn = (...a: never[]) => unknown;
// bun:jsc has both at run time; bun-types 1.4 does not declare them.
export const { noInline, noFTL } = jsc as unknown as { noInline(f: Fn): void; noFTL(f: Fn): void };

/** Keep functions out of the FTL tier (they still reach the DFG tier): each function given, each
 * method and accessor of a class given (its prototype's and its static ones), each function of a
 * module namespace given (and each class in it). null/undefined are skipped. */
export function dfgOnly(...targets: unknown[]): void {
  // Loops in one call, not a helper called per function: ~300 calls of a recursive helper at
  // start-up had JSC compile it at DFG before `ready` (~1 ms of a JIT thread, 2026-12-07).
  const fns: Fn[] = [];
  for (const t of targets) {
    if (typeof t === "function") fns.push(t as Fn);
    else if (t !== null && typeof t === "object")
      for (const v of Object.values(t)) if (typeof v === "function") fns.push(v as Fn);
  }
  // Arrow functions and methods have no prototype, nor methods of their own: most targets are
  // (the schema's field functions). Scanning them too had JSC compile `methods` and `walk`
  // at DFG after ready, 2-6 ms of JIT (bench/jit.ts --source).
  const owners: object[] = [];
  for (const f of fns) {
    noFTL(f);
    const proto = (f as { prototype?: object }).prototype;
    if (!proto) continue;
    if (proto !== Function.prototype) owners.push(proto);
    owners.push(f);
  }
  for (const o of owners) {
    for (const k of Object.getOwnPropertyNames(o)) {
      if (k === "constructor" || k === "prototype" || k === "caller" || k === "arguments") continue;
      const d = Object.getOwnPropertyDescriptor(o, k)!;
      for (const f of [d.value, d.get, d.set]) if (typeof f === "function") noFTL(f as Fn);
    }
  }
}
