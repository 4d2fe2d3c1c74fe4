// tracer -- COMMAND: start the command so that not one of its events is missed and none of anyone
// else's (nor the tracer's own stub) appear, with exactly the bytes, signals and environment it
// would have had bare.
import shimFile from "../../.output/command-shim" with { type: "file" };
import { ptr } from "bun:ffi";
import { accessSync, closeSync, constants as fsConstants, readSync, statSync, writeSync } from "node:fs";
import { UsageError } from "../errors";
import { userOf } from "../enrich/users";
import { type Word, wordBytes, wordText } from "../word";
import { parentComm } from "./startup";
import {
  AF_UNIX,
  SOCK_CLOEXEC,
  SOCK_STREAM,
  SPAWN_FILE_ACTIONS_SIZE,
  WNOHANG,
  describeErrno,
  errno,
  libc,
} from "../../ffi/libc";
import { materialize } from "../../ffi/memfd";

/*
 * How COMMAND starts (src/session/command-shim.c is the stub):
 * 1. posix_spawn the stub with COMMAND's argv and environment as exact bytes and one end of a
 *    socket pair. The stub sets COMMAND's signal dispositions and mask (and user), writes
 *    "ready", and blocks reading.
 * 2. The tracer reads "ready": the stub's own exec is over (its code is running), so its exec
 *    event has come and gone, unfollowed. Only now is its pid put into the kernel's follow set.
 * 3. The tracer writes "go"; the stub execs COMMAND: that exec, and every process COMMAND creates
 *    (followed by the fork program in the kernel), is traced. No timing can change this order.
 */

/** PATH search as execvp does it, done here so that the stub execs the file found at once and
 * no failed execs of the search appear. A name not found anywhere gives every PATH candidate to
 * the stub, which tries them in turn (failed execs, then status 127, as a shell would). */
export function execCandidates(name: Uint8Array, pathVar: Uint8Array | undefined): Uint8Array[] {
  if (name.includes(0x2f /* / */)) return [name];
  const dirs = Buffer.from(pathVar ?? "/usr/local/bin:/usr/bin:/bin")
    .toString("latin1")
    .split(":");
  const all = dirs.map((d) => Buffer.concat([Buffer.from(d || ".", "latin1"), Buffer.from("/"), name]));
  for (const full of all) {
    try {
      if (statSync(full).isFile()) {
        accessSync(full, fsConstants.X_OK);
        return [full];
      }
    } catch {}
  }
  return all;
}

