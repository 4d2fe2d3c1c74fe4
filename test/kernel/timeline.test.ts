// --timeline and tracer show --timeline: a real make -j2 of test/fixtures/ci-build (two C files,
// a `#!` script, a failing PATH lookup) traced while strace -f -ttt watched the same run; the
// timeline is read by the DevTools trace engine (the Performance panel's parser) and every
// process in it checked against strace's lines: pid, parent, start, duration, exit, failed execs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as TraceEngine from "@paulirish/trace_engine";
import { polyfillDOMRect } from "@paulirish/trace_engine/analyze-trace.mjs";
import { lexer, type Tokens } from "marked";
import { fixture, ROOT, TRACER } from "./harness";
import { Browser } from "./browser";

const BUILD = join(ROOT, "test", "fixtures", "ci-build");
const MISSING = "tracer-ci-missing-tool";
const ENV = { PATH: "/nonexistent-tracer-ci:/usr/local/bin:/usr/bin:/bin", HOME: "/root", LANG: "C" };

let top: string;
beforeAll(() => (top = mkdtempSync(join(tmpdir(), "tracer-timeline-"))));
afterAll(() => rmSync(top, { recursive: true, force: true }));

/** The screenshots the tests take (the pictures in docs/ are copies of two of them). */
const SHOTS = join(ROOT, ".output", "screenshots");
function keepShot(name: string, png: Buffer): void {
  mkdirSync(SHOTS, { recursive: true });
  writeFileSync(join(SHOTS, name), png);
}

/** The ```mermaid blocks of a Markdown text. */
const mermaidBlocks = (md: string) =>
  lexer(md)
    .filter((t) => t.type === "code" && (t as Tokens.Code).lang === "mermaid")
    .map((t) => (t as Tokens.Code).text);

/** Mermaid's own parser and renderer, in headless Chromium (its parser wants a DOM): the number
 * of task bars drawn, and a screenshot of the chart. */
async function renderMermaid(b: Browser, text: string): Promise<{ bars: number; labels: string[]; png: Buffer }> {
  const page = join(top, "mermaid.html");
  writeFileSync(
    page,
    `<!doctype html><meta charset="utf-8"><body style="margin:0;background:#fff"><div id="chart"></div><script src="file://${ROOT}/node_modules/mermaid/dist/mermaid.min.js"></script></body>`,
  );
  await b.load(`file://${page}`);
  const t = JSON.stringify(text);
  await b.evaluate(`mermaid.initialize({ startOnLoad: false, gantt: { useWidth: 1000 } }); mermaid.parse(${t})`);
  const labels = await b.evaluate<string[]>(
    `mermaid.render("g", ${t}).then((r) => { document.getElementById("chart").innerHTML = r.svg; return [...document.querySelectorAll("text.taskText, text.taskTextOutsideRight, text.taskTextOutsideLeft")].map((e) => e.textContent); })`,
  );
  const bars = await b.evaluate<number>(`document.querySelectorAll("rect.task").length`);
  return { bars, labels, png: await b.screenshot("#chart svg") };
}

/** What strace -f -ttt saw of one process (times in µs since the epoch, as strace prints them). */
interface Straced {
  pid: number;
  parent: number | null; // the process whose clone/vfork returned this pid
  cloneEntry: number | null; // when that call began
  first: number; // its first line (the child's first syscall)
  exitEntry: number | null; // when exit_group began
  exited: number | null; // +++ exited / killed +++
  exitCode: number | null;
  failedExecs: { path: string; errno: string }[];
  execs: string[]; // paths of successful execs
}

const us = (s: string) => Math.round(Number(s) * 1e6);

