// Where each container runtime listens by default: a module of its own, so that a run on a host
// with none of them never loads the runtimes' clients (node:http2 and the rest: 5–15 ms of CPU
// at start-up, measured 2026-12-07).
export const DEFAULT_SOCKETS = {
  docker: "/var/run/docker.sock",
  podman: "/run/podman/podman.sock",
  containerd: "/run/containerd/containerd.sock",
} as const;
