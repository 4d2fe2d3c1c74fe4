// COMMAND's first exec shows the prev_comm a bare run shows: the name of the process that started
// it (here a shell, which prints its own comm as ground truth), not the stub's file name (the
// descriptor number of the memfd it was run from, "43").
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arg, parseLine, TRACER } from "./harness";

const dir = mkdtempSync(join(tmpdir(), "tracer-prevcomm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("tracer -- COMMAND started from a shell: COMMAND's exec has the shell's comm as prev_comm", () => {
  const out = join(dir, "t.jsonl");
  // `; :` keeps the shell from exec'ing the tracer: the shell stays its parent, as for a bare command
  const r = Bun.spawnSync(["/bin/sh", "-c", `cat /proc/$$/comm; "$0" --json -o "$1" -- /bin/true; :`, TRACER, out], {
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(r.exitCode).toBe(0);
  const shellComm = r.stdout.toString().trim();
  expect(shellComm).toBe("sh");
  const execs = readFileSync(out, "utf8")
    .trim()
    .split("\n")
    .map(parseLine)
    .filter((e) => e.eventName === "sched_process_exec");
  expect(execs.length).toBe(1);
  expect(arg(execs[0]!, "prev_comm")).toBe(shellComm);
});
