// The GitHub job summary: a Markdown section about one -- COMMAND run, appended to the file named
// by GITHUB_STEP_SUMMARY (the command, its status and duration, counts, failures, new programs,
// the critical path and a Mermaid Gantt chart of it and of the longest processes, and the process
// tree in a <details> block).
import { argvText as commandLine } from "../format/quote";
import { endText, shellQuote } from "../format/quote";
import type { TraceLog } from "./collect";
import type { RunSummary } from "../format/summary";
import type { ProfileDiff, Program } from "./profile";
import { criticalPath, criticalPathLine } from "./critical-path";
import { ganttMermaid } from "./gantt";
import { failed } from "./timeline";

/** Inline code that holds any text: a backtick run longer than any inside it. */
export function code(s: string): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = s.startsWith("`") || s.endsWith("`") || s === "" ? " " : "";
  return fence + pad + s + pad + fence;
}

/** A fenced block that holds any text. */
function block(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}text\n${text}${text.endsWith("\n") || text === "" ? "" : "\n"}${fence}\n`;
}

export interface SummaryFacts {
  command: readonly string[];
  status: number;
  durationNs: bigint;
  complete: boolean;
  diff: { baseline: string; result: ProfileDiff } | null;
  tree: string;
}

const program = (p: Program) => `${code(shellQuote(p.path))}${p.sha256 ? ` sha256 ${code(p.sha256)}` : ""}`;

export function summaryMarkdown(log: TraceLog, run: RunSummary, f: SummaryFacts): string {
  const counts = run.counts(); // the summary line's: one definition of each count
  const root = log.roots()[0];
  const how = root?.exitCode != null ? endText(root.exitCode, root.signal, root.coreDumped) : `exit ${f.status}`;
  const secs = (Number(f.durationNs / 1_000_000n) / 1000).toFixed(3);
  let md = `### tracer: ${code(commandLine(f.command))}\n\n`;
  md += `**${how}** in ${secs} s${f.complete ? "" : " · **the trace is incomplete** (events were lost or left out)"}\n\n`;
  md += `| ${Object.keys(counts).join(" | ")} |\n|${Object.keys(counts)
    .map(() => "---:")
    .join("|")}|\n| ${Object.values(counts).join(" | ")} |\n\n`;

  // one entry per failure: what it tried to run, why it failed, how its process ended
  const failures = run.failures.map(
    (x) => `- ${code(x.what)}: ${[x.why, x.end].filter(Boolean).join("; ")} (pid ${x.pid})`,
  );
  md += failures.length ? `#### Failures\n\n${failures.join("\n")}\n\n` : "";

  if (f.diff) {
    const { added, gone } = f.diff.result;
    md += `#### New programs against ${code(f.diff.baseline)}\n\n`;
    md += added.length ? added.map((p) => `- ${program(p)}`).join("\n") + "\n\n" : "None.\n\n";
    if (gone.length) md += `#### No longer run\n\n${gone.map((p) => `- ${program(p)}`).join("\n")}\n\n`;
  }
  const cp = criticalPath(log);
  const chart = ganttMermaid(log, cp, `${commandLine(f.command)} — ${counts.processes} processes`);
  if (chart) {
    const line = criticalPathLine(cp)
      .replace(/^tracer: critical path /, "")
      .trim();
    md += `#### Timeline\n\n${line ? `Critical path ${code(line)}\n\n` : ""}\`\`\`mermaid\n${chart}\`\`\`\n\n`;
  }
  md += `<details><summary>Process tree (${counts.processes} processes)</summary>\n\n${block(f.tree)}\n</details>\n\n`;
  return md;
}
