// tracer show's speed: lines per second of CPU (user + system, from rusage) reading one trace,
// for each view, tracer binaries side by side in interleaved rounds (order rotating), and each
// view's output compared byte for byte with the first binary's. With --record, first records a
// trace of a mixed workload on the whole host (builds, shells with pipes, PATH searches that
// fail, spawns, threads; root; ~300,000 lines, ~650 MB), or of that workload run --scale times.
//   bun bench/show.ts [--record [--scale N]] [--rounds N] [--views=table,--failures,--tree,--json] TRACE BINARY...
import { closeSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { OUT, ROOT } from "./configs";

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    record: { type: "boolean", default: false },
    rounds: { type: "string", default: "3" },
    scale: { type: "string", default: "1" },
    views: { type: "string", default: "table,--failures,--tree,--json" },
  },
});
const [trace, ...binaries] = positionals;
if (!trace || binaries.length === 0)
  throw new Error("usage: bun bench/show.ts [--record] [--rounds N] [--views=table,--tree] TRACE BINARY...");

/** The workload recorded: ~100,000 processes of several kinds. */
const WORKLOAD = `
set +e
W=$(mktemp -d)
for i in $(seq 1 40); do
  rm -rf $W/b; cp -r ${ROOT}/test/fixtures/ci-build $W/b; make -s -C $W/b >/dev/null 2>&1
  rm -rf $W/t; cp -r ${ROOT}/test/fixtures/tiny-c $W/t; make -s -C $W/t >/dev/null 2>&1
done
for i in $(seq 1 3000); do
  echo "x $i" | grep x | sed 's/x/y/' | wc -c >/dev/null
  nosuch-tool-$((i % 7)) --help 2>/dev/null
  ( exit $((i % 3)) )
done
$W/storm 20000 /bin/true one two "three four" >/dev/null
timeout 3 $W/threadstorm
rm -rf $W
`;

function record(file: string, tracer: string): void {
  const dir = Bun.spawnSync(["mktemp", "-d"]).stdout.toString().trim();
  for (const [src, out, extra] of [
    ["storm.c", "storm", []],
    ["threadstorm.c", "threadstorm", ["-pthread"]],
  ] as const)
    Bun.spawnSync(["cc", "-O2", ...extra, "-o", join(dir, out), join(ROOT, "test/fixtures", src)], {
      stderr: "inherit",
    });
  const t = Bun.spawn([tracer, "--json", "-o", file], { stdout: "ignore", stderr: "pipe" });
  Bun.sleepSync(3000); // past `ready`
  const workload = WORKLOAD.repeat(Number(a.scale));
  Bun.spawnSync(
    ["bash", "-c", workload.replaceAll("$W/storm", `${dir}/storm`).replaceAll("$W/threadstorm", `${dir}/threadstorm`)],
    {
      stdout: "inherit",
      stderr: "inherit",
    },
  );
  t.kill("SIGTERM");
  Bun.spawnSync(["rm", "-rf", dir]);
}

if (a.record) {
  record(trace, binaries[0]!);
  await Bun.sleep(2000);
}
mkdirSync(OUT, { recursive: true });
/** The trace's lines, counted 16 MiB at a time (a trace of a million lines is ~2.4 GB). */
function countLines(file: string): number {
  const fd = openSync(file, "r");
  const buf = Buffer.allocUnsafe(16 << 20);
  let n = 0;
  for (let got = readSync(fd, buf); got > 0; got = readSync(fd, buf))
    for (let i = buf.indexOf(10); i >= 0 && i < got; i = buf.indexOf(10, i + 1)) n++;
  closeSync(fd);
  return n;
}
const lines = countLines(trace);
const views = a.views.split(",").map((v) => (v === "table" ? [] : v.split(" ")));
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
console.log(`${trace}: ${lines} lines, ${(statSync(trace).size / 1e6).toFixed(0)} MB; load ${load()}`);

const cpu = new Map<string, number[]>(); // binary + view → CPU seconds per round
for (let r = 0; r < Number(a.rounds); r++) {
  for (const view of views) {
    const order = binaries.map((_, i) => binaries[(i + r) % binaries.length]!);
    for (const bin of order) {
      const out = join(OUT, `show-bench-${binaries.indexOf(bin)}.out`);
      rmSync(out, { force: true }); // Bun.file as stdout does not truncate: a shorter output kept the last one's tail
      const p = Bun.spawnSync([bin, "show", ...view, trace], { stdout: Bun.file(out), stderr: "pipe" });
      if (p.exitCode !== 0) throw new Error(`${bin} show ${view.join(" ")}: ${p.stderr.toString()}`);
      const k = `${bin} ${view.join(" ") || "table"}`;
      cpu.set(k, [...(cpu.get(k) ?? []), Number(p.resourceUsage!.cpuTime.total) / 1e6]);
    }
    const first = readFileSync(join(OUT, "show-bench-0.out"));
    for (let i = 1; i < binaries.length; i++)
      if (!first.equals(readFileSync(join(OUT, `show-bench-${i}.out`))))
        throw new Error(`${binaries[i]} show ${view.join(" ")}: output differs from ${binaries[0]}'s`);
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
/** The first binary's CPU over this one's, round by round for the same view (each binary once a
 * round, order rotating), and the median of those: the measure that holds on a shared host, where
 * one binary's CPU swings ±25% from one minute to the next. */
const speedUp = (k: string, xs: number[]) => {
  const base = cpu.get(`${binaries[0]} ${k.slice(k.indexOf(" ") + 1)}`)!; // a binary's path has no space
  return median(xs.map((x, r) => base[r]! / x));
};
const rows = [...cpu].map(([k, xs]) => ({
  run: k,
  cpuS: xs.map((x) => x.toFixed(2)).join("/"),
  linesPerS: Math.round(lines / median(xs)),
  speedUp: `${speedUp(k, xs).toFixed(2)}x`,
}));
console.table(rows);
console.log(`load ${load()}`);
writeFileSync(join(OUT, "show-bench.json"), JSON.stringify({ trace, lines, load: load(), rows }, null, 1));
