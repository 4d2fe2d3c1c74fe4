// The build scripts on machines unlike this one. CI once failed in 4 s with no word from the
// build: on a host with many libraries `ldconfig -p` outgrows a pipe buffer, the awk that took
// the first libbpf line exited early, ldconfig died of SIGPIPE and `pipefail` ended the script
// silently. These run the real scripts (root: a private mount namespace) and check the outcome
// against the system's own files.
import { expect, test } from "bun:test";
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
