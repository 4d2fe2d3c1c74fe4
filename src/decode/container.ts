// What a container runtime tells us about a container, in the shape of Tracee's `container` and
// `kubernetes` objects: part of what enrichment adds to an event (event.ts's Extra).

/** One container, as its runtime reports it. Empty strings where the runtime has nothing. */
export interface ContainerMeta {
  /** The 64-hex id (the one in the cgroup path and in events' containerId). */
  id: string;
  /** Which runtime answered: "docker", "podman" or "containerd". */
  runtime: RuntimeName;
  /** Docker/podman: the container's name. containerd: the kubelet label
   * io.kubernetes.container.name, else nerdctl's nerdctl/name, else "" (it has no names). */
  name: string;
  /** The image as the container was created from it (e.g. "busybox:1.36"). */
  image: string;
  /** The image's manifest digest ("sha256:…") where the runtime knows one, else the image id. */
  imageDigest: string;
  /** From the labels kubelet sets; "" (and false) outside Kubernetes. */
  podName: string;
  podNamespace: string;
  podUID: string;
  /** The pod's sandbox ("pause") container rather than one of its workloads. */
  podSandbox: boolean;
}

export type RuntimeName = "docker" | "podman" | "containerd";
