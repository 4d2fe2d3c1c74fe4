// The critical path of a run: the chain of processes whose time decided its wall time. Walking
// back from a process's exit, the child that ended last (among those it outlived: the ones it
// could have waited for) is on the path, and so, before that child started, is the child that
// ended last by then, and so on; what no such child covers is the process's own time. Each child
// on the path is explained the same way. The own times add up to the root's wall time exactly.
import { duration, fit, wrapList } from "../format/human";
import type { ProcessRecord, TraceLog } from "./collect";
import { processLabel } from "./timeline";

export interface Step {
  p: ProcessRecord;
  /** 0 for the root, 1 for a child on the path, ... */
  depth: number;
  /** ns of the wall time this process accounts for itself (not covered by a child on the path). */
  own: bigint;
  /** The process's start and end (ns since the epoch; the trace's ends where not seen). */
  start: bigint;
  end: bigint;
}

export interface CriticalPath {
  /** ns from the root's start to its end. */
  wall: bigint;
  /** In time order, each process before the children on the path it waited for. */
  steps: Step[];
}

/** The critical path from the root that lasted longest (with -- COMMAND: the command). */
export function criticalPath(log: TraceLog): CriticalPath {
  const roots = log.roots();
  if (roots.length === 0) return { wall: 0n, steps: [] };
  const len = (p: ProcessRecord) => log.endOf(p) - log.startOf(p);
  const root = roots.reduce((a, b) => (len(b) > len(a) ? b : a));
  const children = log.children();
  const steps: Step[] = [];
  const walk = (p: ProcessRecord, depth: number) => {
    const start = log.startOf(p);
    const end = log.endOf(p);
    const step: Step = { p, depth, own: 0n, start, end };
    steps.push(step);
    const kids = (children.get(p.entityId) ?? [])
      .filter((k) => log.endOf(k) <= end)
      .sort((a, b) => (log.endOf(a) > log.endOf(b) ? -1 : log.endOf(a) < log.endOf(b) ? 1 : 0));
    const chosen: ProcessRecord[] = [];
    let t = end;
    for (const k of kids) {
      const kEnd = log.endOf(k);
      if (kEnd > t) continue; // ran across t: a sibling on the path was running then
      if (kEnd <= start) break;
      step.own += t - kEnd;
      chosen.push(k);
      const kStart = log.startOf(k);
      t = kStart > start ? kStart : start;
    }
    step.own += t - start;
    for (const k of chosen.reverse()) walk(k, depth + 1);
  };
  walk(root, 0);
  return { wall: len(root), steps };
}

const percent = (own: bigint, wall: bigint) =>
  wall > 0n ? `${((Number(own) / Number(wall)) * 100).toFixed(1)}%` : "100%";

/** tracer show --critical-path: one line a step: its own time and share, then its pid and command
 * indented by its depth. */
export function criticalPathText(cp: CriticalPath): string {
  if (cp.steps.length === 0) return "no processes\n";
  const lines = [`critical path: ${cp.steps.length} processes, ${duration(cp.wall)}; own time, share, pid, command`];
  for (const s of cp.steps) {
    lines.push(
      `${duration(s.own).padStart(9)} ${percent(s.own, cp.wall).padStart(6)}  ${"  ".repeat(s.depth)}${s.p.pid} ${processLabel(s.p)}`,
    );
  }
  return lines.join("\n") + "\n";
}

/** Columns of a step's command the line keeps on a narrow terminal before it cuts a line. */
const MIN_LABEL = 12;
const ARROW = " → ";

/** The run's summary: the three steps with the most own time, in path order; "" with one step.
 * `width`: a terminal's columns: the line is broken after an arrow (the next lines indented under
 * its text, as the summary's) and each step's command cut shorter (to MIN_LABEL) before a line
 * is cut, so every step keeps its time and share (at 80 columns the line was cut in its first
 * step's command, with no time at all). */
export function criticalPathLine(cp: CriticalPath, width: number | null = null): string {
  if (cp.steps.length < 2) return "";
  const top = new Set([...cp.steps].sort((a, b) => (b.own > a.own ? 1 : b.own < a.own ? -1 : 0)).slice(0, 3));
  const steps = cp.steps.filter((s) => top.has(s));
  const line = (max: number) =>
    `tracer: critical path (${cp.steps.length} processes): ` +
    steps.map((s) => `${processLabel(s.p, max, true)} ${duration(s.own)} ${percent(s.own, cp.wall)}`).join(ARROW);
  if (width === null) return `${line(40)}\n`;
  let lines: string[] = [];
  for (let max = 40; max >= MIN_LABEL; max--) {
    lines = wrapList(line(max), width, "tracer: ".length, ARROW).split("\n");
    if (lines.every((l) => Bun.stringWidth(l) <= width)) break;
  }
  return `${lines.map((l) => fit(l, width)).join("\n")}\n`;
}
