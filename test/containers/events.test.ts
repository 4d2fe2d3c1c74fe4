// Containers in the event path: events of a container carry Tracee's container and kubernetes
// objects from its runtime (ground truth: docker inspect), the first exec included; ring order is
// kept while lookups are in flight; a runtime that cannot be reached gives ids only and one line.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DOCKER, down, IMAGE, sh, up } from "./daemons";
import { arg, marker, TracerRun, type Json } from "../kernel/harness";

beforeAll(up, 600_000);
afterAll(down, 120_000);

/** Run a short container to its end; its id as docker inspect reports it. */
function runContainer(name: string, script: string, labels: string[] = [], remove = true): string {
  const id = sh([DOCKER, "run", "-d", "--network", "none", "--name", name, ...labels.flatMap((l) => ["--label", l]), IMAGE.docker, "/bin/sh", "-c", script]);
  sh([DOCKER, "wait", id]);
  const inspected = sh([DOCKER, "inspect", "--format", "{{.Id}}", name]);
  if (remove) sh([DOCKER, "rm", name]);
  return inspected;
}



describe("container metadata on events", () => {
  test("docker run --name N: every event of the container names it, its image and its id, from the first exec on", async () => {
    const t = await TracerRun.start(["--json", "--container"]);
    const m = marker("ctr");
    const name = `tracer-test-${Math.random().toString(36).slice(2, 10)}`;
    const id = runContainer(name, `true ${m}; /nonexistent-${m}; exit 3`, ["io.kubernetes.pod.name=web-0", "io.kubernetes.pod.namespace=shop", "io.kubernetes.pod.uid=u-1"]);
    await t.waitFor((e) => e.eventName === "process_execute_failed" && JSON.stringify(e.args).includes(m));
    expect(await t.stop()).toBe(0);
    const evs = t.events().filter((e) => e.containerId === id);
    const execs = evs.filter((e) => e.eventName === "sched_process_exec");
    expect(execs.length).toBeGreaterThan(0);
    expect(arg(execs[0]!, "argv")).toEqual(["/bin/sh", "-c", `true ${m}; /nonexistent-${m}; exit 3`]); // the container's first exec
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
  }, 120_000);

  test("a storm of containers: every event named, in ring order, nothing lost", async () => {
    const t = await TracerRun.start(["--json", "--stats", "--container"]);
    const names = new Map<string, string>();
    for (let i = 0; i < 12; i++) {
      const name = `tracer-storm-${i}-${Math.random().toString(36).slice(2, 8)}`;
      names.set(runContainer(name, "true; true", [], false), name);
    }
    await Bun.sleep(300);
    expect(await t.stop()).toBe(0);
    for (const name of names.values()) sh([DOCKER, "rm", name]);
    const evs = t.events().filter((e) => names.has(e.containerId));
    expect(new Set(evs.map((e) => e.containerId)).size).toBe(names.size);
    for (const [id, name] of names) {
      const own = evs.filter((e) => e.containerId === id);
      const first = own.findIndex((e) => e.eventName === "sched_process_exec");
      expect(first).toBeGreaterThanOrEqual(0);
      // from its first exec on, every event names the container; runc's set-up before it may come
      // before the runtime answers, and then says so (never silently empty)
      own.slice(first).forEach((e) => expect([e.eventName, e.containerMetadata, e.container.name]).toEqual([e.eventName, "found", name]));
      for (const e of own.slice(0, first)) expect(e.containerMetadata === "found" ? e.container.name : e.container).toEqual(e.containerMetadata === "found" ? name : { id });
    }
    // held events did not let others overtake them: the ring's order is each CPU's sequence order
    // (sequence numbers are taken before the ring reserve, so two CPUs may swap neighbours)
    const byCpu = new Map<number, number[]>();
    for (const e of t.events().filter((x) => x.eventName !== "lost_events")) byCpu.set(e.processorId, [...(byCpu.get(e.processorId) ?? []), e.seq]);
    for (const seqs of byCpu.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(t.events().some((e) => e.eventName === "lost_events")).toBe(false);
  }, 300_000);

  test("an unreachable runtime: ids only, one line that says so", async () => {
    const t = await TracerRun.start(["--json", "--container", "--runtime-socket", "docker=/nonexistent/docker.sock", "--runtime-socket", "podman=", "--runtime-socket", "containerd="]);
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
  }, 120_000);
});
