// User names and ids from /etc/passwd, read once: --uid NAME, --user, and the table's USER column.
import { readFileSync } from "node:fs";

interface User {
  uid: number;
  gid: number;
}

let byUid: Map<number, string> | null = null;
let byName: Map<string, User> | null = null;

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
    if (!byName.has(f[0]!)) byName.set(f[0]!, { uid, gid: Number(f[3]) });
  }
}

/** The name of uid, or its number when /etc/passwd has none. */
export function userName(uid: number): string {
  if (!byUid) load();
  return byUid!.get(uid) ?? String(uid);
}

/** The uid of a user name, or undefined. */
export function uidOfName(name: string): number | undefined {
  return userOf(name)?.uid;
}

/** A user name, or a uid that /etc/passwd names, → its uid and primary gid; else undefined. */
export function userOf(spec: string): User | undefined {
  if (!byName) load();
  const named = byName!.get(spec);
  if (named || !/^\d+$/.test(spec)) return named;
  const name = byUid!.get(Number(spec));
  return name === undefined ? undefined : byName!.get(name);
}
