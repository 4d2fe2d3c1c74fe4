// tracer -- COMMAND against the same command run bare: never its own stub, exit status for every
// signal, inherited signal dispositions and mask, exact bytes, -o - on stdout.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arg, fixture, marker, parseLine, readyAndSummary, TRACER } from "./harness";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tracer-cmd-"));
  chmodSync(dir, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const events = (file: string) => readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map(parseLine);

/** Run a /bin/sh script (for arguments a JS string cannot carry: bytes that are not UTF-8). */
function sh(script: string, env?: Record<string, string>) {
  const r = Bun.spawnSync(["/bin/sh", "-c", script], {
    stdout: "pipe",
    stderr: "pipe",
    env: env ?? { PATH: "/usr/bin:/bin" },
  });
  return { code: r.exitCode, stdout: r.stdout as Buffer, stderr: r.stderr.toString() };
}

describe("the stub that starts COMMAND is never traced", () => {
  test("200 runs of -- /bin/true under CPU load: every exec event is /bin/true's", async () => {
    // Load on both cores (and more), made here: the race needs the stub's exec to be slow.
    const hogs = [0, 1, 2].map(() => Bun.spawn(["/bin/sh", "-c", "while :; do :; done"], { stdout: "ignore" }));
    const truePath = realpathSync("/bin/true");
    const bad: string[] = [];
    try {
      const one = async (i: number) => {
        const out = join(dir, `true-${i}.jsonl`);
        const p = Bun.spawn([TRACER, "--json", "-o", out, "--", "/bin/true"], { stdout: "ignore", stderr: "ignore" });
        expect(await p.exited).toBe(0);
        const evs = events(out);
        const execs = evs.filter(
          (e) => e.eventName === "sched_process_exec" || e.eventName === "process_execute_failed",
        );
        const foreign = execs.filter(
          (e) =>
            e.eventName !== "sched_process_exec" ||
            arg(e, "pathname") !== truePath ||
            JSON.stringify(arg(e, "argv")) !== '["/bin/true"]',
        );
        if (foreign.length || execs.length !== 1)
          bad.push(`run ${i}: ${JSON.stringify(execs.map((e) => [e.eventName, e.args[0]?.value]))}`);
        // and nothing but that one process
        if (!evs.every((e) => e.hostProcessId === execs[0]?.hostProcessId))
          bad.push(`run ${i}: events of another process`);
      };
      for (let i = 0; i < 200; i += 2) await Promise.all([one(i), one(i + 1)]);
    } finally {
      for (const h of hogs) h.kill("SIGKILL");
      await Promise.all(hogs.map((h) => h.exited));
    }
    expect(bad).toEqual([]);
  }, 600_000);
});

describe("exit status", () => {
  for (const n of [34, 40, 64]) {
    test(`a command killed by real-time signal ${n}: 128+${n}, as the bare command gives`, () => {
      const cmd = `kill -${n} $$`;
      const bare = sh(`/bin/sh -c '${cmd}'; echo $?`);
      const traced = sh(`"${TRACER}" -o /dev/null -- /bin/sh -c '${cmd}'; echo $?`);
      expect(Number(bare.stdout.toString())).toBe(128 + n);
      expect(Number(traced.stdout.toString())).toBe(Number(bare.stdout.toString()));
    });
  }
});

describe("signals COMMAND starts with are the ones it would have bare", () => {
  const show = "/bin/grep -E '^Sig(Ign|Blk)' /proc/self/status";
  const cases: [string, (cmd: string) => string][] = [
    ["under nohup", (cmd) => `nohup ${cmd} 2>/dev/null`],
    ["after trap '' HUP INT USR1 TERM 40", (cmd) => `trap '' HUP INT USR1 TERM 40; ${cmd}`],
  ];
  for (const [what, wrap] of cases) {
    test(`${what}: the same SigIgn and SigBlk`, () => {
      const bare = sh(wrap(show));
      const traced = sh(wrap(`"${TRACER}" -o /dev/null -- ${show}`));
      expect(bare.stdout.toString()).toMatch(/^SigBlk:\s+\w+\nSigIgn:\s+\w+\n$/);
      expect(traced.stdout.toString()).toBe(bare.stdout.toString());
    });
  }

  test("started with signals blocked: the same SigBlk", () => {
    const mask = fixture("sigmask");
    const bare = sh(`"${mask}" 10,12,36 ${show}`);
    const traced = sh(`"${mask}" 10,12,36 "${TRACER}" -o /dev/null -- ${show}`);
    expect(bare.stdout.toString()).toContain("SigBlk:\t0000000800000a00");
    expect(traced.stdout.toString()).toBe(bare.stdout.toString());
  });

  test("a SIGHUP to a nohup'ed tracer does not reach the command, which runs to its end", async () => {
    const out = join(dir, "nohup.jsonl");
    const p = Bun.spawn(
      ["nohup", TRACER, "--json", "-o", out, "--", "/bin/sh", "-c", "echo started; sleep 1; exit 7"],
      { stdout: "pipe", stderr: "ignore" },
    );
    const reader = p.stdout.getReader();
    await reader.read(); // "started": the command runs
    p.kill("SIGHUP");
    expect(await p.exited).toBe(7);
    const exit = events(out).find((e) => e.eventName === "sched_process_exit" && arg(e, "exit_code") === 7);
    expect(exit && arg(exit, "signal_code")).toBe(0);
  });
});

describe("exact bytes", () => {
  test("argv bytes that are not UTF-8 reach the command unchanged", () => {
    const word = `"$(printf 'a\\377b\\300')"`;
    const bare = sh(`/usr/bin/printf %s ${word}`);
    const traced = sh(`"${TRACER}" -o /dev/null -- /usr/bin/printf %s ${word}`);
    expect([...bare.stdout]).toEqual([0x61, 0xff, 0x62, 0xc0]);
    expect([...traced.stdout]).toEqual([...bare.stdout]);
  });

  test("the environment reaches the command byte for byte, with nothing added (env -i … env)", () => {
    const vars = `"$(printf 'X=a\\377b')" 'SPACE NAME=1' '=odd' 'K=v=w'`;
    const bare = sh(`env -i ${vars} /usr/bin/env`);
    const traced = sh(`env -i ${vars} "${TRACER}" -o /dev/null -- /usr/bin/env`);
    expect(bare.stdout.includes(Buffer.from([0x58, 0x3d, 0x61, 0xff, 0x62]))).toBe(true);
    expect([...traced.stdout]).toEqual([...bare.stdout]);
    const empty = sh(`env -i "${TRACER}" -o /dev/null -- /usr/bin/env`);
    expect(empty.code).toBe(0);
    expect(empty.stdout.length).toBe(sh("env -i /usr/bin/env").stdout.length); // 0: no PWD=, nothing
  });

  test("an -o path that is not UTF-8 is created under exactly those bytes", () => {
    const m = marker("bytes");
    const r = sh(`"${TRACER}" --json -o "${dir}/$(printf 'out\\377')-${m}" -- /bin/true ${m}`);
    expect(r.code).toBe(0);
    const names = readdirSync(dir, { encoding: "buffer" }).filter((n) => n.includes(Buffer.from(m)));
    expect(names.map((n) => [...n])).toEqual([[...Buffer.from("out"), 0xff, ...Buffer.from(`-${m}`)]]);
  });
});

test("-o - with COMMAND: events on stdout, next to what the command prints", () => {
  const m = marker("dash");
  const r = sh(`"${TRACER}" --json -o - -- /bin/echo ${m}`);
  expect(r.code).toBe(0);
  const lines = r.stdout.toString().trim().split("\n");
  expect(lines).toContain(m); // echo's own line
  const exec = lines
    .filter((l) => l.startsWith("{"))
    .map(parseLine)
    .find((e) => e.eventName === "sched_process_exec");
  expect(arg(exec!, "argv")).toEqual(["/bin/echo", m]);
  readyAndSummary(r.stderr);
});

test("a daemon COMMAND leaves behind is followed until COMMAND exits, not waited for (docs/usage.md)", async () => {
  const m = marker("daemon");
  const gate = join(dir, `gate-${m}`);
  const done = join(dir, `daemon-${m}`);
  const started = join(dir, `started-${m}`);
  const out = join(dir, "daemon.jsonl");
  // the daemon: its own session, parent gone; it waits for a gate the test opens only after the
  // tracer has returned, then execs (no sleep whose length a loaded machine could outrun).
  // COMMAND exits once the daemon runs (setsid has exec'd its sh): its exec of setsid is in the
  // trace, not racing COMMAND's end (it came after the trace's end once in a suite run)
  const wait = `while [ ! -e "${gate}" ]; do sleep 0.05; done`;
  const waitStarted = `while [ ! -e "${started}" ]; do sleep 0.01; done`;
  const script = `setsid /bin/sh -c 'touch "${started}"; ${wait}; /bin/true ${m}; touch "${done}"' </dev/null >/dev/null 2>&1 & ${waitStarted}; exit 5`;
  // a tracer that waited for the daemon would wait for ever: timeout's 124 says so instead
  const r = sh(`timeout 300 "${TRACER}" --json -o "${out}" -- /bin/sh -c '${script.replace(/'/g, "'\\''")}'`);
  writeFileSync(gate, ""); // before any assertion: a failed one must not leave the daemon waiting
  expect(r.code).toBe(5); // COMMAND's status, while the daemon still waited
  while (!existsSync(done)) await Bun.sleep(25); // the daemon ran, after the tracer had gone
  const evs = events(out);
  expect(evs.filter((e) => e.eventName === "sched_process_exec" && (arg(e, "argv") as string[]).includes(m))).toEqual(
    [],
  ); // /bin/true M came later
  expect(
    evs.some((e) => e.eventName === "sched_process_exec" && arg(e, "pathname") === realpathSync("/usr/bin/setsid")),
  ).toBe(true);
  expect(evs.some((e) => e.eventName === "sched_process_fork")).toBe(true); // the daemon's fork was seen
});
