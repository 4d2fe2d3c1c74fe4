// Verification passes: `tracer -- WORKLOAD` traces exactly the workload's process tree, so the
// events it must report follow from the workload's own counts; compare with what it emitted
// (kernel counters), what it wrote (lines in -o FILE) and what it lost.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { OUT, TRACER } from "./configs";
import { parseSummary, type KernelSummary } from "./launch";
import { PROJECT_FILES } from "./project";
import { parseCounts, type WorkCounts, type Workload } from "./workloads";

export const EVENTS = ["sched_process_exec", "process_execute_failed", "sched_process_fork", "sched_process_exit"];

export interface Check {
  event: string; // an event name, or a description ("exec of cc1")
  expected: number | null; // null: no independent count, reported only
  emitted: number | null; // kernel counter (whole events only)
  written: number; // lines in the output file
  lost: number | null;
  ok: boolean;
}

export interface Verification {
  workload: string;
  argv: string[];
  counts: WorkCounts | null;
  checks: Check[];
  malformed: number;
  exitCode: number;
  ok: boolean;
}

/** Events per name in a JSON-lines file, and exec events per executable basename. */
function countFile(path: string) {
  const byName: Record<string, number> = {};
  const execByExe: Record<string, number> = {};
  const text = readFileSync(path, "utf8");
  const nameRe = /"eventName":"(\w+)"/;
  const exeRe = /"executable":\{"path":"([^"]*)"/;
  for (const line of text.split("\n")) {
    if (!line) continue;
    const name = nameRe.exec(line)?.[1] ?? "?";
    byName[name] = (byName[name] ?? 0) + 1;
    if (name === "sched_process_exec") {
      const exe = (exeRe.exec(line)?.[1] ?? "").split("/").pop()!;
      execByExe[exe] = (execByExe[exe] ?? 0) + 1;
    }
  }
  return { byName, execByExe };
}

/** What the workload's own counts say each event must number (null: no independent count). */
function expected(w: Workload, c: WorkCounts | null, written: Record<string, number>): Record<string, number | null> {
  if (w.wallClock) {
    // A build: every task it creates forks once and exits once, the root exits too.
    return {
      sched_process_exec: null,
      process_execute_failed: null,
      sched_process_fork: null,
      sched_process_exit: (written.sched_process_fork ?? 0) + 1,
    };
  }
  const tasks = c ? c.procs + c.threads : NaN;
  return {
    sched_process_exec: c ? c.execs + 1 : NaN, // + the shim's exec of the workload itself
    process_execute_failed: 0,
    sched_process_fork: tasks,
    sched_process_exit: tasks + 1, // + the workload's own exit
  };
}

export async function verify(w: Workload): Promise<Verification> {
  const file = join(OUT, `verify-${w.id}.jsonl`);
  const argv = [TRACER, "--json", "--stats", "-o", file, "--", ...w.counted];
  if (w.prepare) Bun.spawnSync(w.prepare, { env: { ...process.env, ...w.env }, stdout: "ignore", stderr: "ignore" });
  const p = Bun.spawn(argv, { env: { ...process.env, ...w.env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, exitCode] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  const summary: KernelSummary | null = parseSummary(err);
  const counts = w.wallClock ? null : parseCounts(out);
  const { byName, execByExe } = countFile(file);
  const exp = expected(w, counts, byName);
  const checks: Check[] = EVENTS.map((ev) => {
    const k = summary?.events[ev];
    const written = byName[ev] ?? 0;
    const e = exp[ev] ?? null;
    const emitted = k ? k.emitted : null;
    const lost = k ? k.lost : null;
    return {
      event: ev,
      expected: e,
      emitted,
      written,
      lost,
      ok: emitted === written && lost === 0 && (e === null || e === written),
    };
  });
  if (w.wallClock) {
    // One cc1 and one as per source file ("as" may be installed as x86_64-linux-gnu-as).
    for (const exe of ["cc1", "as"]) {
      const n = Object.entries(execByExe).reduce(
        (a, [name, k]) => a + (name === exe || name.endsWith(`-${exe}`) ? k : 0),
        0,
      );
      checks.push({
        event: `exec of ${exe}`,
        expected: PROJECT_FILES,
        emitted: null,
        written: n,
        lost: null,
        ok: n === PROJECT_FILES,
      });
    }
  }
  const malformed = summary?.malformed ?? -1;
  const ok =
    exitCode === 0 && summary !== null && malformed === 0 && summary.scratchClash === 0 && checks.every((c) => c.ok);
  if (ok) rmSync(file, { force: true }); // a failed pass keeps its events for a look
  return { workload: w.id, argv, counts, checks, malformed, exitCode, ok };
}
