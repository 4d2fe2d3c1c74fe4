// deploy/daemonset.yaml agrees with the code: the image `npm run image` builds (package.json's
// version), the sockets and paths the tracer looks at by default. No cluster here: a
// consistency check, not a deployment.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { DEFAULT_SOCKETS } from "../../src/containers/registry";
import { ROOT } from "../kernel/harness";

test("deploy/daemonset.yaml: image tag, host mounts at the paths the tracer uses", async () => {
  const ds = Bun.YAML.parse(await Bun.file(join(ROOT, "deploy", "daemonset.yaml")).text()) as any;
  const version = JSON.parse(await Bun.file(join(ROOT, "package.json")).text()).version;
  expect(ds.kind).toBe("DaemonSet");
  const pod = ds.spec.template.spec;
  expect(pod.hostPID).toBe(true);
  const [c] = pod.containers;
  expect(c.image).toBe(`tracer:${version}`);
  expect(c.securityContext.privileged).toBe(true);
  const hostPathOf = (mountPath: string) => {
    const m = c.volumeMounts.find((v: any) => v.mountPath === mountPath);
    return pod.volumes.find((v: any) => v.name === m?.name)?.hostPath?.path;
  };
  expect(hostPathOf("/sys/kernel/btf")).toBe("/sys/kernel/btf");
  expect(hostPathOf("/sys/kernel/tracing")).toBe("/sys/kernel/tracing");
  expect(hostPathOf(DEFAULT_SOCKETS.containerd)).toBe(DEFAULT_SOCKETS.containerd);
});
