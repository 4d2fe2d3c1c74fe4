// --stats: the kernel's counters beside what user space did with the records, at the end of a run.
import { TRACED } from "../decode/index";
import type { KernelCounters } from "../load/counters";
import type { PipelineStats } from "../pipeline";
import type { HashStats } from "../enrich/hash";
import type { NatsStats } from "../sink/nats";

/** --stats: per traced event emitted / lost / left out by the kernel's scope filters, and what
 * user space dropped (and --hash's work). With COMMAND, "filtered" is everything outside the
 * traced command. */
export function summary(c: KernelCounters, p: PipelineStats, events: readonly string[], hash: HashStats | null = null) {
  const out: Record<string, { emitted: number; lost: number; skipped: number; filtered: number }> = {};
  for (const d of TRACED) {
    if (events.includes(d.name))
      out[d.name] = {
        emitted: c.emitted[d.kind]!,
        lost: c.lost[d.kind]!,
        skipped: c.skipped[d.kind]!,
        filtered: c.filtered[d.kind]!,
      };
  }
  const s = {
    events: out,
    decoded: p.decoded,
    malformed: p.malformed,
    excludedInUserSpace: p.excluded,
    scratchClash: c.scratchClash,
    skippedRuns: c.skippedRuns,
  };
  return hash ? { ...s, hash } : s;
}

export function formatStats(
  c: KernelCounters,
  p: PipelineStats,
  cfg: { format: string; events: readonly string[] },
  commandMode: boolean,
  hash: HashStats | null = null,
): string {
  const s = summary(c, p, cfg.events, hash);
  if (cfg.format === "json") return JSON.stringify({ summary: s }) + "\n";
  const filtered = commandMode ? "outside the traced command" : "left out by scope filters (the tracer's own included)";
  let out = "";
  for (const [name, v] of Object.entries(s.events)) {
    const skipped = v.skipped ? ` (${v.skipped} runs skipped)` : "";
    out += `${name.padEnd(24)} ${String(v.emitted).padStart(9)} emitted ${String(v.lost).padStart(7)} lost${skipped} ${String(v.filtered).padStart(9)} ${filtered}\n`;
  }
  const runs = Object.entries(s.skippedRuns).filter(([, n]) => n > 0);
  if (runs.length)
    out += `runs the kernel skipped (the program was already running on that CPU): ${runs.map(([p, n]) => `${p} ${n}`).join(", ")}\n`;
  out += `decoded ${s.decoded}, malformed ${s.malformed}, left out by --exec ${s.excludedInUserSpace}, scratch clashes ${s.scratchClash}\n`;
  if (hash)
    out += `--hash: ${hash.files} files read (${hash.bytes} bytes), ${hash.hits} from the cache, ${hash.errors} events with hash_error\n`;
  return out;
}

/** --stats with --nats: published, acknowledged, re-sent, duplicates, spooled, dropped, unacknowledged. */
export function formatNatsStats(s: NatsStats, format: string): string {
  if (format === "json") return JSON.stringify({ nats: s }) + "\n";
  return `nats: ${Object.entries(s)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}\n`;
}
