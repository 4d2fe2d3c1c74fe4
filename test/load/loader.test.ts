// Loader and ring reader against the real kernel and the real .output/tracer.bpf.o (root).
import { test, expect, describe, afterAll } from "bun:test";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { toArrayBuffer } from "bun:ffi";
import { jscDescribe } from "bun:jsc";
import { BpfTracer, LoadError } from "../../src/load/loader.ts";

const ROOT = join(import.meta.dir, "../..");
// TRACER_OBJECT lets the pipeline be tried on another object; by default the real one, and
// its absence is a failure, not a skip.
const OBJECT = process.env.TRACER_OBJECT ?? join(ROOT, ".output/tracer.bpf.o");

function objectBytes(): Uint8Array {
  if (!existsSync(OBJECT)) throw new Error(`${OBJECT} is missing: run scripts/build.sh`);
  return readFileSync(OBJECT);
}

function openFds(): string[] {
  return readdirSync("/proc/self/fd").sort();
}

const fdsAtStart = openFds();
afterAll(() => {
  // No fd (BPF object, map, link, ring epoll) may outlive the tests of this file.
  expect(openFds().length).toBeLessThanOrEqual(fdsAtStart.length);
});

describe("inspect", () => {
  test("the object has programs, one ring buffer map and the per-CPU scratch map", () => {
    const info = BpfTracer.inspect(objectBytes());
    expect(info.programs.length).toBeGreaterThan(0);
    expect(info.maps.filter((m) => m.type === "ringbuf").map((m) => m.name)).toEqual([RING_MAP]);
    for (const name of PER_CPU_MAPS) expect(info.maps.find((m) => m.name === name)?.type).toBe("array");
  });
});

// The names src/main.ts uses: the ring, and the scratch array that needs one slot per CPU
// (without it, programs on CPUs > 0 find no slot and drop their records).
const RING_MAP = "events";
const PER_CPU_MAPS = ["scratch"];

function defaults() {
  const info = BpfTracer.inspect(objectBytes());
  return { object: objectBytes(), ringMap: RING_MAP, perCpuMaps: PER_CPU_MAPS, programs: info.programs };
}

async function spawnTrue(n: number): Promise<number[]> {
  const pids: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = Bun.spawn(["/bin/true", `loader-test-${process.pid}-${i}`]);
    pids.push(p.pid);
    await p.exited;
  }
  return pids;
}

