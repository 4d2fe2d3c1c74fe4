// containerd client: its gRPC API (containerd.services.*.v1) on the unix socket, with the few
// messages hand-encoded: Containers/Get per namespace, Images/Get for the digest, Version/Version
// as the probe, Events/Subscribe for removals.
import { GRPC_NOT_FOUND, GrpcError, GrpcUnixClient } from "./grpc";
import {
  CONTAINER_ID,
  KUBE_LABEL,
  kubernetesOf,
  type ContainerChange,
  type ContainerMeta,
  type OnChange,
  type Runtime,
} from "./meta";
import { encodeStrings, fields, mapEntry, str, strings, sub } from "./protobuf";

/** Namespaces asked, in this order: kubelet's (CRI), Docker's, and ctr's default. */
export const CONTAINERD_NAMESPACES = ["k8s.io", "moby", "default"];
const MAX_IMAGES = 1024;
const ns = (namespace: string) => ({ "containerd-namespace": namespace });
const TOPICS: Record<string, ContainerChange> = { "/containers/create": "created", "/containers/delete": "removed" };

export class Containerd implements Runtime {
  readonly name = "containerd";
  private readonly grpc: GrpcUnixClient;
  /** Manifest digest by namespace + image name. */
  private readonly digests = new Map<string, string>();

  constructor(
    readonly socket: string,
    readonly namespaces: readonly string[] = CONTAINERD_NAMESPACES,
  ) {
    this.grpc = new GrpcUnixClient(socket);
  }

  async probe(signal: AbortSignal): Promise<void> {
    await this.grpc.unary("/containerd.services.version.v1.Version/Version", new Uint8Array(0), {}, signal);
  }

  async inspect(id: string, signal: AbortSignal): Promise<ContainerMeta | null> {
    if (!CONTAINER_ID.test(id)) return null;
    // Ask every namespace at once; the first in namespace order that has it answers.
    const asks = this.namespaces.map((n) => this.container(n, id, signal));
    for (const ask of asks) ask.catch(() => {}); // a failure is thrown below if it matters, never unhandled
    for (const [i, ask] of asks.entries()) {
      const c = await ask;
      if (c) return this.meta(this.namespaces[i]!, id, c, signal);
    }
    return null;
  }

  /** No replay (Subscribe has no since), no creation metadata, and no sign of when the
   * subscription is live (gRPC sends its headers with the first event): opened() at once. None
   * is needed: Containers/Get answers at once, a start under way or not. */
  async watch(onChange: OnChange, signal: AbortSignal, opts: { opened: () => void }): Promise<void> {
    // Filters OR: SubscribeRequest{filters=1 (repeated)}.
    const request = encodeStrings(Object.keys(TOPICS).map((t) => [1, `topic=="${t}"`] as const));
    opts.opened();
    await this.grpc.call("/containerd.services.events.v1.Events/Subscribe", request, {}, signal, (envelope) => {
      // Envelope{timestamp=1, namespace=2, topic=3, event=4 Any{type_url=1, value=2}};
      // ContainerCreate and ContainerDelete both have id=1.
      const change = TOPICS[strings(envelope).get(3) ?? ""];
      const value = sub(sub(envelope, 4) ?? new Uint8Array(0), 2);
      const id = value ? strings(value).get(1) : undefined;
      if (change && id) onChange(change, id);
    });
  }

  close(): void {
    this.grpc.close();
  }

  /** Container{id=1, labels=2, image=3} from GetContainerResponse{container=1}, or null. */
  private async container(
    namespace: string,
    id: string,
    signal: AbortSignal,
  ): Promise<{ labels: Record<string, string>; image: string } | null> {
    let answer: Uint8Array;
    try {
      answer = await this.grpc.unary(
        "/containerd.services.containers.v1.Containers/Get",
        encodeStrings([[1, id]]),
        ns(namespace),
        signal,
      );
    } catch (e) {
      if (e instanceof GrpcError && e.code === GRPC_NOT_FOUND) return null;
      throw e;
    }
    const container = sub(answer, 1);
    if (!container) return null;
    const labels: Record<string, string> = {};
    let image = "";
    for (const f of fields(container)) {
      if (f.field === 2 && f.bytes) mapEntry(f.bytes, labels);
      else if (f.field === 3) image = str(f);
    }
    return { labels, image };
  }

  private async meta(
    namespace: string,
    id: string,
    c: { labels: Record<string, string>; image: string },
    signal: AbortSignal,
  ): Promise<ContainerMeta> {
    return {
      id,
      runtime: this.name,
      name: c.labels[KUBE_LABEL.containerName] ?? c.labels["nerdctl/name"] ?? "",
      image: c.image,
      imageDigest: c.image ? await this.digest(namespace, c.image, signal) : "",
      ...kubernetesOf(c.labels),
    };
  }

  /** Image{name=1, labels=2, target=3 Descriptor{media_type=1, digest=2}} from GetImageResponse{image=1}. */
  private async digest(namespace: string, image: string, signal: AbortSignal): Promise<string> {
    const key = `${namespace}\0${image}`;
    const known = this.digests.get(key);
    if (known !== undefined) return known;
    let digest = "";
    try {
      const answer = await this.grpc.unary(
        "/containerd.services.images.v1.Images/Get",
        encodeStrings([[1, image]]),
        ns(namespace),
        signal,
      );
      const target = sub(sub(answer, 1) ?? new Uint8Array(0), 3);
      digest = target ? (strings(target).get(2) ?? "") : "";
    } catch (e) {
      if (!(e instanceof GrpcError && e.code === GRPC_NOT_FOUND)) throw e;
      // the image was removed after the container was created from it: no digest to give
    }
    if (this.digests.size >= MAX_IMAGES) this.digests.clear();
    this.digests.set(key, digest);
    return digest;
  }
}
