// --hash: SHA-256 of each executed file and of its ELF interpreter, against sha256sum; a file changed
// between the exec and the hashing says so; a storm of one binary reads it once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseExact } from "../tracee-rules";
import { arg, fixture, marker, TRACER, TracerRun, type Json } from "./harness";

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "tracer-hash-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256sum = (path: string) => Bun.spawnSync(["sha256sum", path]).stdout.toString().split(" ")[0]!;
const execs = (events: Json[]) => events.filter((e) => e.eventName === "sched_process_exec");

describe("--hash", () => {
  test("the file and its interpreter hash as sha256sum says; a static binary has no interpreter hash", () => {
    const out = join(dir, "a.jsonl");
    const m = marker("hash");
    const sh = Bun.spawnSync([
      TRACER,
      "--json",
      "--hash",
      "-o",
      out,
      "--",
      "/bin/sh",
      "-c",
      `/usr/bin/env true ${m}; ${fixture("storm", { static: true })} 1 /bin/true`,
    ]);
    expect(sh.exitCode).toBe(0);
    const events = readFileSync(out, "utf8")
      .split("\n")
      .filter((l) => l)
      .map(parseExact);
    const dynamic = execs(events).find((e) => arg(e, "argv").includes(m))!;
    expect(arg(dynamic, "sha256")).toBe(sha256sum("/usr/bin/env"));
    expect(arg(dynamic, "interpreter_sha256")).toBe(sha256sum(arg(dynamic, "interpreter_pathname")));
    expect(arg(dynamic, "hash_error")).toBe("");
    const stat = execs(events).find((e) => arg(e, "pathname").endsWith("storm-static"))!;
    expect(arg(stat, "sha256")).toBe(sha256sum(arg(stat, "pathname")));
    expect(arg(stat, "interpreter_pathname")).toBe("");
    expect(arg(stat, "interpreter_sha256")).toBe("");
    expect(arg(stat, "hash_error")).toBe("");
  });

  test("a file rewritten after its exec and before the tracer read the record: hash_error 'changed', no hash", async () => {
    const prog = join(dir, "prog");
    copyFileSync("/bin/true", prog);
    chmodSync(prog, 0o755);
    const t = await TracerRun.start(["--json", "--hash"]);
    const m = marker("changed");
    t.proc.kill("SIGSTOP"); // the record waits in the ring while the file changes
    try {
      expect(Bun.spawnSync([prog, m]).exitCode).toBe(0);
      writeFileSync(prog, readFileSync("/bin/false")); // same inode, new content and ctime
    } finally {
      t.proc.kill("SIGCONT");
    }
    const [e] = await t.waitFor((x) => x.eventName === "sched_process_exec" && arg(x, "argv").includes(m));
    expect(await t.stop()).toBe(0);
    expect(arg(e!, "pathname")).toBe(prog);
    expect(arg(e!, "sha256")).toBe("");
    expect(arg(e!, "hash_error")).toBe("changed");
  });

  test("a storm of 10,000 execs of one binary reads each file once (--stats counts the reads)", () => {
    const out = join(dir, "storm.jsonl");
    const p = Bun.spawnSync(
      [
        TRACER,
        "--json",
        "--hash",
        "--stats",
        "-e",
        "sched_process_exec",
        "-o",
        out,
        "--",
        fixture("storm"),
        "10000",
        "/bin/true",
      ],
      { stderr: "pipe" },
    );
    expect(p.exitCode).toBe(0);
    const events = execs(
      readFileSync(out, "utf8")
        .split("\n")
        .filter((l) => l)
        .map(parseExact),
    );
    expect(events.length).toBe(10001);
    const files = new Set<string>();
    for (const e of events) {
      files.add(`${arg(e, "dev")}:${arg(e, "inode")}:${arg(e, "ctime")}`);
      if (arg(e, "interpreter_inode") !== 0)
        files.add(`${arg(e, "interpreter_dev")}:${arg(e, "interpreter_inode")}:${arg(e, "interpreter_ctime")}`);
      expect(arg(e, "hash_error")).toBe("");
    }
    const summary = JSON.parse(
      p.stderr
        .toString()
        .split("\n")
        .find((l) => l.startsWith('{"summary"'))!,
    ).summary;
    expect(summary.hash.files).toBe(files.size); // storm, true, and the loader they share
    expect(summary.hash.hits).toBe(2 * 10001 - files.size);
    expect(new Set(events.filter((e) => arg(e, "pathname") === "/usr/bin/true").map((e) => arg(e, "sha256")))).toEqual(
      new Set([sha256sum("/usr/bin/true")]),
    );
  }, 600_000); // only a bound on absence: a loaded host took more than 120 s for the storm
});
