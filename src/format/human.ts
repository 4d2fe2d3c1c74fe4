// Text for people: a duration, a line cut to a terminal's width. Apart from table.ts so that the
// run's summary, the tree and the CI outputs use them without loading the table's modules.

/** A duration for people: 0.4 ms, 14 ms, 1.25 s, 3m05s. */
export function duration(ns: bigint): string {
  const ms = Number(ns) / 1e6;
  if (ms < 1) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(2)} s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s - m * 60)).padStart(2, "0")}s`;
}

/** Cut a line to `width` terminal columns, the last one an ellipsis. */
export function fit(line: string, width: number): string {
  if (Bun.stringWidth(line) <= width) return line;
  let out = "";
  let used = 0;
  for (const ch of line) {
    const w = Bun.stringWidth(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return out + "…";
}

/** fit(head + tail, width), but `tail` (a row's digest or run time) kept whole at the end and
 * head cut before it, when at least `minHead` columns of head are left; else fit's cut. */
export function fitKeeping(head: string, tail: string, width: number, minHead: number): string {
  const whole = head + tail;
  if (Bun.stringWidth(whole) <= width) return whole;
  const room = width - Bun.stringWidth(tail);
  return room >= minHead ? fit(head, room) + tail : fit(whole, width);
}

/** A list line (`tracer: 2 processes, 2 execs, …, 2.10 s`) broken after its separators (`sep`,
 * kept without its trailing space at a line's end) to fit `width` columns, the next lines indented
 * by `indent` (after a Ctrl-C the summary line is ~94 columns: an 80-column terminal broke it
 * mid-word). A piece wider than its line is left to the caller. */
export function wrapList(line: string, width: number, indent: number, sep = ", "): string {
  if (Bun.stringWidth(line) <= width) return line;
  const items = line.split(sep);
  const end = sep.trimEnd();
  const out: string[] = [];
  let cur = items[0]!;
  for (let i = 1; i < items.length; i++) {
    const joined = `${cur}${sep}${items[i]}${i < items.length - 1 ? end : ""}`;
    if (Bun.stringWidth(joined) <= width) cur = `${cur}${sep}${items[i]}`;
    else {
      out.push(`${cur}${end}`);
      cur = " ".repeat(indent) + items[i];
    }
  }
  out.push(cur);
  return out.join("\n");
}

/** `text` broken at spaces into at most `maxLines` lines of `width` columns: a failure's reason
 * that a cut would hide (issue 28: `interpreter /usr/bin/python2 not found` is 50 columns, an
 * 80-column table row has 45 for its command; a failed process's tree node); a word wider than a
 * line, and the last line when there is more, cut with … (fit). */
export function wrapWords(text: string, width: number, maxLines: number): string[] {
  const lines = wrapList(text, width, 0, " ").split("\n");
  // the rest on the last line: wider than it (each break was made for a word that did not fit)
  if (lines.length > maxLines) lines.splice(maxLines - 1, lines.length, lines.slice(maxLines - 1).join(" "));
  return lines.map((l) => fit(l, width));
}
