// Preloaded by bench/profile.ts into the tracer run from source: starts JavaScriptCore's sampling
// profiler on SIGUSR2 (once the tracer is warm), writes its stack traces to PROFILE_OUT at exit.
// Not from the start: the sampler's signals would make the BPF verifier give up (EAGAIN).
import { writeFileSync } from "node:fs";
import * as jsc from "bun:jsc";

// Both exist at run time; bun-types 1.4 declares only startSamplingProfiler.
const { startSamplingProfiler, samplingProfilerStackTraces } = jsc as unknown as {
  startSamplingProfiler(): void;
  samplingProfilerStackTraces(): unknown;
};

const out = process.env.PROFILE_OUT!;
process.on("SIGUSR2", () => startSamplingProfiler());
process.on("exit", () => writeFileSync(out, JSON.stringify(samplingProfilerStackTraces())));
