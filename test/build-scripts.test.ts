// The build scripts on machines unlike this one. CI once failed in 4 s with no word from the
// build: on a host with many libraries `ldconfig -p` outgrows a pipe buffer, the awk that took
// the first libbpf line exited early, ldconfig died of SIGPIPE and `pipefail` ended the script
// silently. These run the real scripts (root: a private mount namespace) and check the outcome
// against the system's own files.
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "tracer-build-"));
}

test("build-bpf.sh finds libbpf in an ldconfig listing far larger than a pipe buffer", () => {
  const dir = tempDir();
  try {
    // The real listing, then 400 KiB of other libraries after it (where an early exit hurts).
    const fake = join(dir, "ldconfig");
    writeFileSync(
      fake,
      `#!/bin/bash
"${join(dir, "ldconfig.real")}" "$@"
for i in $(seq 1 5000); do printf '\\tlibother%d.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libother%d.so.1.2.3.4.5.6\\n' $i $i; done
`,
    );
    chmodSync(fake, 0o755);
    writeFileSync(join(dir, "ldconfig.real"), readFileSync("/sbin/ldconfig"));
    chmodSync(join(dir, "ldconfig.real"), 0o755);
    const lib = join(dir, "lib");
    const r = Bun.spawnSync(
      ["unshare", "-m", "bash", "-c", `mount --bind "${fake}" /sbin/ldconfig && exec bash scripts/build-bpf.sh --libs-only`],
      { cwd: ROOT, env: { ...process.env, LIB_DIR: lib } },
    );
    const listing = Bun.spawnSync(["bash", "-c", `"${fake}" -p | wc -c`]).stdout.toString();
    expect(Number(listing)).toBeGreaterThan(256 * 1024);
    expect({ code: r.exitCode, stderr: r.stderr.toString() }).toMatchObject({ code: 0 });
    // Ground truth: the files the dynamic loader itself resolves for libbpf.
    const ldd = Bun.spawnSync(["bash", "-c", "ldd $(/sbin/ldconfig -p | awk '$1==\"libbpf.so.1\"{p=$NF} END{print p}')"]).stdout.toString();
    const libbpf = Bun.spawnSync(["bash", "-c", "/sbin/ldconfig -p | awk '$1==\"libbpf.so.1\" && !p {p=$NF} END{print p}'"]).stdout.toString().trim();
    const want: Record<string, string> = { "libbpf.so.1": libbpf };
    for (const m of ldd.matchAll(/^\s*(libelf\.so\.1|libz\.so\.1) => (\S+)/gm)) want[m[1]!] = m[2]!;
    expect(Object.keys(want).sort()).toEqual(["libbpf.so.1", "libelf.so.1", "libz.so.1"]);
    for (const [name, path] of Object.entries(want)) {
      expect(Buffer.compare(readFileSync(join(lib, name)), readFileSync(realpathSync(path)))).toBe(0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

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

describe("kernels/fetch.sh takes the package archive only from this machine's apt configuration", () => {
  // /etc/apt replaced in a mount namespace of the test's own: nothing global changes, nothing is fetched.
  const fetchWith = (sources: string) => {
    const r = Bun.spawnSync(["unshare", "-m", "--propagation", "private", "bash", "-c",
      `mount -t tmpfs none /etc/apt && mkdir /etc/apt/sources.list.d && printf %s "$1" > /etc/apt/sources.list && exec bash "$2" --extract "$3" bookworm:amd64 hello`,
      "sh", sources, join(ROOT, "scripts/kernels/fetch.sh"), join(tmpdir(), `tracer-fetch-${process.pid}`)], { stdout: "pipe", stderr: "pipe" });
    return { code: r.exitCode, err: r.stderr.toString() };
  };

  test("none configured: it says so and stops, naming no host of its own", () => {
    const r = fetchWith("");
    expect(r.err).toBe("fetch: error: this machine's apt configuration names no Debian archive (/etc/apt/sources.list, /etc/apt/sources.list.d/): add the one this machine should use\n");
    expect(r.code).toBe(1);
  });

  test("one configured: that one is used", () => {
    const r = fetchWith("deb file:///nonexistent-mirror/debian bookworm main\n");
    expect(r.err).toContain("fetch: apt-get update (bookworm/amd64 from file:///nonexistent-mirror/debian, private lists)\n");
    expect(r.code).toBe(1); // nothing there
  });
});
