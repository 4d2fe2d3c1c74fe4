// OrderedHold: items pass through in arrival order, except that an item whose key is awaited
// waits — and every item behind it waits too, whatever its key — until that key is settled. Pure.
import { dfgOnly } from "../jit";

export class OrderedHold<T> {
  private queue: { item: T; key: string }[] = [];
  private head = 0;
  private readonly awaited = new Set<string>();

  /** release(item, key) is called for every item pushed, exactly once, in push order. */
  constructor(private readonly release: (item: T, key: string) => void) {}

  /** From now on items of `key` are held (until settle(key)). */
  hold(key: string): void {
    this.awaited.add(key);
  }

  isHeld(key: string): boolean {
    return this.awaited.has(key);
  }

  /** Release now when nothing is held and its key is not awaited, else queue it. */
  push(item: T, key: string): void {
    if (this.head === this.queue.length && !this.awaited.has(key)) this.release(item, key);
    else this.queue.push({ item, key });
  }

  /** `key` is no longer awaited: release from the front up to the first item still awaited. */
  settle(key: string): void {
    this.awaited.delete(key);
    while (this.head < this.queue.length) {
      const e = this.queue[this.head]!;
      if (this.awaited.has(e.key)) break;
      this.head++;
      this.release(e.item, e.key);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Items waiting. */
  get size(): number {
    return this.queue.length - this.head;
  }

  /** Keys awaited. */
  get awaitedKeys(): number {
    return this.awaited.size;
  }
}

dfgOnly(OrderedHold); // src/jit.ts (on every event's path with a container runtime, as ContainerStage)
