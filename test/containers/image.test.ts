// `npm run image`: the image holds ./tracer and the loader's glibc files only, and run under
// Docker it traces the host: a host exec (pid and argv known to the test) and a container's
// exec (id from docker inspect). Loads BPF and uses dockerd: run under the suite lock.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn, spawnSync } from "bun";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { ROOT, marker, parseLine, type Json } from "../kernel/harness";
import { DOCKER, IMAGE, down, sh, up } from "./daemons";

const version = JSON.parse(await Bun.file(join(ROOT, "package.json")).text()).version as string;
const image = `tracer:${version}`;
const name = `tracer-image-test-${process.pid}`;

beforeAll(async () => {
  await up();
  const r = spawnSync(["bash", "scripts/image.sh"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`npm run image: ${r.stderr.toString()}`);
}, 600_000);

afterAll(async () => {
  spawnSync([DOCKER, "rm", "-f", name], { stdout: "ignore", stderr: "ignore" });
  await down();
}, 120_000);

test("the image's files: /tracer, the dynamic loader and the libraries ldd names, nothing else", () => {
  const id = sh([DOCKER, "create", image]);
  try {
    const exported = spawnSync([DOCKER, "export", id], { stdout: "pipe" }).stdout;
    const files = spawnSync(["tar", "-t"], { stdin: exported, stdout: "pipe" }).stdout.toString().split("\n").filter((f) => f !== "" && !f.endsWith("/"));
    // What the loader maps for ./tracer, as ldd on this machine says (the image resolves links).
    const ldd = sh(["ldd", join(ROOT, "tracer")]).split("\n").map((l) => /(?:=> )?(\/\S+) \(/.exec(l)?.[1]).filter((p): p is string => !!p);
    // docker adds its own: /.dockerenv and the /etc files it bind-mounts at run time.
    const ours = files.filter((f) => f !== ".dockerenv" && !f.startsWith("etc/") && !f.startsWith("dev/"));
    expect(ours.sort()).toEqual(["tracer", ...ldd.map((p) => p.slice(1))].sort());
  } finally {
    sh([DOCKER, "rm", id]);
  }
});

test("run under Docker, it traces a host exec and a container's exec", async () => {
  // --privileged is what the README shows; here the host's capability bounding set may lack
  // some (CAP_SYS_RESOURCE), which --privileged asks for: name the ones the tracer needs.
  const proc = spawn(
    [DOCKER, "run", "--rm", "--name", name, "--cap-add", "SYS_ADMIN", "--cap-add", "SYS_PTRACE", "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
      "--pid=host", "--cgroupns=host", "-v", "/sys/kernel/btf:/sys/kernel/btf:ro", "-v", "/sys/kernel/tracing:/sys/kernel/tracing", image, "--json", "-e", "sched_process_exec"],
    { stdout: "pipe", stderr: "pipe" },
  );
  let out = "";
  let err = "";
  const dec = new TextDecoder();
  (async () => { for await (const c of proc.stdout) out += dec.decode(c, { stream: true }); })();
  const ready = (async () => { for await (const c of proc.stderr) { err += dec.decode(c); if (err.includes("ready\n")) return true; } return false; })();
  expect(await Promise.race([ready, proc.exited.then(() => false)])).toBe(true);

  const m = marker("image");
  const host = spawn(["/bin/true", m]);
  await host.exited;
  const cid = sh([DOCKER, "run", "-d", IMAGE.docker, "/bin/true", m]);
  const until = async (pred: () => boolean) => { while (!pred()) await Bun.sleep(20); };
  const execs = () => out.split("\n").slice(0, -1).map(parseLine).filter((e: Json) => (e.args as Json[]).find((a) => a.name === "argv")?.value?.includes(m));
  await until(() => execs().length >= 2);
  spawnSync([DOCKER, "stop", "-t", "5", name], { stdout: "ignore", stderr: "ignore" });
  await proc.exited;
  const [onHost, inContainer] = [execs().find((e) => e.containerId === ""), execs().find((e) => e.containerId !== "")];
  expect(onHost).toMatchObject({ hostProcessId: host.pid, executable: { path: realpathSync("/bin/true") } });
  expect(inContainer!.containerId).toBe(JSON.parse(sh([DOCKER, "inspect", cid]))[0].Id);
  sh([DOCKER, "rm", cid]);
}, 120_000);
