// The landed ./tracer on an older userland: a bare Debian 11 root file system (glibc 2.31, made
// with debootstrap from this machine's Debian mirror, cached under /var/cache/tracer-rootfs),
// entered with chroot in a private mount namespace. It traces an exec there against what the
// child itself reports; on a glibc below the floor it says so in one line and exits 1.
import { beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareVersions, GLIBC_FLOOR } from "../../src/session/glibc.ts";

const ROOT = join(import.meta.dir, "../..");
const BIN = process.env.TRACER_BIN ?? join(ROOT, "tracer");
const CACHE = process.env.TRACER_ROOTFS_CACHE ?? "/var/cache/tracer-rootfs";
const ARCH = process.arch === "arm64" ? "arm64" : "amd64";
const RFS = join(CACHE, `bullseye-${ARCH}`);

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run scripts/build.sh`);
  // Made once (a few minutes), then reused.
  const r = Bun.spawnSync(["bash", "scripts/kernels/fetch.sh", "--debootstrap", RFS, "bullseye"], {
    cwd: ROOT,
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`debootstrap of bullseye failed: ${r.stderr.toString()}`);
}, 1_800_000);

/**
 * Run `sh -c SCRIPT` in a private mount namespace where RFS has /proc, /sys (BTF, tracefs, bpffs
 * under it), /dev and ./tracer at /tracer, plus MOUNTS ("SRC DST" bind mounts), then chroot.
 */
function inRootfs(script: string, mounts: string[] = []): { code: number; stdout: string; stderr: string } {
  const setup = [
    `mount -t proc proc "$R/proc"`,
    `mount --rbind /sys "$R/sys"`,
    `mount --rbind /dev "$R/dev"`,
    `touch "$R/tracer" && mount --bind "$BIN" "$R/tracer"`,
    ...mounts.map(
      (m) =>
        `mount --bind ${m
          .split(" ")
          .map((p, i) => (i === 1 ? `"$R${p}"` : `"${p}"`))
          .join(" ")}`,
    ),
    `exec chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /bin/sh -c "$0"`,
  ].join(" && ");
  const r = Bun.spawnSync(["unshare", "-m", "--propagation", "private", "sh", "-c", setup, script], {
    env: { ...process.env, R: RFS, BIN },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

test("the rootfs is Debian 11's userland with glibc 2.31 (from its own package database)", () => {
  expect(readFileSync(join(RFS, "etc/debian_version"), "utf8")).toMatch(/^11\./);
  const status = readFileSync(join(RFS, "var/lib/dpkg/status"), "utf8");
  const libc6 = status.split("\n\n").find((p) => /^Package: libc6$/m.test(p))!;
  expect(libc6).toMatch(/^Version: 2\.31-/m);
});

test("./tracer traces an exec inside Debian 11 against what the child reports", () => {
  const dir = mkdtempSync(join(RFS, "tmp/tracer-old-glibc-"));
  const inside = dir.slice(RFS.length);
  try {
    const r = inRootfs(
      `/tracer --json -o ${inside}/events.jsonl -- /bin/sh -c 'echo $$ > ${inside}/pid; exec /usr/bin/env TRACER_PROBE=old-glibc /bin/true'` +
        ` && readlink -f /usr/bin/env > ${inside}/env-path`,
    );
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    const pid = Number(readFileSync(join(dir, "pid"), "utf8"));
    const envPath = readFileSync(join(dir, "env-path"), "utf8").trim();
    const execs = readFileSync(join(dir, "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((e) => e.eventName === "sched_process_exec" && e.processId === pid) as Exec[];
    type Exec = { hostProcessId: number; args: { name: string; value: unknown }[] };
    const arg = (e: Exec, name: string) => e.args.find((a) => a.name === name)?.value;
    const env = execs.find((e) => arg(e, "cmdpath") === "/usr/bin/env");
    if (!env) throw new Error(`no exec of /usr/bin/env by pid ${pid}: ${JSON.stringify(execs)}`);
    expect(arg(env, "argv")).toEqual(["/usr/bin/env", "TRACER_PROBE=old-glibc", "/bin/true"]);
    // The file's path (as the kernel resolves it: from the real root, outside the chroot).
    expect([envPath, join(RFS, envPath)]).toContain(arg(env, "pathname") as string);
    expect(env.hostProcessId).toBe(pid); // no pid namespace: the same number
    // The shell before it and /bin/true after it, same pid, in that order.
    expect(execs.map((e) => (arg(e, "argv") as string[])[0])).toEqual(["/bin/sh", "/usr/bin/env", "/bin/true"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("below the glibc floor: one line naming the versions, exit 1, nothing else", () => {
  // Debian 11's own libc.so.6 made to say it is older than the floor: its version strings
  // ("glibc 2.31" for confstr; gnu_get_libc_version returns its tail, merged by the linker; and
  // "NPTL 2.31") rewritten in a copy bound over it. Every symbol is still there, so only the
  // version check can refuse.
  const lib = join(RFS, `lib/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu/libc-2.31.so`);
  const bytes = readFileSync(lib);
  const old = "2.19";
  expect(compareVersions(old, GLIBC_FLOOR)).toBeLessThan(0);
  for (const prefix of ["glibc ", "NPTL "]) {
    const from = Buffer.from(`\x00${prefix}2.31\x00`);
    const at = bytes.indexOf(from);
    expect({ prefix, found: at > 0, again: bytes.indexOf(from, at + 1) }).toEqual({ prefix, found: true, again: -1 });
    Buffer.from(`\x00${prefix}${old}\x00`).copy(bytes, at);
  }
  const dir = mkdtempSync(join(RFS, "tmp/tracer-old-glibc-"));
  try {
    writeFileSync(join(dir, "libc.so.6"), bytes);
    const mounts = [`${join(dir, "libc.so.6")} ${lib.slice(RFS.length)}`];
    // Ground truth from another program on that libc: getconf (libc-bin) asks confstr.
    expect(inRootfs("getconf GNU_LIBC_VERSION", mounts)).toEqual({ code: 0, stdout: `glibc ${old}\n`, stderr: "" });
    const r = inRootfs(`/tracer --json -- /bin/true`, mounts);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr: `tracer: glibc ${old} found, ${GLIBC_FLOOR} or later needed: run tracer on a newer distribution (RHEL 8, Amazon Linux 2, Ubuntu 18.04, Debian 10 or later)\n`,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
