// Compile the C workloads into .output/bench/ (only when the source is newer) and generate the project.
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { OUT, ROOT } from "./configs";
import { generateProject } from "./project";

const SRC = join(ROOT, "bench", "workloads");

/** name → extra gcc flags */
const PROGRAMS: Record<string, string[]> = {
  true: ["-static"],
  "exec-storm": [],
  "fork-storm": [],
  "thread-storm": ["-pthread"],
  "syscall-loop": [],
  "prog-sampler": [], // not a workload: BPF programs' run_cnt / run_time_ns every few ms (fresh.ts)
};

function newer(a: string, b: string): boolean {
  return !existsSync(b) || statSync(a).mtimeMs > statSync(b).mtimeMs;
}

export function compileWorkloads(): void {
  mkdirSync(OUT, { recursive: true });
  const header = join(SRC, "bench.h");
  for (const [name, flags] of Object.entries(PROGRAMS)) {
    const src = join(SRC, `${name}.c`);
    const out = join(OUT, name);
    if (!newer(src, out) && !newer(header, out)) continue;
    const p = Bun.spawnSync(["gcc", "-O2", "-Wall", "-Wextra", ...flags, "-o", out, src], { stderr: "pipe" });
    if (p.exitCode !== 0) throw new Error(`compile ${name}: ${p.stderr.toString()}`);
  }
  generateProject();
}
