// errno numbers → symbolic names (ENOENT), from the runtime's own table, built at the first use
// (most runs never name an errno; ~0.3 ms of start-up otherwise).
import { constants } from "node:os";

let names: Map<number, string> | null = null;

function table(): Map<number, string> {
  const m = new Map<number, string>();
  for (const [name, n] of Object.entries(constants.errno)) if (!m.has(n)) m.set(n, name);
  return m;
}

export function errnoName(errno: number): string {
  names ??= table();
  return names.get(errno) ?? `errno ${errno}`;
}
