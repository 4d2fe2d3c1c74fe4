// The type checker passes over everything (src, ffi, scripts, test, bench): arg names and value
// types read through the schema's accessors are checked here (a misspelt name does not compile).
import { expect, test } from "bun:test";
import { join } from "node:path";

test("tsc --noEmit finds no type error", () => {
  const root = join(import.meta.dir, "..");
  const r = Bun.spawnSync([join(root, "node_modules", ".bin", "tsc"), "--noEmit", "-p", root], {
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(r.stdout.toString() + r.stderr.toString()).toBe("");
  expect(r.exitCode).toBe(0);
}, 600_000); // a bound on absence only: a loaded host is slow
