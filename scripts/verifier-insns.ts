// Instructions the kernel's verifier walked (verified_insns) per program, for both BPF objects and
// two .rodata configurations (default; --env with a followed tree): the figure a change to bpf/
// must not grow. Loads the programs without attaching them; needs root and a kernel with
// verified_insns (5.16+).
//
// Usage: sudo node_modules/.bin/bun scripts/verifier-insns.ts
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BpfTracer } from "../src/load/loader.ts";
import { ALSO_ATTACH, configureRodata, programsFor, WAKEUP_MS } from "../src/load/programs.ts";
import { configureScope, emptyScope } from "../src/load/scope.ts";
import { maps as M } from "../src/decode/layout.gen.ts";

const ROOT = join(import.meta.dir, "..");
const EVENTS = ["sched_process_exec", "process_execute_failed", "sched_process_fork", "sched_process_exit"];
const CONFIGS = { default: { env: false, pidTree: [] as number[] }, "env+tree": { env: true, pidTree: [1] } };

for (const object of ["tracer.bpf.o", "tracer-legacy.bpf.o"]) {
  for (const [name, c] of Object.entries(CONFIGS)) {
    const cfg = {
      events: EVENTS,
      command: [],
      scope: { pidTree: c.pidTree },
      maxArgsSize: 128 * 1024,
      env: c.env,
      noThreads: false,
      bufferSize: 1 << 22,
    };
    const scope = emptyScope();
    scope.pidTree.push(...c.pidTree);
    const programs = programsFor(cfg);
    const t = BpfTracer.open({
      object: readFileSync(join(ROOT, ".output", object)),
      ringMap: M.events,
      ringSize: cfg.bufferSize,
      perCpuMaps: [M.scratch],
      programs,
      alsoAttach: ALSO_ATTACH,
      configure: (dv) => {
        configureRodata(dv, cfg, { exitGroupDead: true }, WAKEUP_MS.stream);
        configureScope(dv, scope, 0, false);
      },
      onRecord: () => {},
    });
    try {
      const row = programs.map((p) => {
        const info = readFileSync(`/proc/self/fdinfo/${t.programFd(p)}`, "utf8");
        return `${p} ${/verified_insns:\s+(\d+)/.exec(info)?.[1] ?? "?"}`;
      });
      console.log(`${object} ${name}: ${row.join(", ")}`);
    } finally {
      t.close(false);
    }
  }
}
