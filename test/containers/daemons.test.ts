// The container test set-up owns what it starts: when up() throws after starting containerd and
// dockerd (here podman's API service cannot start), it stops them before it throws. Starts
// daemons: run under the suite lock.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "tracer-daemons-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pids = (name: string) =>
  new Set(
    Bun.spawnSync(["pgrep", "-x", name], { stdout: "pipe" }).stdout.toString().split("\n").filter(Boolean).map(Number),
  );

test("up() that fails after starting containerd and dockerd leaves neither running", async () => {
  const before = { containerd: pids("containerd"), dockerd: pids("dockerd") };
  const fake = join(dir, "bin");
  Bun.spawnSync(["mkdir", "-p", fake]);
  writeFileSync(join(fake, "podman"), "#!/bin/sh\necho 'podman: cannot start (a stand-in)' >&2\nexit 1\n");
  chmodSync(join(fake, "podman"), 0o755);
  const r = Bun.spawnSync([process.execPath, join(import.meta.dir, "up-fails-child.ts")], {
    env: { ...process.env, PATH: `${fake}:${process.env.PATH}` },
    stdout: "pipe",
    stderr: "pipe",
  });
  // what it left, cleaned up before anything is asserted
  const left = (name: "containerd" | "dockerd") => [...pids(name)].filter((p) => !before[name].has(p));
  const leftover = { containerd: left("containerd"), dockerd: left("dockerd") };
  for (const p of [...leftover.dockerd, ...leftover.containerd]) {
    Bun.spawnSync(["kill", String(p)]);
    while (Bun.spawnSync(["kill", "-0", String(p)], { stderr: "ignore" }).exitCode === 0) await Bun.sleep(50);
  }
  expect(r.stdout.toString()).toMatch(/^threw: podman did not come up/);
  expect(leftover).toEqual({ containerd: [], dockerd: [] });
  // it did start them (else this proves nothing): their logs were in its log directory, now removed
  expect(before.containerd.size + before.dockerd.size).toBe(0);
}, 600_000);
