// Kernel-side counters (per-CPU map "counters", summed), lost_events, and the exit summary.
import { counters as C, lost_record as L, rec_header as H, record_kind as K } from "./decode/layout.gen";
import { BpfTracer } from "./loader";
import type { PipelineStats } from "./pipeline";
import { TRACED } from "./decode/index";
import type { HashStats } from "./enrich/hash";

export interface KernelCounters {
  emitted: number[]; // per record kind
  lost: number[];
  filtered: number[];
  scratchClash: number;
}

const SLOT = (C.$size + 7) & ~7;

export class CounterReader {
  private readonly value = new Uint8Array(SLOT * BpfTracer.possibleCpus);
  private readonly dv = new DataView(this.value.buffer);
  private readonly key = new Uint8Array(4);

  constructor(private readonly t: BpfTracer) {}

  read(): KernelCounters {
    const out: KernelCounters = {
      emitted: Array(K.KIND_MAX).fill(0),
      lost: Array(K.KIND_MAX).fill(0),
      filtered: Array(K.KIND_MAX).fill(0),
      scratchClash: 0,
    };
    if (!this.t.lookup("counters", this.key, this.value)) return out;
    const dv = this.dv;
    for (let cpu = 0; cpu < BpfTracer.possibleCpus; cpu++) {
      const base = cpu * SLOT;
      for (let k = 0; k < K.KIND_MAX; k++) {
        out.emitted[k]! += Number(dv.getBigUint64(base + C.emitted + 8 * k, true));
        out.lost[k]! += Number(dv.getBigUint64(base + C.lost + 8 * k, true));
        out.filtered[k]! += Number(dv.getBigUint64(base + C.filtered + 8 * k, true));
      }
      out.scratchClash += Number(dv.getBigUint64(base + C.scratch_clash, true));
    }
    return out;
  }
}

/** Turns growth of the kernel's lost counters into lost_events records (struct lost_record), as
 * soon as it is seen; they are decoded and written like the kernel's records. */
export class LossReporter {
  private seen: number[] = Array(K.KIND_MAX).fill(0);
  private seenClash = 0;

  constructor(private readonly bootToEpochNs: bigint) {}

  /** The lost_events record for what was lost since the last call, or null. */
  check(c: KernelCounters): Uint8Array | null {
    const rec = new Uint8Array(L.$size);
    const dv = new DataView(rec.buffer);
    let total = 0;
    for (let k = 1; k < K.KIND_MAX; k++) {
      const n = c.lost[k]! - this.seen[k]!;
      total += n;
      dv.setBigUint64(L.lost_kind + 8 * k, BigInt(n), true);
    }
    const clash = c.scratchClash - this.seenClash;
    total += clash;
    if (total === 0) return null;
    this.seen = [...c.lost];
    this.seenClash = c.scratchClash;
    dv.setUint32(H.kind, K.KIND_LOST, true);
    dv.setUint32(H.size, L.$size, true);
    dv.setBigUint64(H.ts, BigInt(Date.now()) * 1_000_000n - this.bootToEpochNs, true);
    dv.setBigUint64(L.lost, BigInt(total), true);
    dv.setBigUint64(L.scratch_clash, BigInt(clash), true);
    return rec;
  }
}

/** --stats: per traced event emitted / lost / left out by the kernel's scope filters, and what
 * user space dropped (and --hash's work). With COMMAND, "filtered" is everything outside the
 * traced command. */
export function summary(c: KernelCounters, p: PipelineStats, events: readonly string[], hash: HashStats | null = null) {
  const out: Record<string, { emitted: number; lost: number; filtered: number }> = {};
  for (const d of TRACED) if (events.includes(d.name)) out[d.name] = { emitted: c.emitted[d.kind]!, lost: c.lost[d.kind]!, filtered: c.filtered[d.kind]! };
  const s = { events: out, decoded: p.decoded, malformed: p.malformed, excludedInUserSpace: p.excluded, scratchClash: c.scratchClash };
  return hash ? { ...s, hash } : s;
}

export function formatStats(c: KernelCounters, p: PipelineStats, cfg: { format: string; events: readonly string[] }, commandMode: boolean, hash: HashStats | null = null): string {
  const s = summary(c, p, cfg.events, hash);
  if (cfg.format === "json") return JSON.stringify({ summary: s }) + "\n";
  const filtered = commandMode ? "outside the traced command" : "left out by scope filters (the tracer's own included)";
  let out = "";
  for (const [name, v] of Object.entries(s.events)) {
    out += `${name.padEnd(24)} ${String(v.emitted).padStart(9)} emitted ${String(v.lost).padStart(7)} lost ${String(v.filtered).padStart(9)} ${filtered}\n`;
  }
  out += `decoded ${s.decoded}, malformed ${s.malformed}, left out by --exec ${s.excludedInUserSpace}, scratch clashes ${s.scratchClash}\n`;
  if (hash) out += `--hash: ${hash.files} files read (${hash.bytes} bytes), ${hash.hits} from the cache, ${hash.errors} events with hash_error\n`;
  return out;
}
