// errno numbers → symbolic names (ENOENT), from the runtime's own table.
import { constants } from "node:os";

const NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(constants.errno)) if (!NAMES.has(n)) NAMES.set(n, name);

export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `errno ${errno}`;
}
