// The auditd peer: auditd writing its log (a private config and log directory under
// .output/bench/audit/) and one rule recording every execve/execveat. Set up when it registered
// with the kernel, taken down before it stops; audit's state (enabled, backlog limit) put back.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OUT } from "./configs";

export const AUDIT_DIR = join(OUT, "audit");
const RULE = ["-a", "always,exit", "-F", "arch=b64", "-S", "execve,execveat", "-k", "tracer-bench"];
/** The backlog auditd's packaged rules set (augenrules' default -b 8192); the kernel's 64 would
 * make the exec storm wait for kauditd or lose records. */
const BACKLOG = "8192";

function auditctl(args: string[]): string {
  const p = Bun.spawnSync(["auditctl", ...args], { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`auditctl ${args.join(" ")}: ${p.stderr.toString().trim()}`);
  return p.stdout.toString();
}

function status(): Record<string, string> {
  return Object.fromEntries(
    auditctl(["-s"])
      .split("\n")
      .map((l) => l.split(" "))
      .filter((f) => f.length >= 2)
      .map((f) => [f[0]!, f[1]!]),
  );
}

/** auditd's command line with a private config dir: the packaged auditd.conf, logs in AUDIT_DIR. */
export function auditdArgv(): string[] {
  const conf = join(AUDIT_DIR, "etc");
  mkdirSync(conf, { recursive: true, mode: 0o700 });
  const text = readFileSync("/etc/audit/auditd.conf", "utf8").replace(
    /^log_file\s*=.*$/m,
    `log_file = ${join(AUDIT_DIR, "audit.log")}`,
  );
  writeFileSync(join(conf, "auditd.conf"), text, { mode: 0o600 });
  return ["auditd", "-n", "-s", "enable", "-c", conf];
}

let saved: Record<string, string> | null = null;
let hooked = false;

/** Why the auditd peer cannot run here (another daemon, locked audit), or null. */
export function auditUnavailable(): string | null {
  let s: Record<string, string>;
  try {
    s = status();
  } catch (e) {
    return (e as Error).message;
  }
  if (s.enabled === "2") return "audit configuration is locked (enabled 2)";
  if (s.pid !== "0") return `an audit daemon already runs (pid ${s.pid}) and its rules and log are someone else's`;
  return null;
}

/** Before starting auditd: no other audit daemon may run (its rules and log are someone's). */
export function auditFree(): void {
  const why = auditUnavailable();
  if (why) throw new Error(`auditd peer: ${why}`);
  saved = status();
  if (!hooked) {
    hooked = true;
    // An interrupted bench (Ctrl-C) must not leave the rule in the kernel.
    process.on("exit", () => {
      if (!saved) return;
      auditTeardown();
      auditCleanup();
    });
  }
}

/** True once `pid` is the kernel's audit daemon; then the rule and backlog are set. */
export function auditReady(pid: number): boolean {
  if (status().pid !== String(pid)) return false;
  auditctl(["-b", BACKLOG]);
  auditctl(RULE);
  return true;
}

/** Before auditd is stopped: the rule off, the kernel's settings as they were. */
export function auditTeardown(): void {
  try {
    auditctl(["-d", ...RULE.slice(1)]);
  } catch {
    // already gone (auditd may clear rules itself)
  }
  if (saved) auditctl(["-b", saved.backlog_limit!]);
}

/** After auditd stopped: its logs removed, audit's enabled flag as it was before. */
export function auditCleanup(): void {
  if (saved && status().enabled !== saved.enabled) auditctl(["-e", saved.enabled!]);
  saved = null;
  for (const f of readdirSync(AUDIT_DIR)) if (f.startsWith("audit.log")) rmSync(join(AUDIT_DIR, f), { force: true });
}

/** The kernel's kauditd thread (it sends records to auditd): its CPU counts for the auditd peer. */
export function kauditdPid(): number | null {
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, "utf8") === "kauditd\n") return Number(d);
    } catch {
      // exited
    }
  }
  return null;
}