function parseStrace(text: string): Map<number, Straced> {
  const procs = new Map<number, Straced>();
  const cloneAt = new Map<number, number>(); // pid → entry time of its clone-like call in flight
  const execIn = new Map<number, string>(); // pid → path of its execve in flight
  const get = (pid: number, t: number) => {
    let p = procs.get(pid);
    if (!p)
      procs.set(
        pid,
        (p = {
          pid,
          parent: null,
          cloneEntry: null,
          first: t,
          exitEntry: null,
          exited: null,
          exitCode: null,
          failedExecs: [],
          execs: [],
        }),
      );
    return p;
  };
  for (const line of text.split("\n")) {
    const m = /^(\d+) +(\d+\.\d+) (.*)$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const t = us(m[2]!);
    const rest = m[3]!;
    const p = get(pid, t);
    if (/^(?:clone3?|vfork|fork)\(/.test(rest)) cloneAt.set(pid, t);
    if (rest.startsWith("exit_group(")) p.exitEntry = t;
    const ret = /^(?:<\.\.\. (?:clone3?|vfork|fork) resumed>.*|(?:clone3?|vfork|fork)\(.*)\) += (\d+)$/.exec(rest);
    if (ret) {
      const child = get(Number(ret[1]), t);
      child.parent = pid;
      child.cloneEntry = cloneAt.get(pid)!;
    }
    const ex = /^execve\("((?:[^"\\]|\\.)*)"/.exec(rest);
    if (ex) execIn.set(pid, ex[1]!);
    const done = /(?:^execve\(.*|^<\.\.\. execve resumed>.*)\) += (0|-1 (E\w+))/.exec(rest);
    if (done) {
      if (done[2]) p.failedExecs.push({ path: execIn.get(pid)!, errno: done[2] });
      else p.execs.push(execIn.get(pid)!);
    }
    const end = /^\+\+\+ (?:exited with (\d+)|killed by) /.exec(rest);
    if (end) {
      p.exited = t;
      p.exitCode = end[1] !== undefined ? Number(end[1]) : null;
    }
  }
  return procs;
}

/** The trace engine's model of a timeline file. */
async function engine(file: string) {
  polyfillDOMRect();
  const json = JSON.parse(readFileSync(file, "utf8"));
  const model = TraceEngine.TraceModel.Model.createWithAllHandlers();
  await model.parse(json.traceEvents);
  const parsed = model.parsedTrace()! as any;
  return { json, data: parsed.data, events: parsed.traceEvents as any[] };
}

