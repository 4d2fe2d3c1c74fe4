// Docker Engine API client on a unix socket (Bun's fetch with `unix:`), for Docker itself and for
// podman's Docker-compatible service: container inspect, image inspect, the destroy event stream.
import { CONTAINER_ID, kubernetesOf, type ContainerChange, type ContainerMeta, type Runtime } from "./meta";

/** What an image contributes to a container's metadata; keyed by image id (content-addressed,
 * so an entry never goes stale). */
interface ImageFacts {
  repoTags: string[];
  digest: string;
}
const MAX_IMAGES = 1024;

export class DockerApi implements Runtime {
  private readonly images = new Map<string, ImageFacts>();

  constructor(
    readonly name: "docker" | "podman",
    readonly socket: string,
  ) {}

  async probe(signal: AbortSignal): Promise<void> {
    const res = await this.get("/_ping", signal);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`GET /_ping: HTTP ${res.status} ${body.trim().slice(0, 200)}`);
  }

  async inspect(id: string, signal: AbortSignal): Promise<ContainerMeta | null> {
    if (!CONTAINER_ID.test(id)) return null;
    const res = await this.get(`/containers/${id}/json`, signal);
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    const c = (await this.json(res, "GET /containers/{id}/json")) as DockerContainer;
    // The API also finds containers by name or id prefix: only the exact id is ours.
    if (c.Id !== id) return null;
    const labels = c.Config?.Labels ?? {};
    const imageId = c.Image ?? "";
    const img = imageId ? await this.image(imageId, signal) : null;
    const asCreated = c.Config?.Image ?? "";
    // Config.Image is what the container was created from; when that was an image id, its tag says more.
    const image = asCreated === "" || asCreated.startsWith("sha256:") || imageId.startsWith(`sha256:${asCreated}`) ? (img?.repoTags[0] ?? asCreated) : asCreated;
    return {
      id,
      runtime: this.name,
      name: (c.Name ?? "").replace(/^\//, ""),
      image,
      imageDigest: img?.digest || imageId,
      ...kubernetesOf(labels),
    };
  }

  async watch(onChange: (change: ContainerChange, id: string) => void, signal: AbortSignal): Promise<void> {
    const filters = encodeURIComponent(JSON.stringify({ type: ["container"], event: Object.keys(CHANGES) }));
    const res = await this.get(`/events?filters=${filters}`, signal);
    if (res.status !== 200 || !res.body) throw new Error(`GET /events: HTTP ${res.status} ${(await res.text()).trim().slice(0, 200)}`);
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of res.body) {
      buf += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line === "") continue;
        const ev = JSON.parse(line) as { Action?: string; status?: string; Actor?: { ID?: string }; id?: string };
        const id = ev.Actor?.ID ?? ev.id;
        const change = CHANGES[ev.Action ?? ev.status ?? ""];
        if (change && id) onChange(change, id);
      }
    }
  }

  close(): void {}

  private async image(imageId: string, signal: AbortSignal): Promise<ImageFacts | null> {
    const known = this.images.get(imageId);
    if (known) return known;
    const res = await this.get(`/images/${encodeURIComponent(imageId)}/json`, signal);
    if (res.status === 404) {
      await res.body?.cancel();
      return null; // removed (forced) while a container still uses it
    }
    const img = (await this.json(res, "GET /images/{id}/json")) as { RepoTags?: string[] | null; RepoDigests?: string[] | null };
    const repoDigest = img.RepoDigests?.[0] ?? "";
    const facts = { repoTags: img.RepoTags ?? [], digest: repoDigest.slice(repoDigest.indexOf("@") + 1) };
    if (this.images.size >= MAX_IMAGES) this.images.clear();
    this.images.set(imageId, facts);
    return facts;
  }

  private get(path: string, signal: AbortSignal): Promise<Response> {
    return fetch(`http://localhost${path}`, { unix: this.socket, signal } as RequestInit);
  }

  private async json(res: Response, what: string): Promise<unknown> {
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${what}: HTTP ${res.status} ${body.trim().slice(0, 200)}`);
    return JSON.parse(body);
  }
}

/** Event actions that matter: Docker says "destroy" when a container is removed, podman "remove". */
const CHANGES: Record<string, ContainerChange> = { create: "created", destroy: "removed", remove: "removed" };

interface DockerContainer {
  Id?: string;
  Name?: string;
  Image?: string;
  Config?: { Image?: string; Labels?: Record<string, string> | null };
}
