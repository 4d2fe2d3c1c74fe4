// --container-name, --image, --pod: keep events by their container's runtime metadata. Applied in
// user space (the metadata comes from the runtime's API), after the kernel's --container scope.
import type { ContainerMeta } from "../decode/container";
import { UsageError } from "../errors";
import { globFilter } from "./glob";
import type { ValueFilter } from "../load/scope";

export interface ContainerFilterSpec {
  /** --container-name GLOB: the container's name (ContainerMeta.name). */
  name: ValueFilter<string>;
  /** --image GLOB: the image as the runtime reports it ("busybox:1.36",
   * "docker.io/library/nginx:1.25"); `*` stops at `/`, so `**\/nginx:*` matches any registry. */
  image: ValueFilter<string>;
  /** --pod NAMESPACE/NAME: globs on "podNamespace/podName". */
  pod: ValueFilter<string>;
}

/** A --pod value checked: NAMESPACE/NAME, each a non-empty glob without `/` (Kubernetes names
 * have none). */
export function podPattern(raw: string): string {
  const parts = raw.split("/");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "")
    throw new UsageError(`--pod takes NAMESPACE/NAME (globs, e.g. 'default/web-*'), not '${raw}'`);
  return raw;
}

/**
 * A predicate over an event's container metadata, or null when no such filter is given.
 * meta: the runtime's answer; null: the event has none (not in a container, or no runtime knows
 * it), and a value it lacks matches no pattern (so an include drops it, an exclude keeps it);
 * undefined: the answer did not come in time, so nothing can be judged and the event is kept
 * (it is marked as released without metadata, never dropped unseen). Filters AND, values OR.
 */
export function containerFilter(
  spec: ContainerFilterSpec,
): ((meta: ContainerMeta | null | undefined) => boolean) | null {
  const checks: ((meta: ContainerMeta | null) => boolean)[] = [];
  const add = (f: ValueFilter<string>, valueOfMeta: (m: ContainerMeta) => string) => {
    const match = globFilter(f);
    if (!match) return;
    const keepLacking = f.include.length === 0;
    checks.push((m) => {
      const v = m ? valueOfMeta(m) : "";
      return v === "" ? keepLacking : match(v);
    });
  };
  add(spec.name, (m) => m.name);
  add(spec.image, (m) => m.image);
  add(spec.pod, (m) => (m.podName === "" ? "" : `${m.podNamespace}/${m.podName}`));
  if (checks.length === 0) return null;
  return (meta) => meta === undefined || checks.every((c) => c(meta));
}