describe("the fixture build, make -j2, under strace -f -ttt, with --timeline", () => {
  let run: { code: number | null; stderr: string };
  let strace: Map<number, Straced>;
  let model: Awaited<ReturnType<typeof engine>>;
  /** The process slices the engine found: one per (pid, tid = pid) row. */
  let slices: Map<number, any>;
  const file = () => join(top, "run.json");

  beforeAll(async () => {
    const dir = join(top, "build");
    cpSync(BUILD, dir, { recursive: true });
    const p = Bun.spawnSync(
      [
        TRACER,
        "--timeline",
        file(),
        "--json",
        "-o",
        join(top, "run.jsonl"),
        "--",
        "strace",
        "-f",
        "-ttt",
        "-q",
        "-e",
        "signal=none",
        "-o",
        join(top, "strace.log"),
        "make",
        "-j2",
      ],
      { cwd: dir, env: ENV, stdout: "pipe", stderr: "pipe" },
    );
    run = { code: p.exitCode, stderr: p.stderr.toString() };
    strace = parseStrace(readFileSync(join(top, "strace.log"), "utf8"));
    model = await engine(file());
    slices = new Map();
    for (const [pid, proc] of model.data.Renderer.processes) {
      const main = proc.threads.get(pid);
      for (const e of main?.entries ?? []) if (e.ph === "X") slices.set(pid, e);
    }
  });

  test("the run succeeds; the file is 0600 and the engine finds no warning", () => {
    expect(run.code).toBe(0);
    expect(statSync(file()).mode & 0o777).toBe(0o600);
    expect(model.data.Warnings.perEvent.size).toBe(0);
    expect(model.data.Warnings.perWarning.size).toBe(0);
  });

  /** strace, the root, and the children it forks to probe ptrace before it starts make: they
   * exec nothing and are not in its log. */
  const straceOwn = () => {
    const root = [...slices.values()].find((s) => s.args.execs[0]?.argv[0] === "strace");
    return {
      root,
      probes: [...slices.values()]
        .filter((s) => s.args.ppid === root.pid && s.args.execs.length === 0)
        .map((s) => s.args.pid),
    };
  };

  test("every process strace saw has its row and slice, and no other one (strace itself is the root)", () => {
    const { root, probes } = straceOwn();
    expect(root).toBeDefined();
    expect(probes.length).toBeLessThanOrEqual(2);
    const ours = [...slices.keys()].filter((pid) => pid !== root.pid && !probes.includes(pid)).sort();
    expect(ours).toEqual([...strace.keys()].sort());
    // make, strace's child, hangs under the root
    const make = [...strace.values()].find((s) => s.execs[0] === "/usr/bin/make")!;
    expect(slices.get(make.pid).args.ppid).toBe(root.pid);
  });

  test("each process's parent, start, duration and exit agree with strace's lines", () => {
    const t0 = BigInt(model.json.otherData.startEpochNs);
    const slack = 1000; // µs: the tracer's boot-time→epoch offset against strace's clock (both µs-rounded)
    for (const s of strace.values()) {
      const x = slices.get(s.pid);
      const start = Number(t0 / 1000n) + Number(t0 % 1000n) / 1000 + x.ts;
      const end = start + x.dur;
      if (s.parent !== null) {
        expect(x.args.ppid).toBe(s.parent);
        // the fork happened inside the parent's clone call, before the child's first syscall
        expect(start).toBeGreaterThanOrEqual(s.cloneEntry! - slack);
        expect(start).toBeLessThanOrEqual(s.first + slack);
        // durations need no common clock: within what strace bounds
        expect(x.dur).toBeLessThanOrEqual(s.exited! - s.cloneEntry! + 2);
      }
      expect(x.dur).toBeGreaterThanOrEqual(s.exitEntry! - s.first - 2);
      expect(end).toBeGreaterThanOrEqual(s.exitEntry! - slack);
      expect(end).toBeLessThanOrEqual(s.exited! + slack);
      expect(x.args.exitCode).toBe(s.exitCode);
    }
  });

  test("a flow from each parent to each child, as strace's clones pair them", () => {
    const { root, probes } = straceOwn();
    const flows = model.data.Flows.flows
      .filter((f: any[]) => !probes.includes(f[1].pid))
      .map((f: any[]) => `${f[0].pid}→${f[1].pid}`)
      .sort();
    const want = [...strace.values()].map((s) => `${s.parent ?? root.pid}→${s.pid}`).sort();
    expect(flows).toEqual(want);
  });

  test("the failed PATH lookups and the exit 127 are marked on env's row", () => {
    const env = [...strace.values()].find((s) => s.failedExecs.some((f) => f.path.endsWith(`/${MISSING}`)))!;
    expect(env.exitCode).toBe(127);
    const instants = model.events.filter((e) => e.ph === "i" && e.pid === env.pid).map((e) => e.name);
    expect(instants).toEqual([...env.failedExecs.map((f) => `exec failed ${f.errno}: ${f.path}`), "exit 127"]);
    // no process that exited 0 has a mark
    const marked = new Set(model.events.filter((e) => e.ph === "i" && strace.has(e.pid)).map((e) => e.pid));
    expect([...marked]).toEqual([env.pid]);
    expect(run.stderr).toContain("tracer: critical path (");
  });

  test("tracer show --timeline of the run's saved trace writes the same timeline", () => {
    const again = join(top, "show.json");
    const s = Bun.spawnSync([TRACER, "show", "--timeline", again, join(top, "run.jsonl")], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(s.exitCode).toBe(0);
    expect(s.stdout.toString()).toBe("");
    expect(readFileSync(again, "utf8")).toBe(readFileSync(file(), "utf8"));
  });
});

describe("threads and a death by signal on the timeline", () => {
  test("a thread's slice on its own row under its process, and SIGKILL marked, as the processes report them", async () => {
    const life = fixture("lifecycle");
    const out = join(top, "threads");
    mkdirSync(out);
    // the thread mode prints pid= and tid= (gettid in the thread); the shell says whom it killed and how it ended
    const script = `${life} thread x > ${out}/thread; ${life} sleep x & echo $! > ${out}/killed; kill -9 $!; wait $!; echo $? > ${out}/status`;
    const p = Bun.spawnSync([TRACER, "--timeline", join(out, "t.json"), "--", "/bin/sh", "-c", script], {
      env: ENV,
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(p.exitCode).toBe(0);
    const kv = Object.fromEntries(
      readFileSync(join(out, "thread"), "utf8")
        .trim()
        .split("\n")
        .map((l) => l.split("=")),
    );
    const [pid, tid] = [Number(kv.pid), Number(kv.tid)];
    expect(tid).not.toBe(pid);
    const killed = Number(readFileSync(join(out, "killed"), "utf8"));
    expect(readFileSync(join(out, "status"), "utf8").trim()).toBe("137");
    const m = await engine(join(out, "t.json"));
    const proc = m.data.Renderer.processes.get(pid);
    const main = proc.threads.get(pid).entries.filter((e: any) => e.ph === "X");
    const thread = proc.threads.get(tid).entries.filter((e: any) => e.ph === "X");
    expect(thread.map((e: any) => e.name)).toEqual([`thread ${tid}`]);
    expect(main.length).toBe(1);
    // the thread lived within its process
    expect(thread[0].ts).toBeGreaterThanOrEqual(main[0].ts);
    expect(thread[0].ts + thread[0].dur).toBeLessThanOrEqual(main[0].ts + main[0].dur);
    const dead = m.data.Renderer.processes
      .get(killed)
      .threads.get(killed)
      .entries.find((e: any) => e.ph === "X");
    expect([dead.args.signal, dead.args.exit]).toEqual([9, "killed by SIGKILL"]);
    expect(m.events.filter((e) => e.ph === "i" && e.pid === killed).map((e) => e.name)).toEqual(["killed by SIGKILL"]);
    expect(m.data.Warnings.perEvent.size).toBe(0);
  });
});

/** The critical path's build: what each step reported of itself (test/fixtures/critical-path/step). */
const criticalDir = () => join(top, "critical");
function report(name: string) {
  const dir = criticalDir();
  const [pid, ppid] = readFileSync(join(dir, `${name}.pid`), "utf8")
    .trim()
    .split(" ")
    .map(Number);
  return {
    name,
    pid: pid!,
    ppid: ppid!,
    sleep: Number(readFileSync(join(dir, `${name}.sleep`), "utf8")),
    end: Number(readFileSync(join(dir, `${name}.end`), "utf8")),
  };
}

describe("the critical path of a Makefile whose slow step waits behind two fast ones (-j2)", () => {
  let dir: string;
  let run: { code: number | null; stderr: string };
  let shown: string;

  beforeAll(() => {
    dir = criticalDir();
    cpSync(join(ROOT, "test", "fixtures", "critical-path"), dir, { recursive: true });
    writeFileSync(join(top, "summary.md"), "");
    const p = Bun.spawnSync([TRACER, "--json", "-o", join(top, "critical.jsonl"), "--", "make", "-j2"], {
      cwd: dir,
      env: { ...ENV, GITHUB_STEP_SUMMARY: join(top, "summary.md") },
      stdout: "pipe",
      stderr: "pipe",
    });
    run = { code: p.exitCode, stderr: p.stderr.toString() };
    const s = Bun.spawnSync([TRACER, "show", "--critical-path", join(top, "critical.jsonl")], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(s.exitCode).toBe(0);
    shown = s.stdout.toString();
  });

  test("tracer show --critical-path names make, the fast step that ended first, its sleep, the slow step, its sleep", () => {
    expect(run.code).toBe(0);
    // which fast step freed the slot: the steps' own reports
    const [first] = [report("fast1"), report("fast2")].sort((a, b) => a.end - b.end);
    const slow = report("slow");
    expect(slow.ppid).toBe(first!.ppid); // both make's children
    const steps = shown
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => {
        const m = /^ *[\d.]+ m?s +[\d.]+% {2}( *)(\d+) (.*)$/.exec(l)!;
        return { depth: m[1]!.length / 2, pid: Number(m[2]), command: m[3]! };
      });
    expect(steps).toEqual([
      { depth: 0, pid: first!.ppid, command: "make -j2" },
      {
        depth: 1,
        pid: first!.pid,
        command: `/bin/bash ./step ${first!.name} ${first!.name === "fast1" ? "0.3" : "1"}`,
      },
      { depth: 2, pid: first!.sleep, command: `sleep ${first!.name === "fast1" ? "0.3" : "1"}` },
      { depth: 1, pid: slow.pid, command: "/bin/bash ./step slow 1.5" },
      { depth: 2, pid: slow.sleep, command: "sleep 1.5" },
    ]);
  });

  test("the own times add up to make's wall time; the run's summary has the top three steps", () => {
    const head = /^critical path: 5 processes, ([\d.]+) s;/.exec(shown);
    expect(head).not.toBeNull();
    const shares = [...shown.matchAll(/ ([\d.]+)% {2}/g)].map((m) => Number(m[1]));
    expect(Math.abs(shares.reduce((a, b) => a + b, 0) - 100)).toBeLessThan(0.5); // each rounded to 0.1%
    const line = run.stderr.split("\n").find((l) => l.startsWith("tracer: critical path"))!;
    expect(line).toMatch(/^tracer: critical path \(5 processes\): .* → .* → .*$/);
    expect(line).toContain("sleep 1.5");
  });
});

describe("the job summary's Mermaid Gantt chart, drawn by mermaid in headless Chromium", () => {
  let browser: Browser;
  beforeAll(async () => (browser = await Browser.start(1100, 700)));
  afterAll(async () => browser?.close());

  test("the critical path's Makefile: one bar per step of the path and per process, the path's bars as crit, no console error", async () => {
    const md = readFileSync(join(top, "summary.md"), "utf8");
    const blocks = mermaidBlocks(md);
    expect(blocks.length).toBe(1);
    const text = blocks[0]!;
    const tasks = text.split("\n").filter((l) => /^ {4}[^ ].* :(crit, )?\d+, \d+$/.test(l));
    const crit = tasks.filter((l) => l.includes(":crit, "));
    expect(crit.map((l) => l.trim().replace(/ \(own .*$/, ""))).toEqual([
      "make -j2",
      expect.stringMatching(/^bash \.\/step fast[12] (0\.3|1)$/),
      expect.stringMatching(/^sleep (0\.3|1)$/),
      "bash ./step slow 1.5",
      "sleep 1.5",
    ]);
    const processes = Number(/^\| (\d+) \|/m.exec(md)![1]); // the counts table's first cell
    expect(tasks.length - crit.length).toBe(processes); // all of them: fewer than the bound
    const r = await renderMermaid(browser, text);
    expect(r.bars).toBe(tasks.length);
    expect(r.labels.length).toBe(tasks.length);
    expect(browser.errors).toEqual([]);
    keepShot("job-summary-gantt.png", r.png);
  });

  test("10,000 processes: the chart stays at its bound and renders", async () => {
    const summary = join(top, "storm-summary.md");
    writeFileSync(summary, "");
    const p = Bun.spawnSync(
      [TRACER, "--json", "-o", join(top, "storm.jsonl"), "--", fixture("storm"), "10000", "/bin/true"],
      { env: { ...ENV, GITHUB_STEP_SUMMARY: summary }, stdout: "pipe", stderr: "pipe" },
    );
    expect(p.exitCode).toBe(0);
    expect(p.stdout.toString()).toBe("spawned=10000\n");
    const md = readFileSync(summary, "utf8");
    expect(md).toContain("| 10001 |"); // storm and its 10,000 children
    const text = mermaidBlocks(md)[0]!;
    const tasks = text.split("\n").filter((l) => /^ {4}[^ ].* :(crit, )?\d+, \d+$/.test(l));
    expect(tasks.length).toBeLessThanOrEqual(12 + 15);
    expect(text).toContain("section Longest processes (15 of 10001)");
    expect(text.length).toBeLessThan(5000);
    const r = await renderMermaid(browser, text);
    expect(r.bars).toBe(tasks.length);
    expect(browser.errors).toEqual([]);
  }, 600_000); // a bound on absence only: 10,000 spawns took 205 s at a load of 19
});

describe("tracer show --html and speedscope's app in headless Chromium", () => {
  let browser: Browser;
  beforeAll(async () => (browser = await Browser.start(1100, 500)));
  afterAll(async () => browser?.close());

  const show = (...args: string[]) => {
    const s = Bun.spawnSync([TRACER, "show", ...args], { stdout: "pipe", stderr: "pipe" });
    expect(s.stderr.toString()).toMatch(/^tracer: \d+ processes, /);
    expect(s.exitCode).toBe(0);
    expect(s.stdout.toString()).toBe("");
  };

  test("the critical path's build: one bar per process the steps reported, the path's in red, no console error, nothing fetched", async () => {
    const file = join(top, "critical.html");
    show("--html", file, join(top, "critical.jsonl"));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await browser.load(`file://${file}`);
    const steps = ["fast1", "fast2", "slow"].map(report);
    const pids = [steps[0]!.ppid, ...steps.flatMap((s) => [s.pid, s.sleep])].sort();
    expect(
      (
        await browser.evaluate<number[]>(
          `[...document.querySelectorAll(".timeline .bar")].map((b) => Number(b.dataset.pid))`,
        )
      ).sort(),
    ).toEqual(pids);
    const [first] = steps.slice(0, 2).sort((a, b) => a.end - b.end);
    const slow = steps[2]!;
    expect(
      (
        await browser.evaluate<number[]>(
          `[...document.querySelectorAll(".timeline .bar.crit")].map((b) => Number(b.dataset.pid))`,
        )
      ).sort(),
    ).toEqual([first!.ppid, first!.pid, first!.sleep, slow.pid, slow.sleep].sort());
    expect(await browser.evaluate(`document.querySelectorAll("[src], [href], link, script, img, iframe").length`)).toBe(
      0,
    );
    expect(browser.errors).toEqual([]);
    keepShot("report-timeline.png", await browser.screenshot("#timeline"));
  });

  test("the fixture build's report lists its failures as strace saw them", async () => {
    const file = join(top, "build.html");
    show("--html", file, join(top, "run.jsonl"));
    await browser.load(`file://${file}`);
    const items = await browser.evaluate<string[]>(
      `[...document.querySelectorAll(".failures li")].map((li) => li.textContent)`,
    );
    const env = [...parseStrace(readFileSync(join(top, "strace.log"), "utf8")).values()].find(
      (s) => s.exitCode === 127,
    )!;
    const tries = env.failedExecs.filter((f) => f.path.endsWith(`/${MISSING}`)).length;
    expect(items.filter((i) => i.includes(MISSING))).toEqual([
      `${MISSING} --version: not found in PATH (ENOENT ×${tries}) (pid ${env.pid})`, // as the job summary and the table say it
      `env ${MISSING} --version: exit 127 (pid ${env.pid})`,
    ]);
    expect(
      await browser.evaluate(`document.querySelector(".tree").textContent.split("\\n").filter(Boolean).length`),
    ).toBe(await browser.evaluate(`document.querySelectorAll(".timeline .bar").length`));
    expect(browser.errors).toEqual([]);
  });

  test("speedscope (its static app, served from 127.0.0.1) opens the timeline: one profile per process, no console error", async () => {
    const timeline = join(top, "critical.json");
    show("--timeline", timeline, join(top, "critical.jsonl"));
    const app = join(ROOT, "node_modules", "speedscope", "dist", "release");
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => {
        const path = new URL(req.url).pathname;
        return new Response(
          Bun.file(path === "/timeline.json" ? timeline : join(app, path.replace(/^\/+/, "") || "index.html")),
        );
      },
    });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      await browser.load(
        `${base}/index.html#profileURL=${encodeURIComponent(`${base}/timeline.json`)}&title=critical-path`,
      );
      // speedscope makes one profile per (pid, tid): the seven processes the steps reported
      await browser.until(`document.body.innerText.includes("critical-path (1/7)")`);
      expect(browser.errors).toEqual([]);
      keepShot("speedscope.png", await browser.screenshot());
    } finally {
      server.stop(true);
    }
  });
});
