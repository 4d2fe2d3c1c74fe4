// BPF tracing programs attached by anyone else (other engineers' tests, a stray bpftrace): a round
// measured while one of them ran is not comparable, so the runner flags it and measures again.
import { existsSync } from "node:fs";

export const BPFTOOL = ["/usr/sbin/bpftool", "/usr/bin/bpftool"].find((p) => existsSync(p)) ?? "bpftool";
/** Link types that cost something on the paths the workloads exercise. */
const TRACING_LINKS = new Set(["raw_tracepoint", "tracing", "perf_event", "kprobe_multi", "uprobe_multi", "iter"]);

function bpftool(args: string[]): any[] {
  const p = Bun.spawnSync([BPFTOOL, "-j", ...args], { stdout: "pipe", stderr: "ignore" });
  if (p.exitCode !== 0) return [];
  try {
    const v = JSON.parse(p.stdout.toString() || "[]");
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

/** Tracepoints `pid` has a BPF program attached to through perf events (bpftrace's way). */
export function perfAttachments(pid: number): string[] {
  return bpftool(["perf", "list"])
    .filter((e) => e.pid === pid)
    .map((e) => String(e.tracepoint ?? e.fd_type));
}

/** Tracing attachments present now, excluding the given pids' perf attachments. Call it when none
 * of the runner's own tracers is running (links carry no pid). */
export function foreignAttachments(): string[] {
  const out: string[] = [];
  for (const l of bpftool(["link", "list"])) {
    if (TRACING_LINKS.has(l.type)) out.push(`link ${l.id} ${l.type}${l.tp_name ? " " + l.tp_name : ""}`);
  }
  for (const e of bpftool(["perf", "list"]))
    out.push(`pid ${e.pid} ${e.fd_type} ${e.tracepoint ?? e.func ?? ""}`.trim());
  return out;
}
