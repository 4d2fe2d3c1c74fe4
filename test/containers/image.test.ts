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
let names = 0;

beforeAll(async () => {
  await up();
  const r = spawnSync(["bash", "scripts/image.sh"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`npm run image: ${r.stderr.toString()}`);
}, 600_000);

afterAll(async () => {
  await down();
}, 600_000); // a bound on absence only: a loaded host is slow

test("the image's files: /tracer, the dynamic loader and the libraries ldd names, nothing else", () => {
  const id = sh([DOCKER, "create", image]);
  try {
    const exported = spawnSync([DOCKER, "export", id], { stdout: "pipe" }).stdout;
    const files = spawnSync(["tar", "-t"], { stdin: exported, stdout: "pipe" })
      .stdout.toString()
      .split("\n")
      .filter((f) => f !== "" && !f.endsWith("/"));
    // What the loader maps for ./tracer, as ldd on this machine says (the image resolves links).
    const ldd = sh(["ldd", join(ROOT, "tracer")])
      .split("\n")
      .map((l) => /(?:=> )?(\/\S+) \(/.exec(l)?.[1])
      .filter((p): p is string => !!p);
    // docker adds its own: /.dockerenv and the /etc files it bind-mounts at run time.
    const ours = files.filter((f) => f !== ".dockerenv" && !f.startsWith("etc/") && !f.startsWith("dev/"));
    expect(ours.sort()).toEqual(["tracer", ...ldd.map((p) => p.slice(1))].sort());
  } finally {
    sh([DOCKER, "rm", id]);
  }
});

/** Run the image as docs/containers.md shows (--pid=host) with `args`, do `act`, stop it once `until` holds
 * for the execs seen; those execs. */
async function traceInImage(
  args: string[],
  act: () => Promise<void>,
  until: (execs: Json[]) => boolean,
): Promise<Json[]> {
  // A name of its own, removed whatever happens (a timed-out run must not leave it to the next).
  const name = `tracer-image-test-${process.pid}-${++names}`;
  // --privileged is what docs/containers.md shows; here the host's capability bounding set may lack
  // some (CAP_SYS_RESOURCE), which --privileged asks for: name the ones the tracer needs.
  const proc = spawn(
    [
      DOCKER,
      "run",
      "--rm",
      "--name",
      name,
      "--cap-add",
      "SYS_ADMIN",
      "--cap-add",
      "SYS_PTRACE",
      "--security-opt",
      "seccomp=unconfined",
      "--security-opt",
      "apparmor=unconfined",
      "--pid=host",
      "--cgroupns=host",
      "-v",
      "/sys/kernel/btf:/sys/kernel/btf:ro",
      "-v",
      "/sys/kernel/tracing:/sys/kernel/tracing",
      image,
      "--json",
      "-e",
      "sched_process_exec",
      ...args,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  let out = "";
  let err = "";
  let started = false;
  try {
    const dec = new TextDecoder();
    (async () => {
      for await (const c of proc.stdout) out += dec.decode(c, { stream: true });
    })();
    const ready = (async () => {
      for await (const c of proc.stderr) {
        err += dec.decode(c);
        if (err.includes("ready\n")) return true;
      }
      return false;
    })();
    started = await Promise.race([ready, proc.exited.then(() => false)]);
    if (started) {
      await act();
      while (!until(execs(out))) await Bun.sleep(20);
    }
  } finally {
    spawnSync([DOCKER, "stop", "-t", "5", name], { stdout: "ignore", stderr: "ignore" });
    spawnSync([DOCKER, "rm", "-f", name], { stdout: "ignore", stderr: "ignore" });
    await proc.exited;
  }
  expect(started).toBe(true);
  expect(err).not.toContain("pids are not visible"); // it found the host's mount namespace
  return execs(out);
}

const execs = (out: string) => out.split("\n").slice(0, -1).map(parseLine);

/** The argv of an exec of /bin/true (not, say, the docker client's, whose argv holds the marker too). */
const argv = (e: Json): string[] => {
  const v: string[] = (e.args as Json[]).find((a) => a.name === "argv")?.value ?? [];
  return v[0] === "/bin/true" ? v : [];
};
const hostExec = async (m: string) => {
  const p = spawn(["/bin/true", m]);
  await p.exited;
  return p.pid;
};
/** A container that runs /bin/true m to its end; its id from docker inspect. */
const containerExec = (m: string) => {
  const cid = sh([DOCKER, "run", "-d", "--network", "none", IMAGE.docker, "/bin/true", m]);
  sh([DOCKER, "wait", cid]);
  const id = JSON.parse(sh([DOCKER, "inspect", cid]))[0].Id as string;
  sh([DOCKER, "rm", cid]);
  return id;
};

test("run under Docker, it traces a host exec and a container's exec", async () => {
  const m = marker("image");
  let pid = 0;
  let id = "";
  const execs = await traceInImage(
    [],
    async () => {
      pid = await hostExec(m);
      id = containerExec(m);
    },
    (es) => es.filter((e) => argv(e).includes(m)).length >= 2,
  );
  const mine = execs.filter((e) => argv(e).includes(m));
  const [onHost, inContainer] = [mine.find((e) => e.containerId === ""), mine.find((e) => e.containerId !== "")];
  expect(onHost).toMatchObject({ hostProcessId: pid, executable: { path: realpathSync("/bin/true") } });
  expect(inContainer!.containerId).toBe(id);
}, 600_000); // a bound on absence only: a loaded host is slow

// --host/--container compare with the host's mount namespace, not the tracer container's own.
// Each run ends at an exec it must see, done after the ones it must not see (ring order).
test("run under Docker with --host: the host's exec, not the container's", async () => {
  const [m, end] = [marker("host"), marker("host-end")];
  let pid = 0;
  const execs = await traceInImage(
    ["--host"],
    async () => {
      pid = await hostExec(m);
      containerExec(m);
      await hostExec(end);
    },
    (es) => es.some((e) => argv(e).includes(end)),
  );
  const mine = execs.filter((e) => argv(e).includes(m));
  expect(mine.map((e) => [e.hostProcessId, e.containerId])).toEqual([[pid, ""]]);
}, 600_000); // a bound on absence only: a loaded host is slow

test("run under Docker with --container: the container's exec, not the host's", async () => {
  const [m, end] = [marker("ctr"), marker("ctr-end")];
  let id = "";
  const execs = await traceInImage(
    ["--container"],
    async () => {
      await hostExec(m);
      id = containerExec(m);
      containerExec(end);
    },
    (es) => es.some((e) => argv(e).includes(end)),
  );
  const mine = execs.filter((e) => argv(e).includes(m));
  expect(mine.map((e) => e.containerId)).toEqual([id]);
}, 600_000); // a bound on absence only: a loaded host is slow

test("run under Docker without --pid=host, --host says in one line that it compares with its own mount namespace", () => {
  const r = spawnSync(
    [
      DOCKER,
      "run",
      "--rm",
      "--cap-add",
      "SYS_ADMIN",
      "--cap-add",
      "SYS_PTRACE",
      "--security-opt",
      "seccomp=unconfined",
      "--security-opt",
      "apparmor=unconfined",
      "-v",
      "/sys/kernel/btf:/sys/kernel/btf:ro",
      "-v",
      "/sys/kernel/tracing:/sys/kernel/tracing",
      image,
      "--host",
      "-e",
      "sched_process_exec",
      "--",
      "/tracer",
      "--version",
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  expect(r.exitCode).toBe(0);
  expect(
    r.stderr
      .toString()
      .split("\n")
      .filter((l) => l.includes("pids are not visible")),
  ).toEqual([
    "tracer: the host's pids are not visible here (run with --pid=host): --host/--container compare with the tracer's own mount namespace",
  ]);
}, 600_000); // a bound on absence only: a loaded host is slow
