// ContainerStage: gives each event its container's metadata without reordering output: events of
// a container being looked up wait (at most the registry's bound), and so does everything behind them.
import type { ContainerMeta } from "./meta";
import { OrderedHold } from "./ordered-hold";
import { dfgOnly } from "../jit";
import type { ContainerRegistry } from "./registry";

/** found: meta is the runtime's answer. absent: no runtime has the container (or none answers).
 * late: the answer did not come within the bound (the event carries the id only). host: the
 * event is not in a container (empty id). */
export type MetaStatus = "found" | "absent" | "late" | "host";

export class ContainerStage<T> {
  private readonly hold: OrderedHold<T>;
  private idle: (() => void)[] = [];

  constructor(
    private readonly registry: ContainerRegistry,
    out: (item: T, meta: ContainerMeta | null, status: MetaStatus) => void,
  ) {
    this.hold = new OrderedHold<T>((item, id) => {
      if (id === "") return out(item, null, "host");
      const m = registry.known(id);
      out(item, m ?? null, m ? "found" : m === null ? "absent" : "late");
    });
  }

  /** An event of container `containerId` ("" for none), in ring order. out() is called for it
   * now, or once the look-ups it waits behind have ended. */
  push(item: T, containerId: string): void {
    if (containerId !== "" && !this.hold.isHeld(containerId) && this.registry.known(containerId) === undefined) {
      this.hold.hold(containerId);
      this.registry.lookup(containerId).then(() => {
        this.hold.settle(containerId);
        if (this.hold.size === 0 && this.idle.length > 0) for (const done of this.idle.splice(0)) done();
      });
    }
    this.hold.push(item, containerId);
  }

  /** Whether push(item, containerId) now would keep the item rather than pass it to out() at
   * once: a caller whose items are views into ring memory copies them first when this says so. */
  willHold(containerId: string): boolean {
    return (
      this.hold.size > 0 ||
      (containerId !== "" && (this.hold.isHeld(containerId) || this.registry.known(containerId) === undefined))
    );
  }

  /** Events waiting for a look-up. */
  get held(): number {
    return this.hold.size;
  }

  /** Resolves once nothing is held (at most about the registry's bound after the last push). */
  drained(): Promise<void> {
    if (this.hold.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}

// src/jit.ts: with a container runtime on the host every event goes through the stage; on a loaded
// host (load 13) its push functions reached FTL, 22 ms of compile in 3,000 spawns.
dfgOnly(ContainerStage);
