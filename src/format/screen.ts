// Is an output a terminal, how wide, and may it get colour (never to a pipe or file; NO_COLOR
// set to anything non-empty turns it off, https://no-color.org).
import { libc } from "../../ffi/libc";

/** Is fd a terminal: isatty(3), as node:tty's is, without loading node:tty (and node:net with
 * it: ~2.8 ms of CPU before `ready` in every run, 2026-12-07). */
export function isatty(fd: number): boolean {
  return libc.isatty(fd) === 1;
}

export interface Terminal {
  tty: boolean;
  /** Columns of the terminal (80 when it does not say), or null when not a terminal. */
  columns: number | null;
  color: boolean;
}

export function terminal(fd: number): Terminal {
  if (!isatty(fd)) return { tty: false, columns: null, color: false };
  const stream = fd === 1 ? process.stdout : fd === 2 ? process.stderr : null;
  const columns = stream?.columns || Number(process.env.COLUMNS) || 80;
  return { tty: true, columns, color: !process.env.NO_COLOR };
}
