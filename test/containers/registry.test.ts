// ContainerRegistry's logic with runtimes the test controls (answers when told), and the
// clients against a socket that accepts and never answers: dedup, trust order, the bound,
// one diagnostic per runtime, eviction, and ContainerStage's order and statuses.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerMeta, OnChange, Runtime, RuntimeName } from "../../src/containers/meta";
import { ContainerRegistry } from "../../src/containers/registry";
import { ContainerStage, type MetaStatus } from "../../src/containers/stage";

const ID = (n: number) => n.toString(16).padStart(64, "0");

function meta(id: string, runtime: RuntimeName, name: string): ContainerMeta {
  return {
    id,
    runtime,
    name,
    image: "img",
    imageDigest: "",
    podName: "",
    podNamespace: "",
    podUID: "",
    podSandbox: false,
  };
}

/** A runtime whose answers the test gives: asks[] records each inspect and lets the test answer it. */
class FakeRuntime implements Runtime {
  readonly socket = "/fake.sock";
  readonly asks: { id: string; answer: (m: ContainerMeta | null) => void; fail: (e: Error) => void }[] = [];
  changed: OnChange | null = null;
  constructor(readonly name: RuntimeName) {}
  probe = async () => {};
  inspect(id: string): Promise<ContainerMeta | null> {
    return new Promise((answer, fail) => this.asks.push({ id, answer, fail }));
  }
  watch(onChange: OnChange, signal: AbortSignal, opts: { opened: () => void }): Promise<void> {
    this.changed = onChange;
    opts.opened();
    return new Promise((resolve) => signal.addEventListener("abort", () => resolve()));
  }
  close() {}
  /** Answer every question asked so far. */
  answerAll(f: (id: string) => ContainerMeta | null) {
    for (const a of this.asks.splice(0)) a.answer(f(a.id));
  }
}

const open: ContainerRegistry[] = [];
function registry(
  runtimes: Runtime[] | undefined,
  opts: Partial<ConstructorParameters<typeof ContainerRegistry>[0]> = {},
) {
  const lines: string[] = [];
  const r = new ContainerRegistry({ runtimes, diagnostic: (l) => lines.push(l), ...opts });
  open.push(r);
  return { r, lines };
}
afterEach(() => {
  for (const r of open.splice(0)) r.close();
});

