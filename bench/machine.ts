// Where the figures come from: date, machine, kernel, tool versions, the tree's commit.
import { cpus, release, totalmem } from "node:os";
import { readFileSync } from "node:fs";
import { ROOT, TRACER } from "./configs";

function firstLine(argv: string[]): string {
  try {
    const p = Bun.spawnSync(argv, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    return (p.stdout.toString() || p.stderr.toString()).split("\n")[0]!.trim();
  } catch {
    return "";
  }
}

export function machineInfo() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const dirty = firstLine(["git", "status", "--porcelain", "--untracked-files=no"]) !== "";
  return {
    date: new Date().toISOString(),
    nproc: cpus().length,
    kernel: release(),
    cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: /PRETTY_NAME="([^"]*)"/.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "",
    tracer: firstLine([TRACER, "--version"]),
    commit: firstLine(["git", "rev-parse", "HEAD"]) + (dirty ? " (with uncommitted changes)" : ""),
    bun: Bun.version,
    bpftrace: firstLine(["bpftrace", "--version"]),
    execsnoop: "libbpf-tools " + firstLine(["dpkg-query", "-W", "-f=${Version}", "libbpf-tools"]),
    auditd: "auditd " + firstLine(["dpkg-query", "-W", "-f=${Version}", "auditd"]),
    gcc: firstLine(["gcc", "--version"]),
  };
}
