// Test setup for the container runtimes: installs Debian's docker.io, podman and busybox-static
// when missing, starts containerd, dockerd and podman's API service when none answers (and stops
// only what it started), and imports a tiny busybox image into each, offline.
import { spawn, spawnSync, type Subprocess } from "bun";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SOCKETS = {
  docker: "/var/run/docker.sock",
  podman: "/run/podman/podman.sock",
  containerd: "/run/containerd/containerd.sock",
};
/** The test image, as each runtime names it once imported. */
export const IMAGE = {
  docker: "tracer-test-busybox:1",
  podman: "localhost/tracer-test-busybox:1",
  containerd: "docker.io/library/tracer-test-busybox:1",
};

/** Run a command; its stdout (trimmed). Throws with its stderr when it fails. */
export function sh(args: string[], opts: { stdin?: Uint8Array } = {}): string {
  const r = spawnSync(args, { stdout: "pipe", stderr: "pipe", stdin: opts.stdin });
  if (r.exitCode !== 0) throw new Error(`${args.join(" ")}: exit ${r.exitCode}: ${r.stderr.toString().trim()}`);
  return r.stdout.toString().trim();
}
const ok = (args: string[]) => spawnSync(args, { stdout: "ignore", stderr: "ignore" }).exitCode === 0;

/** Debian's docker client, not another one that may come first in PATH. */
export const DOCKER = "/usr/bin/docker";

function installMissing(): void {
  const need: string[] = [];
  if (!existsSync("/usr/sbin/dockerd") || !existsSync(DOCKER)) need.push("docker.io");
  if (!existsSync("/usr/bin/ctr")) need.push("containerd");
  if (!existsSync("/usr/bin/podman")) need.push("podman");
  if (!existsSync("/bin/busybox")) need.push("busybox-static");
  if (need.length === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const apt = (args: string[]) => {
    const r = spawnSync(["apt-get", "-o", "DPkg::Lock::Timeout=600", ...args], {
      env,
      stdout: "ignore",
      stderr: "pipe",
    });
    if (r.exitCode !== 0) throw new Error(`apt-get ${args.join(" ")}: ${r.stderr.toString().trim()}`);
  };
  apt(["update", "-qq"]);
  apt(["install", "-y", "-qq", "--no-install-recommends", ...need]);
}

/** Daemons started here, stopped by down() in reverse order. */
const started: { name: string; proc: Subprocess }[] = [];
let users = 0;
let logDir = "";

async function startDaemon(name: string, args: string[], answers: () => boolean | Promise<boolean>): Promise<void> {
  if (await answers()) return;
  const log = join(logDir, `${name}.log`);
  const proc = spawn(args, { stdin: "ignore", stdout: "ignore", stderr: Bun.file(log) });
  started.push({ name, proc });
  for (let i = 0; i < 600; i++) {
    if (await answers()) return;
    if (proc.exitCode !== null) break;
    await Bun.sleep(100);
  }
  throw new Error(`${name} did not come up: ${readFileSync(log, "utf8").split("\n").slice(-5).join("\n")}`);
}

async function pingPodman(): Promise<boolean> {
  try {
    const r = await fetch("http://d/_ping", { unix: SOCKETS.podman } as RequestInit);
    return r.status === 200 && (await r.text()) === "OK";
  } catch {
    return false;
  }
}

/** A root file system of busybox-static with a few applets, as a tarball. */
function busyboxTar(): string {
  const root = join(logDir, "rootfs");
  mkdirSync(join(root, "bin"), { recursive: true });
  copyFileSync("/bin/busybox", join(root, "bin", "busybox"));
  for (const a of ["sh", "sleep", "true", "cat"]) symlinkSync("busybox", join(root, "bin", a));
  const tar = join(logDir, "busybox.tar");
  sh(["tar", "-C", root, "-cf", tar, "."]);
  return tar;
}

function importImages(): void {
  let tar: string | null = null;
  const rootfs = () => (tar ??= busyboxTar());
  if (!ok([DOCKER, "image", "inspect", IMAGE.docker]))
    sh([DOCKER, "import", "-c", 'CMD ["/bin/sh"]', rootfs(), IMAGE.docker]);
  if (!ok(["podman", "image", "exists", IMAGE.podman])) sh(["podman", "import", rootfs(), IMAGE.podman]);
  if (!sh(["ctr", "-n", "k8s.io", "images", "ls", "-q"]).split("\n").includes(IMAGE.containerd)) {
    const saved = join(logDir, "busybox-docker.tar");
    sh([DOCKER, "save", "-o", saved, IMAGE.docker]);
    sh(["ctr", "-n", "k8s.io", "images", "import", saved]);
  }
}

/** Everything up: packages, the three daemons, the test image in each. */
export async function up(): Promise<void> {
  users++;
  try {
    if (logDir === "") logDir = mkdtempSync(join(tmpdir(), "tracer-daemons-"));
    installMissing();
    await startDaemon("containerd", ["containerd"], () => ok(["ctr", "version"]));
    await startDaemon("dockerd", ["dockerd", "--containerd", SOCKETS.containerd], () => ok([DOCKER, "info"]));
    mkdirSync("/run/podman", { recursive: true });
    await startDaemon("podman", ["podman", "system", "service", "--time=0", `unix://${SOCKETS.podman}`], pingPodman);
    importImages();
  } catch (e) {
    await down(); // what this call started is stopped whatever fails after it (no caller's down() will run)
    throw e;
  }
}

/** Stop what up() started, when the last user is done. */
export async function down(): Promise<void> {
  if (--users > 0) return;
  for (const { proc } of started.splice(0).reverse()) {
    proc.kill("SIGTERM");
    await proc.exited;
  }
  rmSync(logDir, { recursive: true, force: true });
  logDir = "";
}

/** --ulimit flags podman can always set: by default it asks for more than a root without
 * CAP_SYS_RESOURCE (as in some CI containers) may set, and its own conmon runs with a lower
 * RLIMIT_NPROC than its caller. The test containers only run `sleep`. */
export function podmanUlimits(): string[] {
  return ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];
}

/** A fresh random 64-hex id (containerd lets the caller choose; kubelet's CRI uses such ids). */
export function randomId(): string {
  return new Bun.CryptoHasher("sha256").update(crypto.getRandomValues(new Uint8Array(32))).digest("hex");
}
