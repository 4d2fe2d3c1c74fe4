// The build scripts on machines unlike this one, and when a step fails: the real scripts, checked
// against the system's own files.
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, realpathSync } from "node:fs";
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
      env: {
        ...process.env,
        BUN: "/bin/false",
        OUT_DIR: dir,
        LAYOUT_OUT: join(dir, "layout.gen.ts"),
        LIB_DIR: join(dir, "lib"),
      },
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
    const run = Bun.spawnSync(
      [process.execPath, "test", "./probe.test.ts", "--reporter=junit", `--reporter-outfile=${junit}`],
      { cwd: dir },
    );
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

describe("kernels/fetch.sh takes the package archive only from this machine's apt configuration", () => {
  // /etc/apt replaced in a mount namespace of the test's own: nothing global changes, nothing is fetched.
  const fetchWith = (sources: string) => {
    const r = Bun.spawnSync(
      [
        "unshare",
        "-m",
        "--propagation",
        "private",
        "bash",
        "-c",
        `mount -t tmpfs none /etc/apt && mkdir /etc/apt/sources.list.d && printf %s "$1" > /etc/apt/sources.list && exec bash "$2" --extract "$3" bookworm:amd64 hello`,
        "sh",
        sources,
        join(ROOT, "scripts/kernels/fetch.sh"),
        join(tmpdir(), `tracer-fetch-${process.pid}`),
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    return { code: r.exitCode, err: r.stderr.toString() };
  };

  test("none configured: it says so and stops, naming no host of its own", () => {
    const r = fetchWith("");
    expect(r.err).toBe(
      "fetch: error: this machine's apt configuration names no Debian archive (/etc/apt/sources.list, /etc/apt/sources.list.d/): add the one this machine should use\n",
    );
    expect(r.code).toBe(1);
  });

  test("one configured: that one is used", () => {
    const r = fetchWith("deb file:///nonexistent-mirror/debian bookworm main\n");
    expect(r.err).toContain(
      "fetch: apt-get update (bookworm/amd64 from file:///nonexistent-mirror/debian, private lists)\n",
    );
    expect(r.code).toBe(1); // nothing there
  });
});
