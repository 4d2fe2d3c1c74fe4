// The runtime-client interface every runtime implements, and the labels it reads (what a runtime
// tells us of a container, ContainerMeta, is part of an event: decode/container.ts).

export type { ContainerMeta, RuntimeName } from "../decode/container";
import type { ContainerMeta, RuntimeName } from "../decode/container";

export type ContainerChange = "created" | "removed";
/** describe, with a creation whose event carries what the container was created with (Docker's
 * and podman's: name, image, labels): its metadata without asking about the container, which
 * Docker and podman answer only once a start under way is over. */
export type OnChange = (
  change: ContainerChange,
  id: string,
  describe?: (signal: AbortSignal) => Promise<ContainerMeta | null>,
) => void;

/** A client of one runtime's API socket. */
export interface Runtime {
  readonly name: RuntimeName;
  readonly socket: string;
  /** Resolves when the runtime answers at all; rejects with the reason it does not. */
  probe(signal: AbortSignal): Promise<void>;
  /** The container with this id, or null when this runtime has none. Rejects when the runtime
   * cannot be asked (socket missing, refused, broken answer). */
  inspect(id: string, signal: AbortSignal): Promise<ContainerMeta | null>;
  /** Follow the runtime's event stream from `since` (epoch seconds; where the runtime can replay
   * its past events) on, calling opened() once it is subscribed and onChange with the id of each
   * container created or removed; resolves or rejects when the stream ends (abort the signal to
   * end it). */
  watch(onChange: OnChange, signal: AbortSignal, opts: { since: number; opened: () => void }): Promise<void>;
  close(): void;
}

/** The labels kubelet puts on every container it creates (Kubernetes' kubelet/types/labels.go). */
export const KUBE_LABEL = {
  podName: "io.kubernetes.pod.name",
  podNamespace: "io.kubernetes.pod.namespace",
  podUID: "io.kubernetes.pod.uid",
  containerName: "io.kubernetes.container.name",
} as const;

/** How each runtime marks a pod's sandbox container: dockershim / cri-dockerd label it
 * io.kubernetes.docker.type=podsandbox (and name it "POD"), containerd's CRI plugin
 * io.cri-containerd.kind=sandbox, CRI-O io.kubernetes.cri-o.ContainerType=sandbox. */
function isSandbox(labels: Record<string, string>): boolean {
  return (
    labels["io.kubernetes.docker.type"] === "podsandbox" ||
    labels["io.cri-containerd.kind"] === "sandbox" ||
    labels["io.kubernetes.cri-o.ContainerType"] === "sandbox"
  );
}

/** The Kubernetes fields of a container from its labels. */
export function kubernetesOf(
  labels: Record<string, string>,
): Pick<ContainerMeta, "podName" | "podNamespace" | "podUID" | "podSandbox"> {
  return {
    podName: labels[KUBE_LABEL.podName] ?? "",
    podNamespace: labels[KUBE_LABEL.podNamespace] ?? "",
    podUID: labels[KUBE_LABEL.podUID] ?? "",
    podSandbox: isSandbox(labels),
  };
}

/** A 64-hex container id, as the cgroup path carries it. */
export const CONTAINER_ID = /^[0-9a-f]{64}$/;
