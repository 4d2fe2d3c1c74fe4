// The registry against the real runtimes (Debian's docker.io, containerd, podman): every field
// compared with what the runtime's own CLI reports (docker inspect, ctr info, podman inspect).
// Touches global state (daemons): run under the suite lock.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerMeta } from "../../src/containers/meta";
import { ContainerRegistry } from "../../src/containers/registry";
import { DOCKER, IMAGE, down, podmanUlimits, randomId, sh, up } from "./daemons";

const tag = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const made = { docker: [] as string[], podman: [] as string[], containerd: [] as string[] };
const diags: string[] = [];
let reg: ContainerRegistry;

beforeAll(async () => {
  await up();
  // A bound far above any answer time: these tests check what the runtimes say, not how fast.
  reg = new ContainerRegistry({ boundMs: 60_000, requestTimeoutMs: 60_000, diagnostic: (l) => diags.push(l) });
  expect((await reg.start()).sort()).toEqual(["containerd", "docker", "podman"]);
}, 600_000);

afterAll(async () => {
  reg?.close();
  for (const id of made.docker) sh([DOCKER, "rm", "-f", id]);
  for (const id of made.podman) sh(["podman", "rm", "-f", "-t", "0", id]);
  for (const id of made.containerd) removeCtr(id);
  await down();
}, 600_000); // a bound on absence only: a loaded host is slow

const none = { podName: "", podNamespace: "", podUID: "", podSandbox: false };

function dockerRun(args: string[], create = false): string {
  const id = sh([DOCKER, create ? "create" : "run", ...(create ? [] : ["-d"]), ...args, IMAGE.docker, "sleep", "600"]);
  made.docker.push(id);
  return id;
}

/** What docker inspect says, in the registry's shape: the digest is the repo digest when the
 * image has one, else the image id. */
