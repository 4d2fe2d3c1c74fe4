// OrderedHold: global arrival order kept while keys are awaited, under a seeded storm of many
// keys settled in random order, and on small hand-made cases.
import { describe, expect, test } from "bun:test";
import { OrderedHold } from "../../src/containers/ordered-hold";

/** mulberry32: a small seeded PRNG, so a failing storm can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("OrderedHold", () => {
  test("items of an awaited key wait, and so does everything behind them", () => {
    const out: string[] = [];
    const h = new OrderedHold<string>((item) => out.push(item));
    h.push("h1", "");
    expect(out).toEqual(["h1"]); // nothing awaited: straight through
    h.hold("A");
    h.push("a1", "A");
    h.push("b1", "B");
    h.push("h2", "");
    expect(out).toEqual(["h1"]);
    expect(h.size).toBe(3);
    h.hold("B");
    h.push("b2", "B");
    h.settle("A");
    expect(out).toEqual(["h1", "a1"]); // b1 is B's, awaited now
    h.push("a2", "A");
    expect(out).toEqual(["h1", "a1"]); // behind b1
    h.settle("B");
    expect(out).toEqual(["h1", "a1", "b1", "h2", "b2", "a2"]);
    expect(h.size).toBe(0);
    h.push("c1", "C");
    expect(out.at(-1)).toBe("c1");
  });

  test("settling a later key first releases nothing ahead of the earlier one", () => {
    const out: string[] = [];
    const h = new OrderedHold<string>((item) => out.push(item));
    h.hold("A");
    h.hold("B");
    h.push("a1", "A");
    h.push("b1", "B");
    h.push("c1", "C");
    h.settle("B");
    expect(out).toEqual([]);
    h.settle("A");
    expect(out).toEqual(["a1", "b1", "c1"]);
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    test(`storm (seed ${seed}): 400 keys, 100k items, random settles: each released once, in arrival order, never while its key is awaited`, () => {
      const rand = rng(seed);
      const released: number[] = [];
      const keyOf: string[] = [];
      let h: OrderedHold<number>;
      h = new OrderedHold<number>((item, key) => {
        expect(key).toBe(keyOf[item]!);
        expect(h.isHeld(key)).toBe(false);
        released.push(item);
      });
      const resolved = new Set<string>(); // keys whose "look-up" is done (the cache)
      const pending: string[] = [];
      let pushed = 0;
      let held = 0;
      while (pushed < 100_000) {
        if (resolved.size > 0 && rand() < 0.01) {
          // a container removed and its id seen again later: looked up anew
          resolved.delete(`k${Math.floor(rand() * 400)}`);
        }
        if (pending.length > 0 && rand() < 0.02) {
          // a look-up ends: any pending one, not necessarily the oldest
          const [key] = pending.splice(Math.floor(rand() * pending.length), 1);
          resolved.add(key!);
          h.settle(key!);
          continue;
        }
        const key = rand() < 0.2 ? "" : `k${Math.floor(rand() * 400)}`;
        if (key !== "" && !resolved.has(key) && !h.isHeld(key)) {
          h.hold(key);
          pending.push(key);
        }
        const before = released.length;
        const queued = h.size;
        keyOf.push(key);
        h.push(pushed, key);
        // Straight through exactly when nothing waits and its key is not awaited.
        const straight = queued === 0 && !h.isHeld(key);
        expect(released.length - before).toBe(straight ? 1 : 0);
        if (!straight) held++;
        pushed++;
      }
      while (pending.length > 0) h.settle(pending.splice(Math.floor(rand() * pending.length), 1)[0]!);
      expect(h.size).toBe(0);
      expect(h.awaitedKeys).toBe(0);
      expect(released.length).toBe(pushed);
      expect(held).toBeGreaterThan(pushed / 10); // the storm did hold: the order was at stake
      for (let i = 0; i < released.length; i++)
        if (released[i] !== i) throw new Error(`item ${released[i]} released at position ${i}`);
    });
  }
});
