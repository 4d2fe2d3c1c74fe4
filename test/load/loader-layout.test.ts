// scripts/gen-layout.ts: BTF JSON → src/decode/layout.gen.ts, and the committed file matches the object.
import { test, expect, describe } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { elfPrograms, generateLayout, headerNames, LayoutError } from "../../scripts/gen-layout.ts";

const ROOT = join(import.meta.dir, "../..");

// A hand-written BTF dump in bpftool's `format raw -j` shape.
const u32 = { id: 1, kind: "TYPEDEF", name: "__u32", type_id: 2 };
const uint = { id: 2, kind: "INT", name: "unsigned int", size: 4, bits_offset: 0, nr_bits: 32, encoding: "(none)" };
const char = { id: 3, kind: "INT", name: "char", size: 1, bits_offset: 0, nr_bits: 8, encoding: "SIGNED" };
const idx = {
  id: 4,
  kind: "INT",
  name: "__ARRAY_SIZE_TYPE__",
  size: 4,
  bits_offset: 0,
  nr_bits: 32,
  encoding: "(none)",
};
const comm = { id: 5, kind: "ARRAY", name: "(anon)", type_id: 3, index_type_id: 4, nr_elems: 16 };
const hdr = {
  id: 6,
  kind: "STRUCT",
  name: "hdr",
  size: 8,
  vlen: 2,
  members: [
    { name: "kind", type_id: 1, bits_offset: 0 },
    { name: "size", type_id: 1, bits_offset: 32 },
  ],
};
const rec = {
  id: 7,
  kind: "STRUCT",
  name: "rec",
  size: 28,
  vlen: 3,
  members: [
    { name: "h", type_id: 6, bits_offset: 0 },
    { name: "pid", type_id: 1, bits_offset: 64 },
    { name: "comm", type_id: 5, bits_offset: 96 },
  ],
};
const kinds = {
  id: 8,
  kind: "ENUM",
  name: "kind",
  encoding: "UNSIGNED",
  size: 4,
  vlen: 2,
  values: [
    { name: "K_A", val: 1 },
    { name: "K_B", val: 2 },
  ],
};
const cfg = {
  id: 9,
  kind: "STRUCT",
  name: "cfg",
  size: 4,
  vlen: 1,
  members: [{ name: "flags", type_id: 1, bits_offset: 0 }],
};
const cv = { id: 10, kind: "CONST", name: "(anon)", type_id: 11 };
const vv = { id: 11, kind: "VOLATILE", name: "(anon)", type_id: 9 };
const var1 = { id: 12, kind: "VAR", name: "the_cfg", type_id: 10, linkage: "global" };
const var2 = { id: 13, kind: "VAR", name: "other", type_id: 1, linkage: "global" };
const sec = {
  id: 14,
  kind: "DATASEC",
  name: ".rodata",
  size: 8,
  vlen: 2,
  vars: [
    { type_id: 13, offset: 4, size: 4 },
    { type_id: 12, offset: 0, size: 4 },
  ],
};
const notInHeader = {
  id: 15,
  kind: "STRUCT",
  name: "private_thing",
  size: 4,
  vlen: 1,
  members: [{ name: "x", type_id: 1, bits_offset: 0 }],
};
const TYPES = [u32, uint, char, idx, comm, hdr, rec, kinds, cfg, cv, vv, var1, var2, sec, notInHeader];
const HEADER = `
/* struct commented { */
struct hdr { __u32 kind; __u32 size; };
enum kind { K_A = 1, K_B = 2 };
struct rec { struct hdr h; __u32 pid; char comm[16]; };
struct cfg { __u32 flags; };
struct absent { int y; };
`;

function gen(types: object[] = TYPES, header = HEADER) {
  return generateLayout(JSON.stringify({ types }), header, "test.o");
}

async function load(code: string): Promise<Record<string, any>> {
  // Evaluate the generated module to check it is valid TypeScript with the right values.
  const file = join(import.meta.dir, `.layout-${process.pid}-${Math.random().toString(36).slice(2)}.gen.ts`);
  await Bun.write(file, code);
  try {
    return await import(file);
  } finally {
    (await import("node:fs")).rmSync(file, { force: true });
  }
}

