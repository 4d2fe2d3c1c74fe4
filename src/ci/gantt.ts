// The job summary's picture: a Mermaid Gantt chart (GitHub renders Mermaid in job summaries) of
// the critical path and the longest processes. Bounded: at most CRITICAL + LONGEST bars however
// many processes ran, so a 10,000-process build gives a chart of the same small size.
import type { TraceLog } from "./collect";
import { processLabel } from "./timeline";
import type { CriticalPath } from "./critical-path";
import { duration } from "../format/human";

/** Bars of the critical path (the steps with the most own time, in path order). */
export const CRITICAL = 12;
/** Bars of the longest processes. */
export const LONGEST = 15;
const LABEL_MAX = 60;

/** A task name Mermaid's Gantt grammar takes as text: no ':' (it ends the name), '#' or ';' (they
 * start entities and end statements), no line breaks, no markup. */
function taskName(s: string): string {
  return (
    s
      .replace(/[:#;\n\r<>`"]/g, " ")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, LABEL_MAX) || "?"
  );
}

export function ganttMermaid(log: TraceLog, cp: CriticalPath, title: string): string {
  const ps = log.processes();
  if (ps.length === 0) return "";
  const t0 = ps.reduce((m, p) => (log.startOf(p) < m ? log.startOf(p) : m), log.startOf(ps[0]!));
  // ms from the first start: dateFormat x reads integers; a bar is at least 1 ms wide
  const bar = (name: string, tags: string, start: bigint, end: bigint) => {
    const a = Number((start - t0) / 1_000_000n);
    const b = Math.max(a + 1, Number((end - t0 + 999_999n) / 1_000_000n));
    return `    ${taskName(name)} :${tags}${a}, ${b}`;
  };
  const wall = ps.reduce((m, p) => (log.endOf(p) > m ? log.endOf(p) : m), t0) - t0;
  const axis = wall < 10_000_000_000n ? "%S.%L" : wall < 3_600_000_000_000n ? "%M:%S" : "%H:%M";
  const lines = [
    "gantt",
    `    title ${taskName(title)}`,
    "    dateFormat x",
    `    axisFormat ${axis}`,
    "    todayMarker off",
  ];
  const top = new Set([...cp.steps].sort((a, b) => (b.own > a.own ? 1 : b.own < a.own ? -1 : 0)).slice(0, CRITICAL));
  const path = cp.steps.filter((s) => top.has(s));
  if (path.length) {
    lines.push(
      `    section Critical path${path.length < cp.steps.length ? ` (${path.length} of ${cp.steps.length})` : ""}`,
    );
    for (const s of path)
      lines.push(bar(`${processLabel(s.p, LABEL_MAX, true)} (own ${duration(s.own)})`, "crit, ", s.start, s.end));
  }
  const longest = [...ps]
    .sort((a, b) => {
      const d = log.endOf(b) - log.startOf(b) - (log.endOf(a) - log.startOf(a));
      return d > 0n ? 1 : d < 0n ? -1 : a.pid - b.pid;
    })
    .slice(0, LONGEST);
  lines.push(
    `    section Longest processes${longest.length < ps.length ? ` (${longest.length} of ${ps.length})` : ""}`,
  );
  for (const p of longest) lines.push(bar(processLabel(p, LABEL_MAX, true), "", log.startOf(p), log.endOf(p)));
  return lines.join("\n") + "\n";
}
