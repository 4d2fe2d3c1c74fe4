// Fail when an ELF file needs a glibc symbol version newer than GLIBC_FLOOR: reads what the
// dynamic loader checks (readelf: the version needs, and the undefined symbols that name them).
// Run by scripts/build-libs.sh on the embedded libraries and by scripts/build.sh on ./tracer.
// Usage: bun scripts/check-glibc.ts [--floor 2.22] FILE...   exit 1 with one line per symbol.
import { spawnSync } from "node:child_process";
import { compareVersions, GLIBC_FLOOR } from "../src/session/glibc.ts";

/** What FILE needs from glibc above floor: "fstat@GLIBC_2.33", or "GLIBC_2.33" for a version no symbol names. */
export function tooNew(file: string, floor = GLIBC_FLOOR): string[] {
  const out = new Set<string>();
  const versions = new Set<string>();
  // "  0x0040:   Name: GLIBC_2.33  Flags: none  Version: 15" in .gnu.version_r
  for (const m of readelf(["-V", "-W", file]).matchAll(/Name: GLIBC_(\d+(?:\.\d+)+)\s/g)) {
    if (compareVersions(m[1]!, floor) > 0) versions.add(m[1]!);
  }
  // "     1: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND fstat@GLIBC_2.33 (15)"
  for (const m of readelf(["--dyn-syms", "-W", file]).matchAll(/ UND (\S+?)@GLIBC_(\d+(?:\.\d+)+)/g)) {
    if (compareVersions(m[2]!, floor) > 0) {
      out.add(`${m[1]}@GLIBC_${m[2]}`);
      versions.delete(m[2]!);
    }
  }
  for (const v of versions) out.add(`GLIBC_${v}`);
  return [...out];
}

function readelf(args: string[]): string {
  const r = spawnSync("readelf", args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) throw new Error(`readelf ${args.join(" ")}: ${r.error?.message ?? r.stderr.trim()}`);
  return r.stdout;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  let floor = GLIBC_FLOOR;
  if (args[0] === "--floor") {
    floor = args[1]!;
    args.splice(0, 2);
  }
  let bad = 0;
  for (const file of args) {
    for (const what of tooNew(file, floor)) {
      console.error(
        `check-glibc: error: ${file} needs ${what}, newer than the floor glibc ${floor} (src/session/glibc.ts)`,
      );
      bad++;
    }
  }
  if (bad === 0) console.error(`check-glibc: ${args.length} file(s) need nothing newer than glibc ${floor}`);
  process.exit(bad === 0 ? 0 : 1);
}
