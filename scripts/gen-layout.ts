// Generates src/decode/layout.gen.ts (struct offsets, enum constants, .rodata offsets) from BTF JSON.
//
// Usage: bun scripts/gen-layout.ts --btf tracer.btf.json --header bpf/tracer.h --out FILE [--object OBJ] [--source NAME]
//   --btf     output of `bpftool btf dump file OBJ format raw -j` (of a bpftool-linked object, so
//             DATASEC offsets are final)
//   --header  the C header that defines the records; only its structs/unions/enums are emitted
//   --object  the BPF object: its ELF symbols give the program names and sections
//   --source  object name written in the header comment
// The output is deterministic: structs and enums in header order, members in declaration order.
// It is only rewritten when its content changes.
import { readFileSync, writeFileSync, existsSync } from "node:fs";

interface BtfMember {
  name: string;
  type_id: number;
  bits_offset: number;
  bitfield_size?: number;
}
interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  nr_bits?: number;
  bits_offset?: number;
  members?: BtfMember[];
  values?: { name: string; val: number | string; val_lo32?: number; val_hi32?: number }[];
  vars?: { type_id: number; offset: number; size: number }[];
}

export class LayoutError extends Error {}

function arg(argv: string[], name: string, required = true): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0 || i + 1 >= argv.length) {
    if (required) throw new LayoutError(`missing ${name}`);
    return undefined;
  }
  return argv[i + 1];
}

