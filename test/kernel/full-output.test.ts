// A full output filesystem: the run fails cleanly (ENOSPC named, exit 1, COMMAND left to finish),
// and the summary line still counts everything COMMAND did, to the end, not what was written.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRACER } from "./harness";

const dir = mkdtempSync(join(tmpdir(), "tracer-full-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("ENOSPC on -o: the summary counts every exec and non-zero exit of COMMAND", () => {
  // A 64 KiB tmpfs in a mount namespace of the test's own (nothing global changes): it holds a
  // few dozen events; the workload makes ~900 (1 sh + 250 true + 50 false, each forked and exited).
  const TRUE = 250,
    FALSE = 50;
  const work = `i=0; while [ $i -lt ${TRUE} ]; do /bin/true; i=$((i+1)); done; i=0; while [ $i -lt ${FALSE} ]; do /bin/false; i=$((i+1)); done; echo done`;
  const r = Bun.spawnSync(
    [
      "unshare",
      "-m",
      "--propagation",
      "private",
      "sh",
      "-c",
      `mount -t tmpfs -o size=64k none "$1" && exec "$2" --json -o "$1/t.jsonl" -- /bin/sh -c "$3"`,
      "sh",
      dir,
      TRACER,
      work,
    ],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const err = r.stderr.toString().trim().split("\n");
  expect(r.stdout.toString()).toBe("done\n"); // COMMAND ran to its end
  expect(err[0]).toBe("ready");
  expect(err).toContainEqual(
    "tracer: write " +
      join(dir, "t.jsonl") +
      ": No space left on device (ENOSPC); events from then on were not written; the command exited with status 0",
  );
  const processes = 1 + TRUE + FALSE;
  expect(err.find((l) => l.includes(" processes, "))).toMatch(
    new RegExp(
      `^tracer: ${processes} processes, ${processes} execs, 0 failed execs, ${FALSE} non-zero exits, [\\d.]+ m?s$`,
    ),
  ); // no signal, nothing lost: the line leaves them out
  expect(r.exitCode).toBe(1);
});