describe("ContainerRegistry", () => {
  test("a question in flight is asked once, whoever looks it up", async () => {
    const d = new FakeRuntime("docker");
    const { r } = registry([d], { boundMs: 60_000 });
    const p1 = r.lookup(ID(1));
    const p2 = r.lookup(ID(1));
    expect(p2).toBe(p1);
    expect(d.asks.length).toBe(1);
    d.answerAll((id) => meta(id, "docker", "web"));
    expect(await p1).toEqual(meta(ID(1), "docker", "web"));
    expect(r.known(ID(1))).toEqual(meta(ID(1), "docker", "web"));
    expect(await r.lookup(ID(1))).toEqual(meta(ID(1), "docker", "web"));
    expect(d.asks.length).toBe(0); // cached: not asked again
  });

  test("docker's answer wins over containerd's for the same id, even when containerd answers first", async () => {
    const d = new FakeRuntime("docker");
    const c = new FakeRuntime("containerd");
    const { r } = registry([d, c], { boundMs: 60_000 });
    const p = r.lookup(ID(2));
    c.answerAll((id) => meta(id, "containerd", ""));
    await Bun.sleep(0);
    d.answerAll((id) => meta(id, "docker", "named"));
    expect((await p)!.name).toBe("named");
  });

  test("the bound: null when the answer is late, null at once while it stays in flight, the late answer cached", async () => {
    const d = new FakeRuntime("docker");
    const { r } = registry([d], { boundMs: 30 });
    const t0 = performance.now();
    expect(await r.lookup(ID(3))).toBeNull();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29); // not before the bound (timer granularity)
    expect(r.known(ID(3))).toBeUndefined(); // not "absent": unknown
    expect(await r.lookup(ID(3))).toBeNull();
    expect(d.asks.length).toBe(1); // the question in flight was not asked again
    d.answerAll((id) => meta(id, "docker", "slow"));
    await Bun.sleep(0);
    expect(r.known(ID(3))!.name).toBe("slow");
  });

  test("a failing runtime: one diagnostic for many lookups, skipped until retryDownMs, absence not remembered", async () => {
    const d = new FakeRuntime("docker");
    const c = new FakeRuntime("containerd");
    const { r, lines } = registry([d, c], { boundMs: 60_000, retryDownMs: 60_000 });
    for (let i = 0; i < 10; i++) {
      const p = r.lookup(ID(100 + i));
      for (const a of d.asks.splice(0)) a.fail(Object.assign(new Error("connect"), { code: "ECONNREFUSED" }));
      c.answerAll(() => null);
      expect(await p).toBeNull();
      if (i === 0) expect(r.known(ID(100))).toBeUndefined(); // docker could not say: not "absent"
    }
    expect(lines).toEqual([
      "docker (/fake.sock): Connection refused (ECONNREFUSED); its containers get ids only (asked again every 60 s, without saying so again)",
    ]);
    expect(r.known(ID(109))).toBeNull(); // docker skipped (down), containerd said no: absent
  });

  test("a removal from the runtime's stream evicts the entry (after the grace)", async () => {
    const d = new FakeRuntime("docker");
    const evicted: string[] = [];
    const { r } = registry([d], { boundMs: 60_000, removalGraceMs: 0, onEvict: (id) => evicted.push(id) });
    expect(await r.start()).toEqual(["docker"]);
    const p = r.lookup(ID(4));
    d.answerAll((id) => meta(id, "docker", "gone"));
    await p;
    d.changed!("removed", ID(5)); // not cached: nothing to do
    d.changed!("removed", ID(4));
    while (evicted.length === 0) await Bun.sleep(1);
    expect(evicted).toEqual([ID(4)]);
    expect(r.known(ID(4))).toBeUndefined();
  });

  test("a creation from the runtime's stream is asked about at once, before any lookup", async () => {
    const d = new FakeRuntime("docker");
    const { r } = registry([d], { boundMs: 60_000 });
    await r.start();
    d.changed!("created", ID(30));
    expect(d.asks.map((a) => a.id)).toEqual([ID(30)]);
    const p = r.lookup(ID(30)); // the first event's lookup joins the question in flight
    d.changed!("created", ID(30)); // said twice: still asked once
    expect(d.asks.length).toBe(1);
    d.answerAll((id) => meta(id, "docker", "new"));
    expect((await p)!.name).toBe("new");
  });

  test("a creation event that says who: known without asking the container", async () => {
    const d = new FakeRuntime("docker");
    const { r } = registry([d], { boundMs: 60_000 });
    await r.start();
    d.changed!("created", ID(32), async () => meta(ID(32), "docker", "from-event"));
    expect((await r.lookup(ID(32)))!.name).toBe("from-event");
    expect(d.asks.length).toBe(0);
  });

  test("a creation event ends a question the runtime holds back (Docker during a start); a later 'no such container' does not undo it", async () => {
    const d = new FakeRuntime("docker");
    const { r } = registry([d], { boundMs: 60_000 });
    await r.start();
    const p = r.lookup(ID(33)); // the container's first event came before its creation event
    expect(d.asks.length).toBe(1); // held by the runtime until the start is over
    d.changed!("created", ID(33), async () => meta(ID(33), "docker", "early"));
    expect((await p)!.name).toBe("early");
    d.answerAll(() => null); // it was removed meanwhile
    await Bun.sleep(0);
    expect(r.known(ID(33))!.name).toBe("early");
  });

  test("a creation event whose description fails: the container is asked instead", async () => {
    const d = new FakeRuntime("docker");
    const { r } = registry([d], { boundMs: 60_000 });
    await r.start();
    d.changed!("created", ID(34), async () => {
      throw new Error("image inspect failed");
    });
    const p = r.lookup(ID(34));
    while (d.asks.length === 0) await Bun.sleep(1);
    d.answerAll((id) => meta(id, "docker", "asked"));
    expect((await p)!.name).toBe("asked");
  });

  test("a removed container stays known for removalGraceMs after its removal, then goes; so does one whose question was in flight", async () => {
    const d = new FakeRuntime("docker");
    const evicted: string[] = [];
    const { r } = registry([d], { boundMs: 60_000, removalGraceMs: 30, onEvict: (id) => evicted.push(id) });
    await r.start();
    d.changed!("created", ID(35), async () => meta(ID(35), "docker", "short-lived"));
    await r.lookup(ID(35));
    const p = r.lookup(ID(36)); // in flight when its removal is seen
    d.changed!("removed", ID(35));
    d.changed!("removed", ID(36));
    expect(r.known(ID(35))!.name).toBe("short-lived"); // its last events still find it
    d.answerAll((id) => meta(id, "docker", "was-in-flight"));
    await p;
    while (evicted.length < 2) await Bun.sleep(1);
    expect(evicted.sort()).toEqual([ID(35), ID(36)]);
    expect(r.known(ID(35))).toBeUndefined();
    expect(r.known(ID(36))).toBeUndefined();
  });

  test("the bound runs from the first lookup, not from the creation that asked ahead", async () => {
    const d = new FakeRuntime("docker");
    const { r } = registry([d], { boundMs: 30 });
    await r.start();
    d.changed!("created", ID(31));
    await Bun.sleep(60); // the runtime is slow; the container's first event comes after a bound's time
    const p = r.lookup(ID(31));
    d.answerAll((id) => meta(id, "docker", "slow-but-in-time"));
    expect((await p)!.name).toBe("slow-but-in-time");
  });

  test("beyond maxEntries the oldest entry goes", async () => {
    const d = new FakeRuntime("docker");
    const evicted: string[] = [];
    const { r } = registry([d], { boundMs: 60_000, maxEntries: 3, onEvict: (id) => evicted.push(id) });
    for (let i = 0; i < 5; i++) {
      const p = r.lookup(ID(10 + i));
      d.answerAll((id) => meta(id, "docker", `n${i}`));
      await p;
    }
    expect(evicted).toEqual([ID(10), ID(11)]);
    expect(r.size).toBe(3);
  });
});

