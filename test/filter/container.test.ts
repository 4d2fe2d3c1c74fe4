// --container-name, --image, --pod on hand-made metadata: include/exclude, globs across `/`,
// events without metadata (host, absent) and events whose metadata came too late (kept).
import { describe, expect, test } from "bun:test";
import type { ContainerMeta } from "../../src/containers/meta";
import { containerFilter, podPattern, type ContainerFilterSpec } from "../../src/filter/container";
import { UsageError } from "../../src/errors";

const v = (include: string[] = [], exclude: string[] = []) => ({ include, exclude });
const spec = (s: Partial<ContainerFilterSpec>): ContainerFilterSpec => ({ name: v(), image: v(), pod: v(), ...s });
const m = (name: string, image: string, podNamespace = "", podName = ""): ContainerMeta => ({
  id: "0".repeat(64),
  runtime: "docker",
  name,
  image,
  imageDigest: "",
  podName,
  podNamespace,
  podUID: "",
  podSandbox: false,
});

describe("containerFilter", () => {
  test("no patterns: no filter", () => {
    expect(containerFilter(spec({}))).toBeNull();
  });

  test("--container-name: globs, include and exclude", () => {
    const keep = containerFilter(spec({ name: v(["web-*"], ["web-debug"]) }))!;
    expect(keep(m("web-1", "nginx"))).toBe(true);
    expect(keep(m("web-debug", "nginx"))).toBe(false);
    expect(keep(m("db", "postgres"))).toBe(false);
  });

  test("--image: `*` stops at `/`, `**/` spans registries", () => {
    const plain = containerFilter(spec({ image: v(["nginx:*"]) }))!;
    expect(plain(m("a", "nginx:1.25"))).toBe(true);
    expect(plain(m("a", "docker.io/library/nginx:1.25"))).toBe(false);
    const any = containerFilter(spec({ image: v(["**/nginx:*"]) }))!;
    expect(any(m("a", "nginx:1.25"))).toBe(true);
    expect(any(m("a", "docker.io/library/nginx:1.25"))).toBe(true);
  });

  test("--pod NAMESPACE/NAME: containers outside a pod do not match", () => {
    const keep = containerFilter(spec({ pod: v(["shop/web-*"]) }))!;
    expect(keep(m("app", "i", "shop", "web-0"))).toBe(true);
    expect(keep(m("app", "i", "other", "web-0"))).toBe(false);
    expect(keep(m("app", "i"))).toBe(false);
    const notKube = containerFilter(spec({ pod: v([], ["kube-system/*"]) }))!;
    expect(notKube(m("app", "i", "kube-system", "coredns-1"))).toBe(false);
    expect(notKube(m("app", "i"))).toBe(true);
  });

  test("no metadata (host or absent): an include drops it, an exclude keeps it; too late: kept", () => {
    const include = containerFilter(spec({ name: v(["*"]) }))!;
    expect(include(null)).toBe(false);
    expect(include(m("", "img"))).toBe(false); // containerd without a name label
    expect(include(undefined)).toBe(true);
    const exclude = containerFilter(spec({ name: v([], ["web"]) }))!;
    expect(exclude(null)).toBe(true);
  });

  test("filters AND", () => {
    const keep = containerFilter(spec({ name: v(["web"]), image: v(["nginx:*"]) }))!;
    expect(keep(m("web", "nginx:1"))).toBe(true);
    expect(keep(m("web", "httpd:2"))).toBe(false);
  });
});

describe("podPattern", () => {
  test("NAMESPACE/NAME, each non-empty", () => {
    expect(podPattern("default/web-*")).toBe("default/web-*");
    for (const bad of ["web", "a/b/c", "/web", "default/"]) {
      expect(() => podPattern(bad)).toThrow(UsageError);
      expect(() => podPattern(bad)).toThrow(`--pod takes NAMESPACE/NAME (globs, e.g. 'default/web-*'), not '${bad}'`);
    }
  });
});