/** Names declared with a body in the header, in order: `struct x {`, `union x {`, `enum x {`. */
export function headerNames(header: string): { structs: string[]; enums: string[] } {
  const text = header.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const structs: string[] = [];
  const enums: string[] = [];
  for (const m of text.matchAll(/\b(struct|union|enum)\s+(\w+)\s*\{/g)) {
    const list = m[1] === "enum" ? enums : structs;
    if (!list.includes(m[2]!)) list.push(m[2]!);
  }
  return { structs, enums };
}

interface Shape {
  type: string;
  size: number;
  dims: number[];
  struct?: string;
}

/** The programs of a BPF ELF object: its global functions outside .text, name → ELF section (the
 * attach point libbpf derives from it), sorted by name. */
export function elfPrograms(elf: Uint8Array): Record<string, string> {
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (dv.getUint32(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1)
    throw new LayoutError("not a 64-bit little-endian ELF object");
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  const sh = (i: number) => {
    const at = shoff + i * shentsize;
    return {
      name: dv.getUint32(at, true),
      type: dv.getUint32(at + 4, true),
      offset: Number(dv.getBigUint64(at + 0x18, true)),
      size: Number(dv.getBigUint64(at + 0x20, true)),
      link: dv.getUint32(at + 0x28, true),
    };
  };
  const str = (table: number, off: number) => {
    const start = sh(table).offset + off;
    return new TextDecoder().decode(elf.subarray(start, elf.indexOf(0, start)));
  };
  const shstrndx = dv.getUint16(0x3e, true);
  const out: Record<string, string> = {};
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    if (s.type !== 2) continue; // SHT_SYMTAB
    for (let at = s.offset; at < s.offset + s.size; at += 24) {
      const info = dv.getUint8(at + 4);
      const shndx = dv.getUint16(at + 6, true);
      if ((info & 0xf) !== 2 || info >> 4 !== 1 || shndx === 0 || shndx >= shnum) continue; // global FUNC, defined
      const section = str(shstrndx, sh(shndx).name);
      if (section !== ".text") out[str(s.link, dv.getUint32(at, true))] = section;
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Generate the TypeScript source. Throws LayoutError on anything it cannot express. With the
 * object's bytes (elf), also its program names and sections. */
export function generateLayout(
  btfJson: string,
  header: string,
  source: string,
  elf?: Uint8Array,
): { code: string; missing: string[] } {
  const types: BtfType[] = JSON.parse(btfJson).types;
  const byId = new Map<number, BtfType>();
  for (const t of types) byId.set(t.id, t);
  const get = (id: number): BtfType => {
    const t = byId.get(id);
    if (!t) throw new LayoutError(`BTF type id ${id} not found`);
    return t;
  };

  const skipMods = (id: number): BtfType => {
    let t = get(id);
    while (["TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG", "DECL_TAG"].includes(t.kind)) t = get(t.type_id!);
    return t;
  };
  const typeName = (id: number): string => {
    const t = get(id);
    switch (t.kind) {
      case "TYPEDEF":
      case "INT":
      case "FLOAT":
        return t.name;
      case "CONST":
      case "VOLATILE":
      case "RESTRICT":
      case "TYPE_TAG":
        return typeName(t.type_id!);
      case "STRUCT":
      case "UNION":
        return `${t.kind.toLowerCase()} ${t.name}`;
      case "ENUM":
      case "ENUM64":
        return `enum ${t.name}`;
      case "PTR":
        return "ptr";
      case "ARRAY":
        return typeName(t.type_id!);
      default:
        return t.kind.toLowerCase();
    }
  };
  const sizeOf = (id: number): number => {
    const t = skipMods(id);
    if (t.kind === "ARRAY") return t.nr_elems! * sizeOf(t.type_id!);
    if (t.kind === "PTR") return 8;
    if (t.size === undefined) throw new LayoutError(`size of BTF ${t.kind} ${t.name} unknown`);
    return t.size;
  };
  const shape = (id: number): Shape => {
    const dims: number[] = [];
    let t = skipMods(id);
    let elemId = id;
    while (t.kind === "ARRAY") {
      dims.push(t.nr_elems!);
      elemId = t.type_id!;
      t = skipMods(elemId);
    }
    const s: Shape = { type: typeName(elemId), size: sizeOf(id), dims };
    if ((t.kind === "STRUCT" || t.kind === "UNION") && t.name !== "(anon)") s.struct = t.name;
    return s;
  };

  const { structs: wantStructs, enums: wantEnums } = headerNames(header);
  const named = (kinds: string[], name: string): BtfType[] =>
    types.filter((t) => kinds.includes(t.kind) && t.name === name);

  const out: string[] = [];
  out.push(`// GENERATED from ${source} BTF by scripts/gen-layout.ts — DO NOT EDIT.`);
  out.push(`// Byte offsets of the records in bpf/tracer.h as the compiler laid them out.`);
  out.push(`// Per struct: $size = sizeof; <member> = offsetof; <member>$count = array length (outer`);
  out.push(`// dimension; <member>$dims for more than one); <member>$struct = the nested struct's name.`);
  out.push("");
  const missing: string[] = [];

  const emitMembers = (st: BtfType, base: number, lines: string[], where: string) => {
    for (const m of st.members!) {
      if (m.bitfield_size || m.bits_offset % 8 !== 0)
        throw new LayoutError(`${where}.${m.name || "(anon)"}: bitfields are not supported`);
      const mt = skipMods(m.type_id);
      if (mt.kind === "INT" && mt.nr_bits !== undefined && mt.nr_bits !== mt.size! * 8)
        throw new LayoutError(`${where}.${m.name}: bitfields are not supported`);
      const off = base + m.bits_offset / 8;
      if (m.name === "" || m.name === "(anon)") {
        // anonymous struct/union member: its fields belong to the parent
        if (mt.kind !== "STRUCT" && mt.kind !== "UNION")
          throw new LayoutError(`${where}: unnamed member of kind ${mt.kind}`);
        emitMembers(mt, off, lines, where);
        continue;
      }
      if (m.name.includes("$") || m.name === "$size") throw new LayoutError(`${where}.${m.name}: '$' in a member name`);
      const s = shape(m.type_id);
      const parts = [`${m.name}: ${off}`];
      if (s.dims.length > 0) parts.push(`${m.name}$count: ${s.dims[0]}`);
      if (s.dims.length > 1) parts.push(`${m.name}$dims: [${s.dims.join(", ")}]`);
      if (s.struct) parts.push(`${m.name}$struct: "${s.struct}"`);
      const dims = s.dims.map((d) => `[${d}]`).join("");
      // One property a line, as biome formats it (the file is checked in with the formatted sources).
      lines.push(`  ${parts.join(",\n  ")}, // ${s.type}${dims} (${s.size})`);
    }
  };

  for (const name of wantStructs) {
    const found = named(["STRUCT", "UNION"], name);
    if (found.length === 0) {
      missing.push(`struct ${name}`);
      continue;
    }
    const st = found[0]!;
    for (const other of found.slice(1)) {
      if (JSON.stringify({ ...other, id: 0 }) !== JSON.stringify({ ...st, id: 0 }))
        throw new LayoutError(`struct ${name}: two different definitions in BTF`);
    }
    const lines: string[] = [];
    emitMembers(st, 0, lines, name);
    out.push(`/** ${st.kind.toLowerCase()} ${name} */`);
    out.push(`export const ${name} = {`);
    out.push(`  $size: ${st.size},`);
    out.push(...lines);
    out.push(`} as const;`);
    out.push("");
  }

  for (const name of wantEnums) {
    const found = named(["ENUM", "ENUM64"], name);
    if (found.length === 0) {
      missing.push(`enum ${name}`);
      continue;
    }
    const en = found[0]!;
    out.push(`/** enum ${name} */`);
    out.push(`export const ${name} = {`);
    for (const v of en.values ?? []) {
      let val: string;
      if (en.kind === "ENUM64" && v.val_lo32 !== undefined) {
        const big = (BigInt(v.val_hi32!) << 32n) | BigInt(v.val_lo32 >>> 0);
        val = big <= BigInt(Number.MAX_SAFE_INTEGER) ? String(big) : `${big}n`;
      } else {
        val = String(v.val);
      }
      out.push(`  ${v.name}: ${val},`);
    }
    out.push(`} as const;`);
    out.push("");
  }

  // .rodata: offset of every variable, so configure() can write tracer_cfg before load.
  const rodata = types.find((t) => t.kind === "DATASEC" && t.name === ".rodata");
  out.push(`/** .rodata DATASEC: variable offsets (write them through LoadOptions.configure) */`);
  out.push(`export const rodata = {`);
  if (rodata) {
    out.push(`  $size: ${rodata.size},`);
    const vars = [...rodata.vars!].sort((a, b) => a.offset - b.offset);
    for (const v of vars) {
      const vt = get(v.type_id);
      if (vt.kind !== "VAR") throw new LayoutError(`.rodata entry ${v.type_id} is ${vt.kind}, not VAR`);
      const s = shape(vt.type_id!);
      const parts = [`${vt.name}: ${v.offset}`];
      if (s.struct) parts.push(`${vt.name}$struct: "${s.struct}"`);
      out.push(`  ${parts.join(",\n  ")}, // ${typeName(vt.type_id!)} (${v.size})`);
    }
  } else {
    out.push(`  $size: 0,`);
  }
  out.push(`} as const;`);
  out.push("");

  // Map names (the .maps DATASEC) and programs (ELF symbols): the names user space asks libbpf for.
  const mapsSec = types.find((t) => t.kind === "DATASEC" && t.name === ".maps");
  if (mapsSec) {
    const names = mapsSec.vars!.map((v) => get(v.type_id).name).sort();
    out.push(`/** Maps of the object (its .maps section), by name. */`);
    out.push(`export const maps = {`);
    for (const n of names) out.push(`  ${n}: "${n}",`);
    out.push(`} as const;`);
    out.push("");
  }
  if (elf) {
    out.push(`/** Programs of the object: name → ELF section (the attach point libbpf derives from it). */`);
    out.push(`export const programs = {`);
    for (const [n, s] of Object.entries(elfPrograms(elf))) out.push(`  ${n}: "${s}",`);
    out.push(`} as const;`);
    out.push("");
  }

  return { code: out.join("\n"), missing };
}

if (import.meta.main) {
  try {
    const argv = process.argv.slice(2);
    const btf = readFileSync(arg(argv, "--btf")!, "utf8");
    const headerPath = arg(argv, "--header")!;
    const outPath = arg(argv, "--out")!;
    const source = arg(argv, "--source", false) ?? ".output/tracer.bpf.o";
    const object = arg(argv, "--object", false);
    const elf = object === undefined ? undefined : readFileSync(object);
    const { code, missing } = generateLayout(btf, readFileSync(headerPath, "utf8"), source, elf);
    for (const m of missing) {
      console.error(
        `gen-layout: warning: ${m} (from ${headerPath}) is not in the object's BTF; use it in the BPF program`,
      );
    }
    if (!existsSync(outPath) || readFileSync(outPath, "utf8") !== code) writeFileSync(outPath, code);
  } catch (e) {
    console.error(`gen-layout: ${(e as Error).message}`);
    process.exit(1);
  }
}
