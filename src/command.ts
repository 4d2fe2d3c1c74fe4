// tracer -- COMMAND: run the command so that not one of its events is missed and none of anyone
// else's appear. A /bin/sh shim starts first and waits on fd 3; the tracer puts the shim's pid
// into the kernel's "traced" set, then lets it exec COMMAND. Everything the command starts is
// followed through fork events in the kernel.
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants, readFileSync, statSync } from "node:fs";
import { constants } from "node:os";
import { UsageError } from "./errors";
import { libc } from "../ffi/libc";

/** sh -c SHIM sh COMMAND...: wait for the go byte on fd 3, close it, become COMMAND. */
const SHIM = 'read _ <&3; exec 3<&-; exec "$@"';

/** COMMAND's name resolved through PATH the way execvp would, so that the shim's own PATH search
 * (dash tries execve in every directory) does not show up as failed execs the bare command would
 * not have made. The resolved path becomes argv[0]. Unresolvable names are left to the shell. */
export function resolveCommand(argv: string[], path = process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin"): string[] {
  const name = argv[0]!;
  if (name.includes("/")) return argv;
  for (const dir of path.split(":")) {
    const full = (dir || ".") + "/" + name;
    try {
      if (statSync(full).isFile()) {
        accessSync(full, fsConstants.X_OK);
        return [full, ...argv.slice(1)];
      }
    } catch {}
  }
  return argv;
}

export interface CommandExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** User name or number → uid/gid, from /etc/passwd (or a bare number: gid = uid). */
export function resolveUser(spec: string): { uid: number; gid: number } {
  const lines = readFileSync("/etc/passwd", "utf8").split("\n");
  for (const l of lines) {
    const f = l.split(":");
    if (f.length >= 4 && (f[0] === spec || f[2] === spec)) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  if (/^\d+$/.test(spec)) return { uid: Number(spec), gid: Number(spec) };
  throw new UsageError(`--user ${spec}: no such user`);
}

/**
 * True when the tracer is in the foreground process group of a terminal on fd 0, 1 or 2. COMMAND
 * is in the tracer's process group, so a Ctrl-C there reaches it from the terminal itself, and
 * forwarding the tracer's SIGINT would deliver it twice (sudo makes the same check).
 */
export function terminalSendsSigint(): boolean {
  const group = libc.getpgrp();
  for (const fd of [0, 1, 2]) if (libc.tcgetpgrp(fd) === group) return true;
  return false;
}

export class Command {
  readonly exited: Promise<CommandExit>;
  private done = false;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        this.done = true;
        resolve({ code, signal });
      });
    });
  }

  /** Start the shim; COMMAND does not run until release(). */
  static start(argv: string[], user?: string): Command {
    const id = user ? resolveUser(user) : undefined;
    const child = spawn("/bin/sh", ["-c", SHIM, "sh", ...resolveCommand(argv)], {
      stdio: ["inherit", "inherit", "inherit", "pipe"],
      ...(id ? { uid: id.uid, gid: id.gid } : {}),
    });
    if (child.pid === undefined) throw new Error(`start ${argv[0]}: could not spawn /bin/sh`);
    return new Command(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get finished(): boolean {
    return this.done;
  }

  /** Let the shim exec COMMAND. */
  release(): void {
    const go = this.child.stdio[3] as NodeJS.WritableStream;
    go.write("go\n");
    go.end();
  }

  /** Forward a signal (SIGINT/SIGTERM sent to the tracer). */
  signal(sig: NodeJS.Signals): void {
    if (!this.done) this.child.kill(sig);
  }
}

/** Exit status of the tracer for the command's end: its code, or 128 + signal number. */
export function exitStatusOf(e: CommandExit): number {
  if (e.code !== null) return e.code;
  const n = e.signal ? constants.signals[e.signal] : 0;
  return 128 + (n || 0);
}
