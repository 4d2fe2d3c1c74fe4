// The folders show the flow: bpf/ → ffi/ → ring → decode → redact → load → enrich → filter →
// containers → format → sink → ci, wired by session/ (and main.ts, pipeline.ts). A module imports only from its
// own room or rooms before it (type imports too), and value imports never form a cycle.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(import.meta.dir, "..");

/** Rooms in flow order; modules every room may use (errors, words) rank first. */
const RANK: Record<string, number> = {
  ffi: 0,
  "src/errors": 0,
  "src/word": 0,
  "src/jit": 0,
  "src/ring": 1,
  "src/decode": 2,
  "src/redact": 2.5,
  "src/load": 3,
  "src/enrich": 4,
  "src/filter": 5,
  "src/containers": 6,
  "src/format": 7,
  "src/sink": 8,
  "src/ci": 9,
  "src/pipeline": 10,
  "src/session": 10,
  "src/main": 11,
};

function roomOf(file: string): string | null {
  const parts = file.replace(/\.(ts|json)$/, "").split("/");
  if (parts[0] === "ffi") return "ffi";
  if (parts[0] !== "src") return null; // package.json, .output/ (build outputs)
  const two = parts.slice(0, 2).join("/");
  return two in RANK ? two : null;
}

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function edges(): Edge[] {
  const files = Bun.spawnSync(["git", "ls-files", "src/*.ts", "src/**/*.ts", "ffi/*.ts"], { cwd: ROOT })
    .stdout.toString()
    .trim()
    .split("\n");
  const out: Edge[] = [];
  for (const f of files) {
    const src = readFileSync(join(ROOT, f), "utf8");
    for (const m of src.matchAll(/^(import|export)\s+(type\s+)?[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']/gms)) {
      const to = relative(ROOT, resolve(dirname(join(ROOT, f)), m[3]!)).replace(/\.ts$/, "");
      out.push({ from: f.replace(/\.ts$/, ""), to, typeOnly: m[2] !== undefined });
    }
  }
  return out;
}

test("every room has a rank, and the rank list names only rooms that exist", () => {
  const all = edges();
  expect(all.length).toBeGreaterThan(200); // the parse found the imports
  const unranked = [...new Set(all.map((e) => e.from).filter((f) => roomOf(f + ".ts") === null))];
  expect(unranked).toEqual([]);
});

function against(es: Edge[]): string[] {
  return es
    .filter((e) => {
      const a = roomOf(e.from + ".ts"),
        b = roomOf(e.to + ".ts");
      return a !== null && b !== null && a !== b && RANK[b]! > RANK[a]!;
    })
    .map((e) => `${e.from} → ${e.to}`);
}

function valueCycles(es: Edge[]): string[] {
  const g = new Map<string, string[]>();
  for (const e of es) if (!e.typeOnly) g.set(e.from, [...(g.get(e.from) ?? []), e.to]);
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (v: string) => {
    state.set(v, "open");
    path.push(v);
    for (const w of g.get(v) ?? []) {
      if (state.get(w) === "open") cycles.push([...path.slice(path.indexOf(w)), w].join(" → "));
      else if (!state.has(w)) visit(w);
    }
    path.pop();
    state.set(v, "done");
  };
  for (const v of g.keys()) if (!state.has(v)) visit(v);
  return cycles;
}

test("no import runs against the flow", () => {
  expect(against(edges())).toEqual([]);
});

test("value imports form no cycle", () => {
  expect(valueCycles(edges())).toEqual([]);
});

test("the checks report a planted violation and a planted cycle", () => {
  expect(against([{ from: "src/decode/event", to: "src/session/config", typeOnly: true }])).toEqual([
    "src/decode/event → src/session/config",
  ]);
  expect(against([{ from: "src/session/run", to: "src/decode/event", typeOnly: false }])).toEqual([]);
  expect(
    valueCycles([
      { from: "src/a", to: "src/b", typeOnly: false },
      { from: "src/b", to: "src/a", typeOnly: false },
    ]),
  ).toEqual(["src/a → src/b → src/a"]);
  expect(
    valueCycles([
      { from: "src/a", to: "src/b", typeOnly: false },
      { from: "src/b", to: "src/a", typeOnly: true },
    ]),
  ).toEqual([]);
});
