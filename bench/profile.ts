// Where the tracer's user-space CPU goes during a storm: the tracer from source under JSC's
// sampling profiler (bench/profile-preload.ts), started past warm-up, then a storm; prints the
// functions by self time (top frame) and by total time (anywhere in the stack). Root.
//   bun bench/profile.ts exec|fork|thread [COUNT]
import { readFileSync } from "node:fs";
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
const tracer = Bun.spawn([process.execPath, "--preload", join(ROOT, "bench", "profile-preload.ts"), join(ROOT, "src", "main.ts"), "--json", "-o", "/dev/null"], {
  env: { ...process.env, PROFILE_OUT: file },
  stdin: "ignore", stdout: "ignore", stderr: "pipe",
});
const reader = tracer.stderr.getReader();
for (let text = ""; !text.includes("ready\n"); ) {
  const { value, done } = await reader.read();
  if (done) throw new Error(`tracer: ${text}`);
  text += new TextDecoder().decode(value);
}
for (const cmd of TRACER_WARMUP) Bun.spawnSync(cmd, { stdout: "ignore" });
tracer.kill("SIGUSR2"); // the preload starts the profiler

await Bun.sleep(200);
Bun.spawnSync(storms[kind]!(count), { stdout: "inherit" });
await Bun.sleep(300);
tracer.kill("SIGINT");
await tracer.exited;

const prof = JSON.parse(readFileSync(file, "utf8")) as { traces: { frames: { name: string; sourceURL: string; line: number; category: string }[] }[] };
const self = new Map<string, number>();
const total = new Map<string, number>();
const key = (f: { name: string; sourceURL: string }) => `${f.name || "(anonymous)"} ${f.sourceURL ? f.sourceURL.replace(ROOT + "/", "") : "[native]"}`;
for (const t of prof.traces) {
  const top = t.frames[0];
  const k = top ? key(top) : "(no JS frame: idle or native)";
  self.set(k, (self.get(k) ?? 0) + 1);
  for (const f of new Set(t.frames.map(key))) total.set(f, (total.get(f) ?? 0) + 1);
}
const n = prof.traces.length;
const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `  ${((100 * v) / n).toFixed(1).padStart(5)}%  ${k}`).join("\n");
process.stdout.write(`${kind} storm (${count}), ${n} samples (1 ms, wall clock of the JS thread: waiting in ring_buffer__poll counts)\nself:\n${top(self)}\ntotal:\n${top(total)}\n`);
