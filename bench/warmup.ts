// Warm-up pass: what a fresh tool costs before it is warm. Per round and configuration: a fresh
// start, then the extra CPU (own + BPF) of the first 3,000 spawns after `ready` over the next
// 3,000; a 2 s exec storm right after `ready` (CPU per spawn and throughput against no-tracer runs
// on either side); and a short `tracer -- true` (wall and CPU time of the whole run).
import { CONFIGS, TRACER } from "./configs";
import { idle, launch, stop, toolCpuNs, type Running } from "./launch";
import { spread, type Spread } from "./summary";
import { EXEC_TARGET, runWorkload, WORKLOADS, bin } from "./workloads";

export const WARMUP_CONFIGS = ["all", "exec", "execsnoop"];
const SPAWNS = 3000;
const STORM_S = 2;

export interface WarmupFigures {
  config: string;
  /** CPU (own + BPF) of the first SPAWNS spawns after ready, of the next SPAWNS, the difference; ms. */
  firstMs: Spread;
  nextMs: Spread;
  extraMs: Spread;
  /** A STORM_S exec storm started right after ready: CPU per spawn (µs) and throughput ratio. */
  stormUsPerSpawn: Spread;
  stormRatio: Spread;
}

export interface TraceTrue {
  argv: string[];
  wallMs: Spread;
  cpuMs: Spread;
  /** The same command without the tracer. */
  bareWallMs: Spread;
}

const cpuMs = (r: Running) => {
  const c = toolCpuNs(r);
  return (c.consumerNs + c.bpfNs) / 1e6;
};

async function spawns(r: Running): Promise<number> {
  const c0 = cpuMs(r);
  const p = Bun.spawnSync([bin("exec-storm"), "-n", String(SPAWNS), ...EXEC_TARGET], {
    stdout: "ignore",
    stderr: "pipe",
  });
  if (p.exitCode !== 0) throw new Error(`exec-storm: ${p.stderr.toString()}`);
  await idle(r.proc.pid, 1000);
  return cpuMs(r) - c0;
}

async function timedRun(argv: string[]): Promise<{ wallMs: number; cpuMs: number }> {
  const t0 = performance.now();
  const p = Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  const code = await p.exited;
  const wallMs = performance.now() - t0;
  if (code !== 0) throw new Error(`${argv.join(" ")}: exit ${code}`);
  return { wallMs, cpuMs: Number(p.resourceUsage()?.cpuTime.total ?? 0) / 1000 };
}

export async function measureWarmup(
  rounds: number,
  log: (s: string) => void,
): Promise<{ configs: WarmupFigures[]; traceTrue: TraceTrue }> {
  const storm = { ...WORKLOADS.find((w) => w.id === "exec-1")!, seconds: STORM_S };
  const acc = new Map(
    WARMUP_CONFIGS.map((c) => [
      c,
      { first: [] as number[], next: [] as number[], us: [] as number[], ratio: [] as number[] },
    ]),
  );
  const trueArgv = [TRACER, "--json", "-o", "/dev/null", "--", ...EXEC_TARGET];
  const tt = { wall: [] as number[], cpu: [] as number[], bare: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    let before = (await runWorkload(storm, STORM_S)).rate;
    for (const c of WARMUP_CONFIGS) {
      const a = acc.get(c)!;
      let r = await launch(CONFIGS[c]!);
      try {
        a.first.push(await spawns(r));
        a.next.push(await spawns(r));
      } finally {
        await stop(r);
      }
      r = await launch(CONFIGS[c]!);
      try {
        const c0 = cpuMs(r);
        const s = await runWorkload(storm, STORM_S);
        await idle(r.proc.pid, 1000);
        a.us.push(((cpuMs(r) - c0) * 1000) / s.counts.ops);
        const after = (await runWorkload(storm, STORM_S)).rate;
        a.ratio.push(s.rate / Math.sqrt(before * after));
        before = after;
      } finally {
        await stop(r);
      }
      log(
        `warm-up ${c} round ${i + 1}: first ${SPAWNS} spawns ${a.first.at(-1)!.toFixed(1)} ms, next ${a.next.at(-1)!.toFixed(1)} ms; ${STORM_S} s storm ${a.us.at(-1)!.toFixed(1)} µs/spawn, ratio ${a.ratio.at(-1)!.toFixed(3)}`,
      );
    }
    const t = await timedRun(trueArgv);
    tt.wall.push(t.wallMs);
    tt.cpu.push(t.cpuMs);
    tt.bare.push((await timedRun(EXEC_TARGET)).wallMs);
  }
  log(`tracer -- true: ${spread(tt.wall).median.toFixed(0)} ms wall, ${spread(tt.cpu).median.toFixed(0)} ms CPU`);
  return {
    configs: WARMUP_CONFIGS.map((c) => {
      const a = acc.get(c)!;
      return {
        config: c,
        firstMs: spread(a.first),
        nextMs: spread(a.next),
        extraMs: spread(a.first.map((f, k) => f - a.next[k]!)),
        stormUsPerSpawn: spread(a.us),
        stormRatio: spread(a.ratio),
      };
    }),
    traceTrue: { argv: trueArgv, wallMs: spread(tt.wall), cpuMs: spread(tt.cpu), bareWallMs: spread(tt.bare) },
  };
}