describe("generateLayout", () => {
  test("structs, nested structs, arrays, enums and .rodata offsets", async () => {
    const { code, missing } = gen();
    const m = await load(code);
    expect(m.hdr).toEqual({ $size: 8, kind: 0, size: 4 });
    expect(m.rec).toEqual({ $size: 28, h: 0, h$struct: "hdr", pid: 8, comm: 12, comm$count: 16 });
    expect(m.kind).toEqual({ K_A: 1, K_B: 2 });
    expect(m.rodata).toEqual({ $size: 8, the_cfg: 0, the_cfg$struct: "cfg", other: 4 });
    expect(m.private_thing).toBeUndefined(); // only what bpf/tracer.h defines
    expect(missing).toEqual(["struct absent"]);
    expect(code.split("\n")[0]).toBe("// GENERATED from test.o BTF by scripts/gen-layout.ts — DO NOT EDIT.");
  });

  test("output follows header order and is the same whatever the BTF type order", () => {
    const a = gen().code;
    const b = gen([...TYPES].reverse()).code;
    expect(b).toBe(a);
    expect(a.indexOf("export const hdr")).toBeLessThan(a.indexOf("export const rec"));
    expect(a.indexOf("export const kind")).toBeGreaterThan(a.indexOf("export const cfg"));
  });

  test("bitfields are rejected", () => {
    const bf = {
      ...hdr,
      members: [
        { name: "kind", type_id: 1, bits_offset: 0, bitfield_size: 3 },
        { name: "size", type_id: 1, bits_offset: 3, bitfield_size: 29 },
      ],
    };
    expect(() => gen(TYPES.map((t) => (t.id === 6 ? bf : t)))).toThrow(LayoutError);
    expect(() => gen(TYPES.map((t) => (t.id === 6 ? bf : t)))).toThrow("hdr.kind: bitfields are not supported");
  });

  test("header scan ignores comments and keeps order", () => {
    expect(headerNames(HEADER)).toEqual({ structs: ["hdr", "rec", "cfg", "absent"], enums: ["kind"] });
  });
});

describe("elfPrograms", () => {
  // Ground truth: the section of each global function as llvm-readelf lists the symbol table.
  test("the programs and sections of both objects are what llvm-readelf says", () => {
    for (const obj of ["tracer.bpf.o", "tracer-legacy.bpf.o"]) {
      const path = join(ROOT, ".output", obj);
      const elf = readFileSync(path);
      const r = Bun.spawnSync(["llvm-readelf", "-s", "-S", "--wide", path], { stdout: "pipe" });
      expect(r.exitCode).toBe(0);
      const text = r.stdout.toString();
      const sections = new Map<string, string>();
      for (const m of text.matchAll(/^\s*\[\s*(\d+)\]\s+(\S+)/gm)) sections.set(m[1]!, m[2]!);
      const want: Record<string, string> = {};
      for (const m of text.matchAll(/^\s*\d+:\s+\S+\s+\d+\s+FUNC\s+GLOBAL\s+\S+\s+(\d+)\s+(\S+)$/gm)) {
        const section = sections.get(m[1]!)!;
        if (section !== ".text") want[m[2]!] = section;
      }
      expect(Object.keys(want).length).toBeGreaterThan(0);
      expect(elfPrograms(elf)).toEqual(want);
    }
  });

  test("a file that is not an ELF object is refused", () => {
    expect(() => elfPrograms(new TextEncoder().encode("not an ELF object, not at all"))).toThrow(LayoutError);
  });
});

describe("the committed layout", () => {
  const btfJson = join(ROOT, ".output/tracer.btf.json");
  const layout = join(ROOT, "src/decode/layout.gen.ts");

  test("src/decode/layout.gen.ts is what gen-layout makes from .output/tracer.bpf.o", () => {
    if (!existsSync(btfJson)) throw new Error(`${btfJson} is missing: run scripts/build.sh`);
    const { code } = generateLayout(
      readFileSync(btfJson, "utf8"),
      readFileSync(join(ROOT, "bpf/tracer.h"), "utf8"),
      ".output/tracer.bpf.o",
      readFileSync(join(ROOT, ".output/tracer.bpf.o")),
    );
    expect(readFileSync(layout, "utf8")).toBe(code);
  });

  // The build has just regenerated the file from bpf/: a difference from the commit means
  // bpf/tracer.h or the program changed without the new layout being committed with it (in a
  // working tree with uncommitted bpf/ changes this fails too, until both are committed).
  test("layout.gen.ts is committed up to date", () => {
    const r = Bun.spawnSync(["git", "diff", "--exit-code", "--stat", "HEAD", "--", "src/decode/layout.gen.ts"], {
      cwd: ROOT,
    });
    expect(r.stdout.toString()).toBe("");
    expect(r.exitCode).toBe(0);
  });
});
