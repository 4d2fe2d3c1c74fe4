// The build scripts on machines unlike this one, and when a step fails: the real scripts, checked
// against the system's own files.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "tracer-build-"));
}

test("a failing step in build-bpf.sh names itself on stderr", () => {
  const dir = tempDir();
  try {
    // A bun that cannot run: the layout step fails after clang and bpftool succeeded.
    const r = Bun.spawnSync(["bash", "scripts/build-bpf.sh"], {
      cwd: ROOT,
      env: { ...process.env, BUN: "/bin/false", OUT_DIR: dir, LAYOUT_OUT: join(dir, "layout.gen.ts"), LIB_DIR: join(dir, "lib") },
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr.toString()).toMatch(/^build-bpf: error: line \d+: `"\$BUN" .*` failed \(exit 1\)$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("junit-failures.ts names each failed test of a real bun junit report, and nothing else", () => {
  const dir = tempDir();
  try {
    writeFileSync(
      join(dir, "probe.test.ts"),
      `import { describe, expect, test } from "bun:test";
describe("group <a> & \\"b\\"", () => {
  test("passes", () => {});
  test("fails with 41", () => { expect(40 + 1).toBe(42); });
});
`,
    );
    const junit = join(dir, "junit.xml");
    const run = Bun.spawnSync([process.execPath, "test", "./probe.test.ts", "--reporter=junit", `--reporter-outfile=${junit}`], { cwd: dir });
    expect(run.exitCode).toBe(1);
    const r = Bun.spawnSync([process.execPath, join(ROOT, "scripts/junit-failures.ts"), junit]);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.toString().split("\n");
    expect(lines[0]).toBe('FAILED: probe.test.ts > group <a> & "b" > fails with 41');
    expect(lines.filter((l) => l.startsWith("FAILED") || l.startsWith("SKIPPED"))).toHaveLength(1);
    expect(r.stdout.toString()).toContain("Received: 41");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
