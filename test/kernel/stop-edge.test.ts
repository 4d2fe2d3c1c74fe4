// The trace ends at one instant for every event kind: at stop, no exit is recorded whose fork was
// not (a process created during the shutdown has neither), while a process still running at stop
// has its fork and no exit, as anywhere. Provoked: a spawn storm runs through each stop.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arg, fixture, parseLine, TRACER, type Json } from "./harness";

const dir = mkdtempSync(join(tmpdir(), "tracer-stop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("30 stops in the middle of a spawn and thread storm: every exit of a task started after ready has its fork", async () => {
  const storm = fixture("storm");
  const threads = fixture("threadstorm");
  const orphans: string[] = [];
  let exits = 0;
  for (let round = 0; round < 30; round++) {
    // processes (spawned, exec'd, exited) and threads (created, exited), thousands a second
    const storms = [
      Bun.spawn([storm, "100000000", "/bin/true"], { stdout: "ignore" }),
      Bun.spawn([threads], { stdout: "ignore" }),
      Bun.spawn([threads], { stdout: "ignore" }),
    ];
    const out = join(dir, `r${round}.jsonl`);
    // the whole system (a --pid-tree follows children through the fork program: a missed fork
    // would hide the exit too), the storms' children picked out below
    const t = Bun.spawn([TRACER, "--json", "-o", out], { stdout: "ignore", stderr: "pipe" });
    const parents = new Set(storms.map((s) => s.pid));
    const reader = t.stderr.getReader();
    let err = "";
    while (!err.includes("ready\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      err += new TextDecoder().decode(value);
    }
    const readyNs = BigInt(Date.now()) * 1_000_000n;
    await Bun.sleep(1000); // the storm runs traced for a while
    t.kill("SIGTERM");
    await t.exited; // the storm goes on through the whole shutdown
    for (const s of storms) s.kill("SIGKILL");
    await Promise.all(storms.map((s) => s.exited));
    const events: Json[] = readFileSync(out, "utf8").trim().split("\n").filter(Boolean).map(parseLine);
    const forked = new Set(
      events.filter((e) => e.eventName === "sched_process_fork").map((e) => arg(e, "child_thread_entity_id")),
    );
    for (const e of events) {
      const child =
        parents.has(e.hostParentProcessId) || (parents.has(e.hostProcessId) && e.hostThreadId !== e.hostProcessId);
      if (e.eventName !== "sched_process_exit" || !child) continue;
      exits++;
      // started well after the tracer was ready (its clock and ours agree within milliseconds)
      if (BigInt(e.threadStartTime) > readyNs + 100_000_000n && !forked.has(e.threadEntityId))
        orphans.push(`round ${round}: exit of ${e.hostThreadId} without its fork`);
    }
  }
  expect(orphans).toEqual([]);
  expect(exits).toBeGreaterThan(0); // the storm was traced
}, 600_000);