describe("clients against a socket that accepts and never answers", () => {
  test("docker API and containerd: null within the bound, then one 'no answer' line each", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tracer-mute-"));
    const path = join(dir, "mute.sock");
    const server = Bun.listen({ unix: path, socket: { data() {} } });
    try {
      const { r, lines } = registry(undefined, {
        dockerSocket: path,
        podmanSocket: null,
        containerdSocket: path,
        boundMs: 20,
        requestTimeoutMs: 300,
      });
      const t0 = performance.now();
      expect(await r.lookup(ID(6))).toBeNull();
      expect(performance.now() - t0).toBeGreaterThanOrEqual(19);
      for (let i = 0; i < 5; i++) expect(await r.lookup(ID(7 + i))).toBeNull();
      while (lines.length < 2) await Bun.sleep(10);
      await Bun.sleep(400); // every question asked above has timed out by now: still one line each
      expect(lines.sort()).toEqual([
        `containerd (${path}): no answer within 300 ms; its containers get ids only (asked again every 10 s, without saying so again)`,
        `docker (${path}): no answer within 300 ms; its containers get ids only (asked again every 10 s, without saying so again)`,
      ]);
    } finally {
      server.stop(true);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("ContainerStage", () => {
  test("ring order kept across a look-up; statuses found, absent, late, host", async () => {
    const d = new FakeRuntime("docker");
    const { r } = registry([d], { boundMs: 50 });
    const out: [string, string, MetaStatus][] = [];
    const stage = new ContainerStage<string>(r, (item, m, status) => out.push([item, m?.name ?? "-", status]));
    expect(stage.willHold("")).toBe(false);
    stage.push("h1", "");
    expect(stage.willHold(ID(20))).toBe(true); // not known yet: would be asked and held
    stage.push("a1", ID(20)); // asked
    expect(stage.willHold("")).toBe(true); // behind a1
    stage.push("h2", "");
    stage.push("b1", ID(21)); // asked
    stage.push("a2", ID(20));
    stage.push("c1", ID(22)); // asked, never answered: late
    stage.push("b2", ID(21));
    expect(out).toEqual([["h1", "-", "host"]]);
    expect(stage.held).toBe(6);
    d.asks.find((a) => a.id === ID(21))!.answer(null); // b's answer first: still behind a1
    await Bun.sleep(0);
    expect(out.length).toBe(1);
    d.asks.find((a) => a.id === ID(20))!.answer(meta(ID(20), "docker", "web"));
    await Bun.sleep(0);
    expect(out).toEqual([
      ["h1", "-", "host"],
      ["a1", "web", "found"],
      ["h2", "-", "host"],
      ["b1", "-", "absent"],
      ["a2", "web", "found"],
    ]);
    await stage.drained(); // c1 waits for the bound
    expect(out.slice(5)).toEqual([
      ["c1", "-", "late"],
      ["b2", "-", "absent"],
    ]);
    expect(stage.willHold(ID(20))).toBe(false);
    stage.push("a3", ID(20));
    expect(out.at(-1)).toEqual(["a3", "web", "found"]); // cached: straight through
  });
});
