// Docker Engine API client on a unix socket (Bun's fetch with `unix:`), for Docker itself and for
// podman's Docker-compatible service: container inspect, image inspect, the event stream (a
// creation's name, image and labels; removals).
import {
  CONTAINER_ID,
  kubernetesOf,
  type ContainerChange,
  type ContainerMeta,
  type OnChange,
  type Runtime,
} from "./meta";

/** What an image contributes to a container's metadata; keyed by image id (content-addressed,
 * so an entry never goes stale). */
interface ImageFacts {
  id: string;
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
    return this.meta(
      {
        id,
        name: c.Name ?? "",
        asCreated: c.Config?.Image ?? "",
        imageId: c.Image ?? "",
        labels: c.Config?.Labels ?? {},
      },
      signal,
    );
  }

  async watch(onChange: OnChange, signal: AbortSignal, opts: { since: number; opened: () => void }): Promise<void> {
    const filters = encodeURIComponent(JSON.stringify({ type: ["container"], event: Object.keys(CHANGES) }));
    // since: Docker subscribes only after it has sent the headers; the replay closes that gap.
    const since = `${Math.floor(opts.since)}.${String(Math.floor((opts.since % 1) * 1e9)).padStart(9, "0")}`; // seconds.nanoseconds
    const res = await this.get(`/events?since=${since}&filters=${filters}`, signal);
    if (res.status !== 200 || !res.body)
      throw new Error(`GET /events: HTTP ${res.status} ${(await res.text()).trim().slice(0, 200)}`);
    opts.opened();
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of res.body) {
      buf += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line === "") continue;
        const ev = JSON.parse(line) as {
          Action?: string;
          status?: string;
          Actor?: { ID?: string; Attributes?: Record<string, string> };
          id?: string;
        };
        const id = ev.Actor?.ID ?? ev.id;
        const change = CHANGES[ev.Action ?? ev.status ?? ""];
        if (!change || !id) continue;
        // A creation's attributes: the container's labels, then image (as created from) and name.
        const attrs = ev.Actor?.Attributes;
        if (change === "created" && attrs?.image !== undefined && attrs.name !== undefined && CONTAINER_ID.test(id)) {
          const { image: asCreated, name, ...labels } = attrs;
          onChange(change, id, (signal) => this.meta({ id, name, asCreated, imageId: "", labels }, signal));
        } else onChange(change, id);
      }
    }
  }

  /** The metadata of a container from what it was created with; imageId "" when only the
   * reference it was created from is known (then the image is asked by that reference). */
  private async meta(
    c: { id: string; name: string; asCreated: string; imageId: string; labels: Record<string, string> },
    signal: AbortSignal,
  ): Promise<ContainerMeta> {
    const ref = c.imageId || c.asCreated;
    const img = ref ? await this.image(ref, signal) : null;
    const imageId = c.imageId || img?.id || "";
    // Config.Image is what the container was created from; when that was an image id, its tag says more.
    const image =
      c.asCreated === "" || c.asCreated.startsWith("sha256:") || imageId.startsWith(`sha256:${c.asCreated}`)
        ? (img?.repoTags[0] ?? c.asCreated)
        : c.asCreated;
    return {
      id: c.id,
      runtime: this.name,
      name: c.name.replace(/^\//, ""),
      image,
      imageDigest: img?.digest || imageId,
      ...kubernetesOf(c.labels),
    };
  }

  close(): void {}

  /** The image by id or by reference (the cache is by id only: a tag can move). */
  private async image(ref: string, signal: AbortSignal): Promise<ImageFacts | null> {
    const known = this.images.get(ref);
    if (known) return known;
    const res = await this.get(
      `/images/${encodeURIComponent(ref).replace(/%2F/gi, "/").replace(/%3A/gi, ":")}/json`,
      signal,
    );
    if (res.status === 404) {
      await res.body?.cancel();
      return null; // removed (forced) while a container still uses it
    }
    const img = (await this.json(res, "GET /images/{id}/json")) as {
      Id?: string;
      RepoTags?: string[] | null;
      RepoDigests?: string[] | null;
    };
    const repoDigest = img.RepoDigests?.[0] ?? "";
    const facts = {
      id: img.Id ?? "",
      repoTags: img.RepoTags ?? [],
      digest: repoDigest.slice(repoDigest.indexOf("@") + 1),
    };
    if (this.images.size >= MAX_IMAGES) this.images.clear();
    if (facts.id !== "") this.images.set(facts.id, facts);
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
