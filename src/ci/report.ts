// tracer show --html: the run in one self-contained HTML file (a CI artefact to open in a
// browser): the summary, the critical path, the timeline (one bar per process, as a div: no
// script, no canvas), the failures and the process tree. No network: inline CSS only, and a
// Content-Security-Policy that forbids loading anything.
import { duration } from "../format/human";
import type { TraceLog } from "./collect";
import { criticalPath } from "./critical-path";
import type { RunSummary } from "../format/summary";
import { failed, processLabel } from "./timeline";
import { endText } from "../format/quote";

/** Text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px}h2{font-size:15px;margin-top:24px}
table.counts td,table.counts th{padding:2px 10px;text-align:right;border-bottom:1px solid #ddd}
.timeline{position:relative;border-left:1px solid #999;margin-top:4px}
.row{position:relative;height:16px}
.bar{position:absolute;top:1px;height:14px;background:#6c8ebf;border-radius:2px;min-width:1px;overflow:hidden;white-space:nowrap;color:#fff;font-size:11px;line-height:14px;padding-left:2px;box-sizing:border-box}
.bar.crit{background:#d6453d}.bar.failed{background:#222;outline:2px solid #e0a000}
.axis{position:relative;height:16px;color:#666;font-size:11px}.axis span{position:absolute;border-left:1px solid #bbb;padding-left:2px}
pre{background:#f6f6f6;padding:8px;overflow:auto}
.legend span{display:inline-block;padding:0 6px;margin-right:8px;color:#fff;border-radius:2px}
`;

export interface ReportFacts {
  /** The file the trace came from (the page's title). */
  source: string;
  /** The summary line (tracer show's). */
  summary: string;
  /** The process tree (format/tree.ts). */
  tree: string;
}

/** `run`: the counts and the failures, as the summary line and the job summary count them. */
export function htmlReport(log: TraceLog, run: RunSummary, f: ReportFacts): string {
  const ps = log.processes();
  const cp = criticalPath(log);
  const onPath = new Set(cp.steps.map((s) => s.p));
  const t0 = ps.length ? ps.reduce((m, p) => (log.startOf(p) < m ? log.startOf(p) : m), log.startOf(ps[0]!)) : 0n;
  const t1 = ps.reduce((m, p) => (log.endOf(p) > m ? log.endOf(p) : m), t0);
  const span = Number(t1 - t0) || 1;
  const pct = (t: bigint) => ((Number(t - t0) / span) * 100).toFixed(4);
  const counts = run.counts();
  const e = escapeHtml;
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8">`);
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  out.push(`<title>tracer: ${e(f.source)}</title><style>${STYLE}</style></head><body>`);
  out.push(`<h1>tracer: ${e(f.source)}</h1><p class="summary">${e(f.summary.trim())}</p>`);
  out.push(
    `<table class="counts"><tr>${Object.keys(counts)
      .map((k) => `<th>${e(k)}</th>`)
      .join("")}</tr><tr>${Object.values(counts)
      .map((v) => `<td>${v}</td>`)
      .join("")}</tr></table>`,
  );

  out.push(
    `<h2>Critical path (${cp.steps.length} processes, ${e(duration(cp.wall))})</h2><table class="critical"><tr><th>own time</th><th>share</th><th>pid</th><th>command</th></tr>`,
  );
  for (const s of cp.steps) {
    const share = cp.wall > 0n ? ((Number(s.own) / Number(cp.wall)) * 100).toFixed(1) : "100.0";
    out.push(
      `<tr><td>${e(duration(s.own))}</td><td>${share}%</td><td>${s.p.pid}</td><td style="padding-left:${s.depth}em">${e(processLabel(s.p))}</td></tr>`,
    );
  }
  out.push(`</table>`);

  out.push(`<section id="timeline"><h2>Timeline (${ps.length} processes, ${e(duration(t1 - t0))})</h2>`);
  out.push(
    `<div class="legend"><span style="background:#6c8ebf">process</span><span style="background:#d6453d">on the critical path</span><span style="background:#222">failed</span></div>`,
  );
  out.push(
    `<div class="axis">${[0, 1, 2, 3, 4].map((i) => `<span style="left:${i * 20}%">${e(duration(BigInt(Math.round((span * i) / 5))))}</span>`).join("")}</div>`,
  );
  out.push(`<div class="timeline">`);
  for (const p of ps) {
    const start = log.startOf(p);
    const end = log.endOf(p);
    const how = p.exitCode === null ? "running at the end" : endText(p.exitCode, p.signal, p.coreDumped);
    const cls = `bar${onPath.has(p) ? " crit" : ""}${failed(p) ? " failed" : ""}`;
    const tip = `pid ${p.pid} (parent ${p.ppid}), ${duration(end - start)}, ${how}\n${processLabel(p, 2000)}`;
    out.push(
      `<div class="row"><div class="${cls}" data-pid="${p.pid}" title="${e(tip)}" style="left:${pct(start)}%;width:${(Number(pct(end)) - Number(pct(start))).toFixed(4)}%">${e(processLabel(p, 200, true))}</div></div>`,
    );
  }
  out.push(`</div></section>`);

  const failures = run.failures;
  out.push(`<h2>Failures (${failures.length})</h2>`);
  out.push(
    failures.length
      ? `<ul class="failures">${failures.map((x) => `<li><code>${e(x.what)}</code>: ${e([x.why, x.end].filter(Boolean).join("; "))} (pid ${x.pid})</li>`).join("")}</ul>`
      : `<p>None.</p>`,
  );
  out.push(`<h2>Process tree</h2><pre class="tree">${e(f.tree)}</pre>`);
  out.push(`</body></html>\n`);
  return out.join("\n");
}