describe("lifecycle", () => {
  test("open → attach → records arrive → close, views agree with a per-record copy", async () => {
    let records = 0;
    let mismatches = 0;
    let badOffsets = 0;
    let doubleOffsets = 0;
    let t: BpfTracer | null = null;
    const seen: number[] = [];
    t = BpfTracer.open({
      ...defaults(),
      ringSize: 1 << 18,
      onRecord(view, offset, length) {
        records++;
        // The view is built once over the whole data area; compare with a copy made from the
        // sample's own address (what a per-record toArrayBuffer would give).
        if (offset < 8 || offset + length > view.byteLength) badOffsets++;
        // An offset that is a double (though integral) sends every DataView access of the
        // decoders back to the JIT's baseline tier: it must arrive as an int32.
        if (!jscDescribe(offset).startsWith("Int32:")) doubleOffsets++;
        const base = t!.ringDataAddress;
        const copy = new Uint8Array(toArrayBuffer(base + offset, 0, length));
        const viaView = new Uint8Array(view.buffer, view.byteOffset + offset, length);
        for (let i = 0; i < length; i++)
          if (copy[i] !== viaView[i]) {
            mismatches++;
            break;
          }
        seen.push(length);
      },
    });
    try {
      const spawned = await spawnTrue(20);
      let polled = 0;
      while (records < spawned.length) {
        const n = t.poll(100);
        expect(n).toBeGreaterThanOrEqual(0);
        polled += n;
      }
      expect(records).toBeGreaterThanOrEqual(spawned.length);
      expect(polled).toBe(records);
      expect(mismatches).toBe(0);
      expect(badOffsets).toBe(0);
      expect(doubleOffsets).toBe(0);
      expect(seen.every((l) => l > 0)).toBe(true);
      // The data address found through /proc/self/maps is where libbpf 1.1 maps the data area:
      // its mapping of the map fd is producer page + 2 × size, data right after the page.
      const maps = readFileSync("/proc/self/maps", "utf8").split("\n");
      const ringMaps = maps
        .map((l) => l.split(/\s+/))
        .filter((f) => f[5]?.startsWith("anon_inode:bpf"))
        .map((f) => f[0]!.split("-").map((x) => parseInt(x, 16)) as [number, number])
        .filter(([a, b]) => b - a === 4096 + 2 * (1 << 18));
      expect(ringMaps.map(([a]) => a + 4096)).toContain(t.ringDataAddress);
    } finally {
      t.close();
    }
  });

  test("the ring wraps many times without a bad record (16 KiB ring)", async () => {
    const SIZE = 16384;
    let records = 0;
    let mismatches = 0;
    let bytes = 0;
    let maxEnd = 0;
    let t: BpfTracer | null = null;
    t = BpfTracer.open({
      ...defaults(),
      ringSize: SIZE,
      onRecord(view, offset, length) {
        records++;
        bytes += 8 + ((length + 7) & ~7); // header + sample, rounded up to 8 like the kernel
        if (offset + length > maxEnd) maxEnd = offset + length;
        const copy = new Uint8Array(toArrayBuffer(t!.ringDataAddress + offset, 0, length));
        const viaView = new Uint8Array(view.buffer, view.byteOffset + offset, length);
        for (let i = 0; i < length; i++)
          if (copy[i] !== viaView[i]) {
            mismatches++;
            break;
          }
      },
    });
    try {
      // Poll after every spawn so the small ring never fills, while it wraps several times.
      let spawned = 0;
      while (bytes < 4 * SIZE && spawned < 2000) {
        await spawnTrue(1);
        spawned++;
        t.poll(0);
      }
      t.poll(50);
      expect(bytes).toBeGreaterThanOrEqual(4 * SIZE);
      expect(records).toBeGreaterThanOrEqual(spawned);
      expect(mismatches).toBe(0);
      expect(maxEnd).toBeLessThanOrEqual(2 * SIZE);
    } finally {
      t.close();
    }
  });

  test("close() detaches, drains what is left, and is idempotent", async () => {
    let records = 0;
    const t = BpfTracer.open({
      ...defaults(),
      ringSize: 1 << 16,
      onRecord() {
        records++;
      },
    });
    await spawnTrue(5);
    t.close(); // no poll: the records are delivered by the drain in close()
    expect(records).toBeGreaterThanOrEqual(5);
    t.close();
    const after = records;
    await spawnTrue(3);
    expect(records).toBe(after);
  });

  test("an exception in onRecord comes out of poll() and the tracer still closes", async () => {
    const t = BpfTracer.open({
      ...defaults(),
      ringSize: 1 << 16,
      onRecord() {
        throw new Error("boom");
      },
    });
    try {
      await spawnTrue(2);
      expect(() => t.poll(200)).toThrow("boom");
    } finally {
      expect(() => t.close(false)).not.toThrow();
    }
  });

  test("close() from inside onRecord is refused; close() afterwards works", async () => {
    let refused = "";
    let t: BpfTracer | null = null;
    t = BpfTracer.open({
      ...defaults(),
      ringSize: 1 << 16,
      onRecord() {
        if (refused) return;
        try {
          t!.close();
        } catch (e) {
          refused = (e as Error).message;
        }
      },
    });
    await spawnTrue(1);
    t.poll(200);
    expect(refused).toStartWith("close BPF object: called from inside onRecord");
    t.close();
    expect(() => t.poll(0)).toThrow("poll ring buffer: tracer is closed");
  });

  test("configure() sees the .rodata initial value", () => {
    let size = -1;
    const t = BpfTracer.open({
      ...defaults(),
      ringSize: 1 << 16,
      configure(v) {
        size = v.byteLength;
      },
      onRecord() {},
    });
    t.close();
    expect(size).toBeGreaterThan(0);
  });

  test("lookup() on every array map: present key 0, absent key past max_entries", () => {
    const info = BpfTracer.inspect(objectBytes());
    const t = BpfTracer.open({ ...defaults(), ringSize: 1 << 16, onRecord() {} });
    try {
      for (const m of info.maps.filter((m) => m.type === "array" && !m.name.includes("."))) {
        const perCpu = 1;
        const value = new Uint8Array(t.valueSize(m.name) * perCpu);
        const key = new Uint8Array(4);
        expect(t.lookup(m.name, key, value)).toBe(true);
        new DataView(key.buffer).setUint32(0, 0xfffffff0, true);
        expect(t.lookup(m.name, key, value)).toBe(false);
      }
    } finally {
      t.close();
    }
  });
});

describe("errors", () => {
  test("ring size that is not a power of 2", () => {
    const e = catchErr(() => BpfTracer.open({ ...defaults(), ringSize: 12345, onRecord() {} }));
    expect(e).toBeInstanceOf(LoadError);
    expect(e.errno).toBe(22);
    expect(e.message).toStartWith("configure ring map ");
  });

  test("unknown program names the ones that exist", () => {
    const d = defaults();
    const e = catchErr(() => BpfTracer.open({ ...d, programs: ["no_such_prog"], ringSize: 1 << 16, onRecord() {} }));
    expect(e.errno).toBe(2);
    expect(e.message).toContain("find program no_such_prog: not in the object");
    expect(e.message).toContain(d.programs[0]!);
  });

  test("unknown ring map", () => {
    const e = catchErr(() => BpfTracer.open({ ...defaults(), ringMap: "nope", ringSize: 1 << 16, onRecord() {} }));
    expect(e.message).toStartWith("find map nope: not in the object");
  });

  test("garbage instead of an ELF object", () => {
    const e = catchErr(() =>
      BpfTracer.open({ ...defaults(), object: new Uint8Array(64), ringSize: 1 << 16, onRecord() {} }),
    );
    expect(e.message).toStartWith("open BPF object: ");
  });
});

function catchErr(f: () => unknown): LoadError {
  try {
    f();
  } catch (e) {
    if (e instanceof LoadError) return e;
    throw e;
  }
  throw new Error("expected a LoadError");
}
