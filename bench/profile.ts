// Where the tracer's user-space CPU goes during a storm: the tracer from source under JSC's
// sampling profiler (bench/profile-preload.ts), started past warm-up, then a storm; prints its
// CPU per thread over the storm (main thread, JIT workers, GC helpers) and the JS functions by
// self time (top frame, idle waiting left out) and by total time (anywhere in the stack). Root.
//   bun bench/profile.ts exec|fork|thread [COUNT]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { OUT, ROOT } from "./configs";
import { compileWorkloads } from "./compile";
import { EXEC_TARGET, TRACER_WARMUP, bin } from "./workloads";

const kind = process.argv[2] ?? "exec";
const storms: Record<string, (n: string) => string[]> = {
  exec: (n) => [bin("exec-storm"), "-n", n, ...EXEC_TARGET],
  fork: (n) => [bin("fork-storm"), "-n", n],
  thread: (n) => [bin("thread-storm"), "-n", n],
};
if (!storms[kind]) throw new Error(`bench/profile.ts: exec, fork or thread, not ${kind}`);
const count = process.argv[3] ?? { exec: "10000", fork: "30000", thread: "60000" }[kind]!;
compileWorkloads();

const file = join(OUT, `profile-${kind}.json`);
const tracer = Bun.spawn(
  [
    process.execPath,
    "--preload",
    join(ROOT, "bench", "profile-preload.ts"),
    join(ROOT, "src", "main.ts"),
    "--json",
    "-o",
    "/dev/null",
  ],
  {
    env: { ...process.env, PROFILE_OUT: file },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  },
);
const reader = tracer.stderr.getReader();
for (let text = ""; !text.includes("ready\n"); ) {
  const { value, done } = await reader.read();
  if (done) throw new Error(`tracer: ${text}`);
  text += new TextDecoder().decode(value);
}
for (const cmd of TRACER_WARMUP) Bun.spawnSync(cmd, { stdout: "ignore" });
tracer.kill("SIGUSR2"); // the preload starts the profiler

/** CPU so far (schedstat, ns) of each thread of the tracer, by thread name. */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${tracer.pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${tracer.pid}/task/${tid}/comm`, "utf8").trim();
      const ns = Number(readFileSync(`/proc/${tracer.pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      out.set(name, (out.get(name) ?? 0) + ns);
    } catch {
      // the thread exited
    }
  }
  return out;
}

await Bun.sleep(200);
const cpu0 = threadCpu();
Bun.spawnSync(storms[kind]!(count), { stdout: "inherit" });
await Bun.sleep(300);
const cpu1 = threadCpu();
tracer.kill("SIGINT");
await tracer.exited;

const prof = JSON.parse(readFileSync(file, "utf8")) as {
  traces: { frames: { name: string; sourceURL: string; line: number; category: string }[] }[];
};
// Samples with the JS thread waiting for records (or in libbpf, or joining link threads at exit).
const IDLE = new Set(["poll src/ring/reader.ts", "ring_buffer__poll [native]", "pthread_join [native]"]);
const self = new Map<string, number>();
const total = new Map<string, number>();
const key = (f: { name: string; sourceURL: string }) =>
  `${f.name || "(anonymous)"} ${f.sourceURL ? f.sourceURL.replace(ROOT + "/", "") : "[native]"}`;
let busy = 0;
for (const t of prof.traces) {
  const top = t.frames[0];
  const k = top ? key(top) : "(no JS frame: idle or native)";
  if (IDLE.has(k)) continue;
  busy++;
  self.set(k, (self.get(k) ?? 0) + 1);
  for (const f of new Set(t.frames.map(key))) total.set(f, (total.get(f) ?? 0) + 1);
}
const top = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([k, v]) => `  ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`)
    .join("\n");
const threads = [...cpu1]
  .map(([name, ns]) => [name, (ns - (cpu0.get(name) ?? 0)) / 1e6] as const)
  .filter(([, ms]) => ms >= 0.5)
  .sort((a, b) => b[1] - a[1]);
process.stdout.write(
  `${kind} storm (${count}): tracer CPU by thread (ms): ${threads.map(([n, ms]) => `${n} ${ms.toFixed(1)}`).join(", ")}\n`,
);
process.stdout.write(`  ("thread" is the sampling profiler itself)\n`);
process.stdout.write(
  `${prof.traces.length} samples of the JS thread (1 ms), ${busy} of them busy in JS (not waiting in poll); % of those:\nself:\n${top(self)}\ntotal:\n${top(total)}\n`,
);
