// Is an output a terminal, how wide, and may it get colour (never to a pipe or file; NO_COLOR
// set to anything non-empty turns it off, https://no-color.org).
import { isatty } from "node:tty";

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
