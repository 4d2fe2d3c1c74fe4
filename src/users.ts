// User names and ids from /etc/passwd: --uid NAME, and the table's USER column.
import { readFileSync } from "node:fs";

let byUid: Map<number, string> | null = null;
let byName: Map<string, number> | null = null;

function load(): void {
  byUid = new Map();
  byName = new Map();
  let text = "";
  try {
    text = readFileSync("/etc/passwd", "utf8");
  } catch {}
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length < 4 || !/^\d+$/.test(f[2]!)) continue;
    const uid = Number(f[2]);
    if (!byUid.has(uid)) byUid.set(uid, f[0]!);
    if (!byName.has(f[0]!)) byName.set(f[0]!, uid);
  }
}

/** The name of uid, or its number when /etc/passwd has none. */
export function userName(uid: number): string {
  if (!byUid) load();
  return byUid!.get(uid) ?? String(uid);
}

/** The uid of a user name, or undefined. */
export function uidOfName(name: string): number | undefined {
  if (!byName) load();
  return byName!.get(name);
}
