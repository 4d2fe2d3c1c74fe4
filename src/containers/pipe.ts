// Where events meet their container's runtime metadata: between enrichment and the formatters.
// Events of a container being looked up wait (in ring order, everything behind them too) until
// the runtime answers or the registry's bound passes; then --container-name/--image/--pod apply.
import { dfgOnly } from "../jit";
import { existsSync } from "node:fs";
import type { RecordEvent } from "../decode/event";
import { containerFilter, type ContainerFilterSpec } from "../filter/container";
import { ContainerRegistry, DEFAULT_SOCKETS } from "./registry";
import { ContainerStage } from "./stage";

export interface ContainerPipe {
  /** An event, in ring order (a view: copied here when it has to wait). */
  push(ev: RecordEvent): void;
  /** Resolves once no event waits any more. */
  drained(): Promise<void>;
  close(): void;
  /** Events wait for a lookup now. */
  waiting(): boolean;
  /** A runtime is being heard from (a change told or a question asked within the last
   * LIVELY_MS, or one in flight): its messages come through the event loop, so the run loop must
   * not sleep in the kernel for long (it polls every WAKEUP_MS.terminal). Quiet, the loop sleeps until a
   * record comes, as without runtimes (a docker daemon's mere presence made it wake 20 times a
   * second); a message that comes then waits at most the loop's idle poll. */
  lively(): boolean;
}

/** How long after a runtime's last message or question the run loop keeps polling fast. */
const LIVELY_MS = 1000;

/** Runtime sockets given on the command line (null: that runtime left out). */
export type Sockets = { docker?: string | null; podman?: string | null; containerd?: string | null };

/** This stage's options (--runtime-socket, --container-name, --image, --pod). */
export interface ContainerOptions {
  sockets: Sockets;
  filter: ContainerFilterSpec;
}

/** A runtime's socket: as given (null: left out), else the default where it exists. */
function socketOf(s: Sockets, rt: keyof typeof DEFAULT_SOCKETS): string | null {
  const given = s[rt];
  if (given !== undefined) return given;
  return existsSync(DEFAULT_SOCKETS[rt]) ? DEFAULT_SOCKETS[rt] : null;
}

/** The metadata stage, started (runtimes probed: one line for each given one that does not
 * answer); events go on to `deliver`, or to `excluded` when a container filter leaves them out. */
export async function startContainerPipe(
  cfg: ContainerOptions,
  deliver: (ev: RecordEvent) => void,
  excluded: () => void,
): Promise<ContainerPipe> {
  const keep = containerFilter(cfg.filter);
  const pass = (ev: RecordEvent) =>
    keep && !keep(ev.x.containerMeta === "late" ? undefined : ev.x.container) ? excluded() : deliver(ev);
  dfgOnly(pass); // src/jit.ts
  const dockerSocket = socketOf(cfg.sockets, "docker");
  const podmanSocket = socketOf(cfg.sockets, "podman");
  const containerdSocket = socketOf(cfg.sockets, "containerd");
  const idsOnly: ContainerPipe = {
    push: pass,
    drained: () => Promise.resolve(),
    close: () => {},
    waiting: () => false,
    lively: () => false,
  };
  if (dockerSocket === null && podmanSocket === null && containerdSocket === null) return idsOnly; // no runtime here
  const registry = new ContainerRegistry({ dockerSocket, podmanSocket, containerdSocket });
  if ((await registry.start()).length === 0) {
    registry.close(); // none answers (each said why, in one line): ids only, no waiting
    return idsOnly;
  }
  const stage = new ContainerStage<RecordEvent>(registry, (ev, meta, status) => {
    ev.x.container = meta;
    if (status !== "host") ev.x.containerMeta = status;
    pass(ev);
  });
  return {
    push(ev) {
      const id = ev.containerId();
      stage.push(stage.willHold(id) ? ev.clone() : ev, id);
    },
    drained: () => stage.drained(),
    close: () => registry.close(),
    waiting: () => stage.held > 0,
    lively: () => registry.stirring(LIVELY_MS),
  };
}