/** User name or number → uid/gid, from /etc/passwd (or a bare number: gid = uid). */
export function resolveUser(spec: string): { uid: number; gid: number } {
  const user = userOf(spec);
  if (user) return user;
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

/** NUL-terminated copies of `words` and a NULL-terminated array of pointers to them. */
function cArray(words: readonly Uint8Array[]): { array: BigUint64Array; keep: Buffer } {
  const keep = Buffer.concat(words.flatMap((w) => [w, Buffer.of(0)]));
  const array = new BigUint64Array(words.length + 1);
  const base = ptr(keep);
  for (let i = 0, off = 0; i < words.length; off += words[i]!.length + 1, i++) array[i] = BigInt(base + off);
  return { array, keep };
}

export interface StartOptions {
  /** COMMAND's environment, entry by entry. */
  env: Uint8Array[];
  /** Signals COMMAND starts with ignored, and blocked (bit N-1 = signal N). */
  ignored: bigint;
  blocked: bigint;
  /** Run COMMAND as this user (--user). */
  user?: string;
}

const SETUP_STEPS = ["setgroups", "setgid", "setuid"];

export class Command {
  /** The wait status once reaped. */
  private status: number | null = null;

  private constructor(
    readonly pid: number,
    private readonly control: number,
  ) {}

  /** Start the stub and wait until it is ready; COMMAND does not run until release(). */
  static start(argv: readonly Word[], opts: StartOptions): Command {
    const name = wordText(argv[0]!);
    const id = opts.user ? resolveUser(opts.user) : undefined;
    const pathVar = opts.env.find((e) => Buffer.from(e.subarray(0, 5)).toString("latin1") === "PATH=");
    const fds = new Int32Array(2);
    if (libc.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ptr(fds)) !== 0) {
      throw new Error(`start ${name}: socketpair: ${describeErrno(errno())}`);
    }
    const [mine, theirs] = [fds[0]!, fds[1]!];
    const control = `${theirs} ${opts.ignored.toString(16)} ${opts.blocked.toString(16)} ${id?.uid ?? -1} ${id?.gid ?? -1}`;
    const stub = materialize(shimFile, "tracer-command-stub");
    const words = [
      stub.path,
      control,
      parentComm,
      ...execCandidates(wordBytes(argv[0]!), pathVar?.subarray(5)),
      "",
      ...argv,
    ].map(wordBytes);
    const cArgv = cArray(words);
    const cEnv = cArray(opts.env);
    const actions = new Uint8Array(SPAWN_FILE_ACTIONS_SIZE);
    const pid = new Int32Array(1);
    libc.posix_spawn_file_actions_init(ptr(actions));
    // dup2 onto itself clears close-on-exec in the stub only (glibc ≥ 2.29, POSIX 2024).
    libc.posix_spawn_file_actions_adddup2(ptr(actions), theirs, theirs);
    const path = Buffer.from(stub.path + "\0");
    const rc = libc.posix_spawn(ptr(pid), ptr(path), ptr(actions), null, ptr(cArgv.array), ptr(cEnv.array));
    libc.posix_spawn_file_actions_destroy(ptr(actions));
    stub.done();
    closeSync(theirs);
    if (rc !== 0) {
      closeSync(mine);
      throw new Error(`start ${name}: ${describeErrno(rc)}`);
    }
    const cmd = new Command(pid[0]!, mine);
    const ready = Buffer.alloc(4);
    let got = 0;
    while (got < 4) {
      const n = readSync(mine, ready, got, 4 - got, null);
      if (n === 0) break;
      got += n;
    }
    const word = got === 4 ? ready.readInt32LE(0) : -1;
    if (word !== 0) {
      closeSync(mine);
      cmd.waitBlocking();
      if (word < 0)
        throw new Error(`start ${name}: the command's stub ended before it was ready (${cmd.describeStatus()})`);
      throw new Error(`--user ${opts.user}: ${SETUP_STEPS[(word >> 16) - 1]}: ${describeErrno(word & 0xffff)}`);
    }
    return cmd;
  }

  /** Let the stub exec COMMAND. */
  release(): void {
    writeSync(this.control, "g");
    closeSync(this.control);
  }

  /** True once COMMAND has ended (reaps it; never blocks). */
  poll(): boolean {
    if (this.status !== null) return true;
    const st = new Int32Array(1);
    const r = libc.waitpid(this.pid, ptr(st), WNOHANG);
    if (r === this.pid) this.status = st[0]!;
    else if (r < 0) throw new Error(`wait for the command (pid ${this.pid}): ${describeErrno(errno())}`);
    return this.status !== null;
  }

  private waitBlocking(): void {
    const st = new Int32Array(1);
    if (libc.waitpid(this.pid, ptr(st), 0) === this.pid) this.status = st[0]!;
  }

  get finished(): boolean {
    return this.status !== null;
  }

  /** Forward a signal the tracer received. */
  signal(sig: NodeJS.Signals): void {
    if (this.status === null) process.kill(this.pid, sig);
  }

  /** The tracer's exit status for COMMAND's end: its code, or 128 + N when signal N killed it. */
  get exitStatus(): number {
    return exitStatusOf(this.status ?? 0);
  }

  private describeStatus(): string {
    const s = this.status ?? 0;
    return (s & 0x7f) === 0 ? `status ${(s >> 8) & 0xff}` : `signal ${s & 0x7f}`;
  }
}

/** A wait status → exit status: the code, or 128 + N for any signal N, real-time ones too. */
export function exitStatusOf(waitStatus: number): number {
  const sig = waitStatus & 0x7f;
  return sig === 0 ? (waitStatus >> 8) & 0xff : 128 + sig;
}
