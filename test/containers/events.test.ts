// Containers in the event path: every event of a container, runc's set-up before its first exec
// included, carries Tracee's container and kubernetes objects from its runtime (ground truth:
// docker inspect / docker events, ctr containers info, podman inspect), also in a storm of 200
// containers; ring order is kept while lookups are in flight, nothing is lost; a runtime that
// cannot be reached gives ids only and one line.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync, type Subprocess } from "bun";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DOCKER, down, IMAGE, podmanUlimits, randomId, sh, up } from "./daemons";
import { arg, marker, TracerRun, type Json } from "../kernel/harness";

beforeAll(up, 600_000);

const STORM = 200;
afterAll(down, 120_000);

/** Run a short container to its end; its id as docker inspect reports it. */
function runContainer(name: string, script: string, labels: string[] = [], remove = true): string {
  const id = sh([
    DOCKER,
    "run",
    "-d",
    "--network",
    "none",
    "--name",
    name,
    ...labels.flatMap((l) => ["--label", l]),
    IMAGE.docker,
    "/bin/sh",
    "-c",
    script,
  ]);
  sh([DOCKER, "wait", id]);
  const inspected = sh([DOCKER, "inspect", "--format", "{{.Id}}", name]);
  if (remove) sh([DOCKER, "rm", name]);
  return inspected;
}

/** `docker events` for container creations (id → name, image as Docker reports them), from a
 * moment known to be followed (a sentinel container's creation seen) to another. Docker keeps
 * only its last 256 events for --since: a storm's must be followed live. */
class DockerCreations {
  readonly seen = new Map<string, { name: string; image: string }>();
  private constructor(private readonly proc: Subprocess<"ignore", "pipe", "ignore">) {}

  static async follow(): Promise<DockerCreations> {
    // --since a moment before: the sentinel's creation may come before the CLI has subscribed
    // (a live-only stream then never shows it, and sync() waited forever under load).
    const since = (Date.now() / 1000 - 1).toFixed(3);
    const proc = spawn(
      [
        DOCKER,
        "events",
        "--since",
        since,
        "--filter",
        "type=container",
        "--filter",
        "event=create",
        "--format",
        "{{json .}}",
      ],
      { stdin: "ignore", stdout: "pipe", stderr: "ignore" },
    );
    const d = new DockerCreations(proc);
    (async () => {
      let buf = "";
      for await (const chunk of proc.stdout) {
        buf += new TextDecoder().decode(chunk);
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          const ev = JSON.parse(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          d.seen.set(ev.Actor.ID, { name: ev.Actor.Attributes.name, image: ev.Actor.Attributes.image });
        }
      }
    })();
    await d.sync();
    return d;
  }

  /** Returns once every creation before it has been read. */
  async sync(): Promise<void> {
    const id = sh([DOCKER, "create", "--network", "none", IMAGE.docker]);
    while (!this.seen.has(id)) await Bun.sleep(20);
    this.seen.delete(id);
    sh([DOCKER, "rm", id]);
  }

  async stop(): Promise<Map<string, { name: string; image: string }>> {
    await this.sync();
    this.proc.kill();
    await this.proc.exited;
    return this.seen;
  }
}