function dockerTruth(id: string): ContainerMeta {
  const c = JSON.parse(sh([DOCKER, "inspect", id]))[0];
  const img = JSON.parse(sh([DOCKER, "image", "inspect", c.Image]))[0];
  const labels = c.Config.Labels ?? {};
  return {
    id: c.Id,
    runtime: "docker",
    name: c.Name.replace(/^\//, ""),
    image: c.Config.Image,
    imageDigest: (img.RepoDigests?.[0] ?? "").split("@")[1] ?? c.Image,
    podName: labels["io.kubernetes.pod.name"] ?? "",
    podNamespace: labels["io.kubernetes.pod.namespace"] ?? "",
    podUID: labels["io.kubernetes.pod.uid"] ?? "",
    podSandbox: labels["io.kubernetes.docker.type"] === "podsandbox",
  };
}

/** The id our events carry comes from the cgroup path: check the process's cgroup names it. */
function expectCgroupOf(pid: number, id: string): void {
  expect(pid).toBeGreaterThan(0);
  expect(readFileSync(`/proc/${pid}/cgroup`, "utf8")).toContain(id);
}

describe("docker", () => {
  test("docker run --name N: the name, image and id docker inspect reports", async () => {
    const name = `tracer-test-${tag}`;
    const id = dockerRun(["--name", name]);
    const truth = dockerTruth(id);
    expect(truth.name).toBe(name);
    expect(truth.image).toBe(IMAGE.docker);
    expectCgroupOf(JSON.parse(sh([DOCKER, "inspect", id]))[0].State.Pid, id);
    const meta = await reg.lookup(id);
    expect(meta).toEqual(truth);
    expect(reg.known(id)).toEqual(truth);
  });

  test("kubelet labels: pod name, namespace, uid; the sandbox container marked", async () => {
    const uid = crypto.randomUUID();
    const pod = [
      "--label",
      "io.kubernetes.pod.name=web-0",
      "--label",
      "io.kubernetes.pod.namespace=shop",
      "--label",
      `io.kubernetes.pod.uid=${uid}`,
    ];
    const sandbox = dockerRun([
      ...pod,
      "--label",
      "io.kubernetes.docker.type=podsandbox",
      "--label",
      "io.kubernetes.container.name=POD",
    ]);
    const app = dockerRun([
      ...pod,
      "--label",
      "io.kubernetes.docker.type=container",
      "--label",
      "io.kubernetes.container.name=app",
    ]);
    for (const id of [sandbox, app]) {
      const truth = dockerTruth(id);
      expect({ podName: truth.podName, podNamespace: truth.podNamespace, podUID: truth.podUID }).toEqual({
        podName: "web-0",
        podNamespace: "shop",
        podUID: uid,
      });
      expect(await reg.lookup(id)).toEqual(truth);
    }
    expect((await reg.lookup(sandbox))!.podSandbox).toBe(true);
    expect((await reg.lookup(app))!.podSandbox).toBe(false);
  });

  test("a container created but not started is known (its first exec can carry the name)", async () => {
    const id = dockerRun(["--name", `tracer-test-created-${tag}`], true);
    expect(JSON.parse(sh([DOCKER, "inspect", id]))[0].State.Status).toBe("created");
    expect(await reg.lookup(id)).toEqual(dockerTruth(id));
  });

  test("20 containers looked up at once: each gets its own name", async () => {
    const ids = Array.from({ length: 20 }, (_, i) => dockerRun(["--name", `tracer-test-many-${i}-${tag}`], true));
    const metas = await Promise.all(ids.map((id) => reg.lookup(id)));
    expect(metas).toEqual(ids.map(dockerTruth));
  });

  test("an id no runtime has: null, remembered as absent", async () => {
    const id = randomId();
    expect(await reg.lookup(id)).toBeNull();
    expect(reg.known(id)).toBeNull();
  });
});

// ---- containerd, directly (as kubelet's CRI plugin creates them: namespace k8s.io, 64-hex ids) ----

function ctrRun(labels: Record<string, string>): string {
  const id = randomId();
  const l = Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
  sh(["ctr", "-n", "k8s.io", "run", "-d", ...l, IMAGE.containerd, id, "sleep", "600"]);
  made.containerd.push(id);
  return id;
}

function removeCtr(id: string): void {
  const listed = (what: string) => sh(["ctr", "-n", "k8s.io", what, "ls", "-q"]).split("\n").includes(id);
  for (let i = 0; listed("tasks"); i++) {
    if (i === 50) throw new Error(`ctr: task ${id} does not go away`);
    spawnQuiet(["ctr", "-n", "k8s.io", "tasks", "rm", "-f", id]); // -f: SIGKILL first
    Bun.sleepSync(100);
  }
  if (listed("containers")) sh(["ctr", "-n", "k8s.io", "containers", "rm", id]);
}
const spawnQuiet = (args: string[]) => Bun.spawnSync(args, { stdout: "ignore", stderr: "ignore" }).exitCode;

/** What ctr says: labels and image from `ctr containers info`, the digest from `ctr images ls`. */
function ctrTruth(id: string): ContainerMeta {
  const c = JSON.parse(sh(["ctr", "-n", "k8s.io", "containers", "info", id]));
  const labels = c.Labels ?? {};
  const line = sh(["ctr", "-n", "k8s.io", "images", "ls"])
    .split("\n")
    .find((l) => l.split(/\s+/)[0] === c.Image)!;
  return {
    id: c.ID,
    runtime: "containerd",
    name: labels["io.kubernetes.container.name"] ?? "",
    image: c.Image,
    imageDigest: line.split(/\s+/)[2]!,
    podName: labels["io.kubernetes.pod.name"] ?? "",
    podNamespace: labels["io.kubernetes.pod.namespace"] ?? "",
    podUID: labels["io.kubernetes.pod.uid"] ?? "",
    podSandbox: labels["io.cri-containerd.kind"] === "sandbox",
  };
}

function ctrPid(id: string): number {
  const row = sh(["ctr", "-n", "k8s.io", "tasks", "ls"])
    .split("\n")
    .find((l) => l.startsWith(id));
  return Number(row?.split(/\s+/)[1] ?? 0);
}

describe("containerd (namespace k8s.io)", () => {
  test("kubelet-style container and its sandbox: name, image, digest, pod fields from containerd", async () => {
    const uid = crypto.randomUUID();
    const pod = {
      "io.kubernetes.pod.name": "db-1",
      "io.kubernetes.pod.namespace": "store",
      "io.kubernetes.pod.uid": uid,
    };
    const sandbox = ctrRun({ ...pod, "io.cri-containerd.kind": "sandbox" });
    const app = ctrRun({ ...pod, "io.cri-containerd.kind": "container", "io.kubernetes.container.name": "postgres" });
    expectCgroupOf(ctrPid(app), app);
    const truth = ctrTruth(app);
    expect(truth).toMatchObject({
      name: "postgres",
      image: IMAGE.containerd,
      podName: "db-1",
      podNamespace: "store",
      podUID: uid,
    });
    expect(truth.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await reg.lookup(app)).toEqual(truth);
    expect(await reg.lookup(sandbox)).toEqual(ctrTruth(sandbox));
    expect(reg.known(sandbox)!.podSandbox).toBe(true);
  });

  test("a container without labels: image from containerd, no name (containerd has none)", async () => {
    const id = ctrRun({});
    expect(await reg.lookup(id)).toEqual({ ...ctrTruth(id), ...none, name: "" });
  });
});

describe("podman", () => {
  test("podman run --name N: its name and image as podman inspect reports", async () => {
    const name = `tracer-test-pod-${tag}`;
    const id = sh([
      "podman",
      "run",
      "-d",
      "--network",
      "none",
      ...podmanUlimits(),
      "--name",
      name,
      IMAGE.podman,
      "sleep",
      "600",
    ]);
    made.podman.push(id);
    const c = JSON.parse(sh(["podman", "inspect", id]))[0];
    const img = JSON.parse(sh(["podman", "image", "inspect", c.Image]))[0];
    expect(c.Name).toBe(name);
    expect(c.ImageName).toBe(IMAGE.podman);
    expectCgroupOf(c.State.Pid, id);
    expect(await reg.lookup(id)).toEqual({
      id: c.Id,
      runtime: "podman",
      name: c.Name,
      image: c.ImageName,
      imageDigest: (img.RepoDigests?.[0] ?? "").split("@")[1] ?? c.Image,
      ...none,
    });
  });
});

describe("event streams", () => {
  test("a new container is asked about before anyone looks it up; a removed one is evicted", async () => {
    const evicted = new Map<string, () => void>();
    const r = new ContainerRegistry({
      boundMs: 60_000,
      requestTimeoutMs: 60_000,
      removalGraceMs: 0,
      onEvict: (id) => evicted.get(id)?.(),
    });
    // Each maker creates a container named `name` (containerd: by kubelet's label) without starting it.
    const makers: Record<string, (name: string) => string> = {
      docker: (name) => dockerRun(["--name", name], true),
      podman: (name) => {
        const id = sh([
          "podman",
          "create",
          "--network",
          "none",
          ...podmanUlimits(),
          "--name",
          name,
          IMAGE.podman,
          "sleep",
          "600",
        ]);
        made.podman.push(id);
        return id;
      },
      containerd: (name) => {
        const id = randomId();
        sh([
          "ctr",
          "-n",
          "k8s.io",
          "containers",
          "create",
          "--label",
          `io.kubernetes.container.name=${name}`,
          IMAGE.containerd,
          id,
          "sleep",
          "600",
        ]);
        made.containerd.push(id);
        return id;
      },
    };
    const removers: Record<string, (id: string) => void> = {
      docker: (id) => sh([DOCKER, "rm", "-f", id]),
      podman: (id) => sh(["podman", "rm", "-f", "-t", "0", id]),
      containerd: removeCtr,
    };
    const until = async (pred: () => boolean, ms: number) => {
      for (const end = performance.now() + ms; !pred(); await Bun.sleep(10)) if (performance.now() > end) return false;
      return true;
    };
    try {
      expect((await r.start()).sort()).toEqual(["containerd", "docker", "podman"]);
      for (const runtime of Object.keys(makers)) {
        // A watcher's subscription goes live some time after start(), with no signal from
        // containerd: a creation or removal it missed is tried again with a new container.
        for (let attempt = 1; ; attempt++) {
          if (attempt > 10) throw new Error(`${runtime}: the event stream showed nothing in 10 attempts`);
          const name = `tracer-test-ev-${attempt}-${tag}`;
          const id = makers[runtime]!(name);
          if (!(await until(() => r.known(id) !== undefined, 3000))) continue;
          expect(r.known(id)).toMatchObject({ id, runtime, name });
          const gone = new Promise<void>((resolve) => evicted.set(id, resolve));
          removers[runtime]!(id);
          if (!(await until(() => r.known(id) === undefined, 3000))) continue;
          await gone;
          expect(await r.lookup(id)).toBeNull(); // asked again: no runtime has it now
          break;
        }
      }
    } finally {
      r.close();
    }
  });
});

describe("runtimes that cannot be asked", () => {
  test("sockets missing or not sockets: null for a running container, one diagnostic line per runtime", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tracer-nosock-"));
    writeFileSync(join(dir, "file.sock"), "");
    const lines: string[] = [];
    const r = new ContainerRegistry({
      dockerSocket: join(dir, "docker.sock"),
      podmanSocket: join(dir, "file.sock"),
      containerdSocket: join(dir, "containerd.sock"),
      diagnostic: (l) => lines.push(l),
    });
    try {
      const id = dockerRun([]);
      for (let i = 0; i < 20; i++) expect(await r.lookup(i % 2 ? id : randomId())).toBeNull();
      expect(lines.length).toBe(3);
      expect(
        lines.find((l) => l.startsWith(`docker (${dir}/docker.sock): No such file or directory (ENOENT)`)),
      ).toBeDefined();
      expect(
        lines.find((l) => l.startsWith(`containerd (${dir}/containerd.sock): No such file or directory (ENOENT)`)),
      ).toBeDefined();
      expect(
        lines.find((l) => l.startsWith(`podman (${dir}/file.sock): Connection refused (ECONNREFUSED)`)),
      ).toBeDefined();
    } finally {
      r.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("with every runtime up, the registry said nothing", () => {
    expect(diags).toEqual([]);
  });
});