describe("container metadata on events", () => {
  test("docker run --name N: every event of the container names it, its image and its id, runc's set-up included", async () => {
    const t = await TracerRun.start(["--json", "--container"]);
    const m = marker("ctr");
    const name = `tracer-test-${Math.random().toString(36).slice(2, 10)}`;
    const id = runContainer(name, `true ${m}; /nonexistent-${m}; exit 3`, [
      "io.kubernetes.pod.name=web-0",
      "io.kubernetes.pod.namespace=shop",
      "io.kubernetes.pod.uid=u-1",
    ]);
    await t.waitFor((e) => e.eventName === "process_execute_failed" && JSON.stringify(e.args).includes(m));
    expect(await t.stop()).toBe(0);
    const evs = t.events().filter((e) => e.containerId === id);
    const execs = evs.filter((e) => e.eventName === "sched_process_exec");
    expect(execs.length).toBeGreaterThan(0);
    expect(arg(execs[0]!, "argv")).toEqual(["/bin/sh", "-c", `true ${m}; /nonexistent-${m}; exit 3`]); // the container's first exec
    expect(evs.indexOf(execs[0]!)).toBeGreaterThan(0); // after runc's set-up in the container (checked below too)
    for (const e of evs) {
      expect(e.container.id).toBe(id);
      expect(e.container.name).toBe(name);
      expect(e.container.image).toBe(IMAGE.docker);
      expect(e.kubernetes).toEqual({ podName: "web-0", podNamespace: "shop", podUID: "u-1" });
      expect(e.contextFlags.containerStarted).toBe(true);
      expect(e.containerMetadata).toBe("found");
    }
    expect(evs.some((e) => e.eventName === "process_execute_failed")).toBe(true);
    expect(evs.some((e) => e.eventName === "sched_process_exit" && arg(e, "exit_code") === 3)).toBe(true);
  }, 600_000); // a bound on absence only: a loaded host is slow

  test("ctr -n k8s.io run: every event carries containerd's name (kubelet's label) and image, from runc's set-up on", async () => {
    const t = await TracerRun.start(["--json", "--container"]);
    const m = marker("ctrd");
    const id = randomId();
    const name = `tracer-ctr-${Math.random().toString(36).slice(2, 8)}`;
    const labels = {
      "io.kubernetes.container.name": name,
      "io.kubernetes.pod.name": "db-0",
      "io.kubernetes.pod.namespace": "store",
      "io.kubernetes.pod.uid": crypto.randomUUID(),
    };
    const run = spawnSync(
      [
        "ctr",
        "-n",
        "k8s.io",
        "run",
        ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
        IMAGE.containerd,
        id,
        "/bin/sh",
        "-c",
        `true ${m}; /nonexistent-${m}; exit 3`,
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
    if (run.exitCode !== 3) throw new Error(`ctr run: exit ${run.exitCode}: ${run.stderr.toString().trim()}`); // the script's own exit
    // containerd's own account, while the container still exists (the task has ended)
    const info = JSON.parse(sh(["ctr", "-n", "k8s.io", "containers", "info", id]));
    sh(["ctr", "-n", "k8s.io", "containers", "rm", id]);
    await t.waitFor((e) => e.eventName === "process_execute_failed" && JSON.stringify(e.args).includes(m));
    expect(await t.stop()).toBe(0);
    const evs = t.events().filter((e) => e.containerId === id);
    expect(evs.length).toBeGreaterThan(0);
    expect(evs.find((e) => e.eventName === "sched_process_exec" && arg(e, "argv")[0] === "/bin/sh")).toBeDefined();
    for (const e of evs) {
      expect([e.eventName, e.containerMetadata]).toEqual([e.eventName, "found"]);
      expect(e.container).toMatchObject({
        id: info.ID,
        name: info.Labels["io.kubernetes.container.name"],
        image: info.Image,
      });
      expect(e.kubernetes).toEqual({
        podName: info.Labels["io.kubernetes.pod.name"],
        podNamespace: info.Labels["io.kubernetes.pod.namespace"],
        podUID: info.Labels["io.kubernetes.pod.uid"],
      });
    }
    expect(evs.some((e) => e.eventName === "sched_process_exit" && arg(e, "exit_code") === 3)).toBe(true);
  }, 600_000); // a bound on absence only: a loaded host is slow

  test("podman run --name N: every event carries the name, image and id podman inspect reports, from its set-up on", async () => {
    const t = await TracerRun.start(["--json", "--container"]);
    const m = marker("podman");
    const name = `tracer-podman-${Math.random().toString(36).slice(2, 8)}`;
    const id = sh([
      "podman",
      "run",
      "-d",
      "--network",
      "none",
      ...podmanUlimits(),
      "--name",
      name,
      "--label",
      "io.kubernetes.pod.name=cache-2",
      "--label",
      "io.kubernetes.pod.namespace=edge",
      IMAGE.podman,
      "/bin/sh",
      "-c",
      `true ${m}; /nonexistent-${m}; exit 3`,
    ]);
    sh(["podman", "wait", id]);
    const c = JSON.parse(sh(["podman", "inspect", id]))[0];
    sh(["podman", "rm", id]);
    await t.waitFor((e) => e.eventName === "process_execute_failed" && JSON.stringify(e.args).includes(m));
    expect(await t.stop()).toBe(0);
    const evs = t.events().filter((e) => e.containerId === c.Id);
    expect(evs.find((e) => e.eventName === "sched_process_exec" && arg(e, "argv")[0] === "/bin/sh")).toBeDefined();
    for (const e of evs) {
      expect([e.eventName, e.containerMetadata]).toEqual([e.eventName, "found"]);
      expect(e.container).toMatchObject({ id: c.Id, name: c.Name, image: c.ImageName });
      expect(e.kubernetes).toEqual({
        podName: c.Config.Labels["io.kubernetes.pod.name"],
        podNamespace: c.Config.Labels["io.kubernetes.pod.namespace"],
      });
    }
    expect(evs.some((e) => e.eventName === "sched_process_exit" && arg(e, "exit_code") === 3)).toBe(true);
  }, 600_000); // a bound on absence only: a loaded host is slow

  test("a storm of 200 short containers (docker run --rm, 6 at once): every event of every container named, from runc's set-up on, in ring order, nothing lost", async () => {
    const t = await TracerRun.start(["--json", "--stats", "--container"]);
    const docker = await DockerCreations.follow(); // Docker's own account of each container's creation
    const dir = mkdtempSync(join(tmpdir(), "tracer-storm-"));
    const names = new Map<string, string>(); // cidfile → name given
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < STORM; i = next++) {
        const name = `tracer-storm-${i}-${Math.random().toString(36).slice(2, 8)}`;
        const cidfile = join(dir, `${i}.cid`);
        names.set(cidfile, name);
        const p = spawn(
          [
            DOCKER,
            "run",
            "--rm",
            "--network",
            "none",
            "--cidfile",
            cidfile,
            "--name",
            name,
            IMAGE.docker,
            "/bin/sh",
            "-c",
            "/bin/true; /bin/true",
          ],
          { stdout: "ignore", stderr: "pipe" },
        );
        if ((await p.exited) !== 0) throw new Error(`docker run ${name}: ${await new Response(p.stderr).text()}`);
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    const stormMs = performance.now() - t0;
    expect(await t.stop()).toBe(0);
    const created = await docker.stop();
    const truth = new Map<string, { name: string; image: string }>();
    for (const [cidfile, name] of names) {
      const id = readFileSync(cidfile, "utf8").trim(); // the id the docker client was given
      expect(created.get(id)).toEqual({ name, image: IMAGE.docker });
      truth.set(id, created.get(id)!);
    }
    rmSync(dir, { recursive: true, force: true });
    expect(truth.size).toBe(STORM);

    const all = t.events();
    const evs = all.filter((e) => truth.has(e.containerId));
    expect(new Set(evs.map((e) => e.containerId)).size).toBe(STORM);
    let setUp = 0;
    for (const [id, { name, image }] of truth) {
      const own = evs.filter((e) => e.containerId === id);
      const first = own.findIndex((e) => e.eventName === "sched_process_exec" && arg(e, "argv")[0] === "/bin/sh");
      expect(first).toBeGreaterThan(0);
      setUp += first; // runc's own events in the container, before its first exec
      for (const e of own)
        expect([e.eventName, e.containerMetadata, e.container.id, e.container.name, e.container.image]).toEqual([
          e.eventName,
          "found",
          id,
          name,
          image,
        ]);
      // every process forked or exec'd in it exits in it too: nothing of the container is missing
      const exited = new Set(own.filter((e) => e.eventName === "sched_process_exit").map((e) => e.hostThreadId));
      for (const e of own) {
        if (e.eventName === "sched_process_exec")
          expect([e.eventName, e.hostThreadId, exited.has(e.hostThreadId)]).toEqual([
            e.eventName,
            e.hostThreadId,
            true,
          ]);
        if (e.eventName === "sched_process_fork")
          expect([e.eventName, arg(e, "child_tid"), exited.has(arg(e, "child_tid"))]).toEqual([
            e.eventName,
            arg(e, "child_tid"),
            true,
          ]);
      }
      expect(own.filter((e) => e.eventName === "sched_process_exec" && arg(e, "argv")[0] === "/bin/true").length).toBe(
        2,
      );
    }
    // held events did not let others overtake them: the ring's order is each CPU's sequence order
    // (sequence numbers are taken before the ring reserve, so two CPUs may swap neighbours)
    const byCpu = new Map<number, number[]>();
    for (const e of all.filter((x) => x.eventName !== "lost_events"))
      byCpu.set(e.processorId, [...(byCpu.get(e.processorId) ?? []), e.seq]);
    for (const seqs of byCpu.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // nothing lost: no lost_events, and every sequence number up to the last was delivered
    expect(all.some((e) => e.eventName === "lost_events")).toBe(false);
    const seqs = all.map((e) => e.seq as number);
    expect(new Set(seqs).size).toBe(Math.max(...seqs) + 1);
    console.log(
      `storm: ${STORM} containers in ${(stormMs / 1000).toFixed(1)} s, ${evs.length} of their events all found (${setUp} of them runc's set-up before the first exec), ${all.length} events in all`,
    );
  }, 600_000);

  test("an unreachable runtime: ids only, one line that says so", async () => {
    const t = await TracerRun.start([
      "--json",
      "--container",
      "--runtime-socket",
      "docker=/nonexistent/docker.sock",
      "--runtime-socket",
      "podman=",
      "--runtime-socket",
      "containerd=",
    ]);
    const name = `tracer-test-${Math.random().toString(36).slice(2, 10)}`;
    const id = runContainer(name, "true");
    await Bun.sleep(300);
    expect(await t.stop()).toBe(0);
    const evs = t.events().filter((e) => e.containerId === id);
    expect(evs.length).toBeGreaterThan(0);
    for (const e of evs) {
      expect(e.container).toEqual({ id });
      expect(e.containerMetadata).toBe("off"); // no runtime answered: none is asked
    }
    expect(t.stderr.split("\n").filter((l) => l.includes("docker")).length).toBe(1);
  }, 600_000); // a bound on absence only: a loaded host is slow
});
