// Command line → Config: the cac wiring, strict checks cac leaves out, and the help text.

import { cac } from "cac";
import pkg from "../package.json" with { type: "json" };
import {
  type Config,
  checkBufferSize,
  checkMaxArgsSize,
  ciWanted,
  defaults,
  EVENT_NAMES,
  parseCi,
  parseEvents,
  parseSize,
} from "./config.ts";
import { InfoExit, UsageError } from "./errors.ts";
import { addValue, parseId } from "./filter/scope.ts";
import { podPattern } from "./filter/container.ts";
import type { Word } from "./startup.ts";

export type { Config } from "./config.ts";

export const VERSION: string = pkg.version;

/** Every flag once: cac gets its spec, the help text gets one line each. */
const FLAGS = [
  { spec: "--json", help: "JSON lines in Tracee's event format (default: a table)" },
  { spec: "-o, --output <file>", help: "write events to FILE (mode 0600, truncated)" },
  { spec: "-e, --events <list>", help: "comma list of events to trace (default: all, see below)" },
  { spec: "--env", help: "capture the environment too (off: it may hold secrets)" },
  { spec: "--hash", help: "SHA-256 of each executed file and its interpreter" },
  { spec: "--max-args-size <bytes>", help: "argv bytes captured per exec (default 128K, 4K..512K)" },
  { spec: "--buffer-size <bytes>", help: "ring size, power of 2, >= 4x max args size (16M, 64K..1G)" },
  { spec: "--pid <pid>", help: "only process PID (repeatable; !PID leaves it out)" },
  { spec: "--pid-tree <pid>", help: "only PID and every descendant it creates while traced" },
  { spec: "--uid <uid>", help: "only processes of user id UID (repeatable; !UID)" },
  { spec: "--comm <name>", help: "only processes named NAME (comm; repeatable; !NAME)" },
  { spec: "--cgroup <cgroup>", help: "only processes in or below a cgroup (v2 path or id; !...)" },
  { spec: "--mntns <inode>", help: "only processes in mount namespace INODE (!INODE)" },
  { spec: "--pidns <inode>", help: "only processes in pid namespace INODE (!INODE)" },
  { spec: "--container", help: "only processes outside the host's mount namespace" },
  { spec: "--host", help: "only processes in the host's mount namespace" },
  { spec: "--exec <glob>", help: "only programs matching GLOB (in user space; repeatable; !)" },
  { spec: "--container-name <glob>", help: "only containers named GLOB (runtime metadata; !GLOB)" },
  { spec: "--image <glob>", help: "only containers of images matching GLOB (!GLOB)" },
  { spec: "--pod <pod>", help: "only pods NAMESPACE/NAME (globs; !NS/NAME)" },
  { spec: "--runtime-socket <socket>", help: "RUNTIME=PATH: docker, podman, containerd (PATH '': off)" },
  { spec: "--no-threads", help: "leave thread creation and thread exits out" },
  { spec: "--user <user>", help: "run COMMAND as USER (name or uid); needs -- COMMAND" },
  { spec: "--tree <file>", help: "at exit, write the traced process tree to FILE (-: stderr)" },
  { spec: "--attest <file>", help: "write an in-toto runtime-trace Statement (implies --hash)" },
  { spec: "--subject <path>", help: "a file (glob) the Statement is about (repeatable)" },
  { spec: "--profile <file>", help: "write the programs run, {path, sha256} (implies --hash)" },
  { spec: "--baseline <file>", help: "report programs new to or gone from this profile" },
  { spec: "--fail-on-new[=code]", help: "exit CODE (1) if COMMAND succeeded but a new program ran" },
  { spec: "--baseline-ignore <glob>", help: "a volatile path: profile matches as GLOB (repeatable)" },
  { spec: "--stats", help: "event, loss and filter counts at exit (JSON if --json)" },
  { spec: "-v, --verbose", help: "show libbpf's log on stderr" },
  { spec: "-h, --help", help: "show this help and exit" },
  { spec: "--version", help: "show the version and exit" },
] as const;

interface FlagInfo {
  long: string;
  /** "next": `--flag VALUE` or `--flag=VALUE`; "inline": optional, only as `--flag=VALUE`. */
  takesValue: "next" | "inline" | null;
}
const LONG = new Map<string, FlagInfo>();
const SHORT = new Map<string, FlagInfo>();
for (const f of FLAGS) {
  const m = /^(?:-(\w), )?--([\w-]+)( <\w+>|\[=\w+\])?$/.exec(f.spec);
  if (!m) throw new Error(`bad flag spec ${f.spec}`);
  const info: FlagInfo = { long: m[2]!, takesValue: m[3] === undefined ? null : m[3].startsWith("[") ? "inline" : "next" };
  LONG.set(m[2]!, info);
  if (m[1]) SHORT.set(m[1], info);
}

export function helpText(): string {
  const rows = FLAGS.map((f) => [f.spec.startsWith("--") ? `    ${f.spec}` : f.spec, f.help]);
  const width = Math.max(...rows.map((r) => r[0]!.length)) + 2;
  return (
    `tracer ${VERSION}: trace process exec, exec failures, fork and exit with eBPF\n\n` +
    "Usage: tracer [options] [-- COMMAND [ARGS...]]\n\n" +
    "Without COMMAND, traces the whole system until interrupted. With COMMAND, runs it and\n" +
    "traces while it runs. Events go to stdout (or -o FILE), diagnostics to stderr.\n\n" +
    "Options:\n" +
    rows.map(([a, b]) => `  ${a!.padEnd(width)}${b}\n`).join("") +
    "\nEvents:\n" +
    EVENT_NAMES.map((e) => `  ${e}\n`).join("") +
    "\nSizes take a K, M or G suffix (binary: 64K = 65536). Exit status: 0 ok, 1 error, 2 usage.\n"
  );
}

/**
 * Reject what cac/mri would silently accept: unknown flags, values given to switches, missing
 * values, stray positional words (a command goes after --). Only looks at tokens before "--".
 * Returns the value-taking flags' values as typed (mri turns "0x1000" into 4096 and drops "-"),
 * and the same values as exact words (`exact` is argv with the bytes of words that are not UTF-8).
 */
function checkTokens(argv: readonly string[], exact: readonly Word[]): { values: Map<string, string[]>; words: Map<string, Word[]> } {
  const values = new Map<string, string[]>();
  const words = new Map<string, Word[]>();
  const add = (long: string, v: string, w: Word) => {
    const list = values.get(long);
    if (list) list.push(v), words.get(long)!.push(w);
    else values.set(long, [v]), words.set(long, [w]);
  };
  // The part of word i after its first "=" (an ASCII byte: U+FFFD never stands for it).
  const afterEq = (i: number, text: string): Word => {
    const w = exact[i]!;
    return typeof w === "string" ? text : w.subarray(w.indexOf(0x3d) + 1);
  };
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === "--") break;
    if (tok.length < 2 || tok[0] !== "-") {
      throw new UsageError(`unexpected argument '${tok}' (to trace a command, put it after --)`);
    }
    const eq = tok.indexOf("=");
    const hasInline = eq !== -1;
    let infos: { flag: string; info: FlagInfo | undefined }[];
    if (tok.startsWith("--")) {
      const name = tok.slice(2, hasInline ? eq : undefined);
      infos = [{ flag: `--${name}`, info: LONG.get(name) }];
    } else {
      const letters = tok.slice(1, hasInline ? eq : undefined);
      infos = [...letters].map((c) => ({ flag: `-${c}`, info: SHORT.get(c) }));
    }
    for (let k = 0; k < infos.length; k++) {
      const { flag, info } = infos[k]!;
      if (info === undefined) throw new UsageError(`unknown option '${flag}'`);
      const last = k === infos.length - 1;
      if (info.takesValue === "inline") {
        if (!last) throw new UsageError(`${flag} must come last in '${tok}'`);
        add(info.long, hasInline ? tok.slice(eq + 1) : "", hasInline ? afterEq(i, tok.slice(eq + 1)) : "");
      } else if (info.takesValue) {
        if (!last) throw new UsageError(`${flag} needs a value and must come last in '${tok}'`);
        if (hasInline) {
          if (eq === tok.length - 1) throw new UsageError(`${flag} needs a value`);
          add(info.long, tok.slice(eq + 1), afterEq(i, tok.slice(eq + 1)));
        } else {
          const next = argv[i + 1];
          if (next === undefined || next === "--" || (next.startsWith("-") && next.length > 1)) {
            throw new UsageError(`${flag} needs a value`);
          }
          add(info.long, next, exact[i + 1]!);
          i++;
        }
      } else if (hasInline && last) {
        throw new UsageError(`${flag} does not take a value`);
      }
    }
  }
  return { values, words };
}

function last<T>(v: T | T[]): T {
  return Array.isArray(v) ? v[v.length - 1]! : v;
}

/**
 * Parse the arguments after the program name. Throws UsageError for anything wrong, InfoExit
 * for --help/--version (text to print on stdout, exit 0).
 */
const nonEmpty = (flag: string) => (s: string) => {
  if (s === "") throw new UsageError(`${flag} needs a glob`);
  return s;
};

/** --runtime-socket RUNTIME=PATH (an empty PATH leaves that runtime out). */
function setRuntimeSocket(sockets: Config["containers"]["sockets"], v: string): void {
  const m = /^(docker|podman|containerd)=(.*)$/.exec(v);
  if (!m) throw new UsageError(`--runtime-socket takes docker=PATH, podman=PATH or containerd=PATH, not '${v}'`);
  sockets[m[1] as keyof typeof sockets] = m[2] === "" ? null : m[2]!;
}

export function parseArgs(argv: readonly string[], exact: readonly Word[] = argv): Config {
  const cli = cac("tracer");
  for (const f of FLAGS) cli.option(f.spec.replace(/\[=\w+\]$/, ""), f.help); // an inline value: checkTokens
  let parsed: { options: Record<string, unknown> };
  try {
    parsed = cli.parse(["tracer", "tracer", ...argv], { run: false });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const o = parsed.options;
  // --help/--version win over other mistakes, as users expect from `tracer --bad --help`.
  if (o.help) throw new InfoExit(helpText());
  if (o.version) throw new InfoExit(`tracer ${VERSION}\n`);
  const { values, words } = checkTokens(argv, exact);

  const c = defaults();
  if (last(o.json as boolean | boolean[])) c.format = "json";
  const output = values.get("output");
  if (output) {
    const v = last(output);
    if (v === "") throw new UsageError("--output needs a file name");
    c.output = last(words.get("output")!); // "-": stdout
  }
  const events = values.get("events");
  if (events) c.events = parseEvents(events);
  c.env = Boolean(last(o.env as boolean | boolean[] | undefined));
  c.hash = Boolean(last(o.hash as boolean | boolean[] | undefined));
  c.stats = Boolean(last(o.stats as boolean | boolean[] | undefined));
  c.verbose = Boolean(last(o.verbose as boolean | boolean[] | undefined));
  const maxArgs = values.get("max-args-size");
  if (maxArgs) c.maxArgsSize = checkMaxArgsSize(parseSize("--max-args-size", last(maxArgs)));
  const bufferSize = values.get("buffer-size");
  if (bufferSize) c.bufferSize = parseSize("--buffer-size", last(bufferSize));
  checkBufferSize(c.bufferSize, c.maxArgsSize);
  const sep = argv.indexOf("--");
  c.command = sep < 0 ? [] : exact.slice(sep + 1);

  const list = (flag: string) => values.get(flag) ?? [];
  for (const v of list("pid")) addValue(c.scope.pid, v, parseId("--pid"));
  for (const v of list("pid-tree")) c.scope.pidTree.push(parseId("--pid-tree")(v));
  for (const v of list("uid")) addValue(c.scope.uid, v, parseId("--uid"));
  for (const v of list("comm")) addValue(c.scope.comm, v, (s) => {
    if (s === "" || Buffer.byteLength(s) > 15) throw new UsageError(`--comm '${s}': a comm is 1 to 15 bytes`);
    return s;
  });
  for (const v of list("cgroup")) addValue(c.scope.cgroup, v, (s) => {
    if (s === "") throw new UsageError("--cgroup needs a path or an id");
    return s;
  });
  for (const v of list("mntns")) addValue(c.scope.mntns, v, parseId("--mntns"));
  for (const v of list("pidns")) addValue(c.scope.pidns, v, parseId("--pidns"));
  for (const v of list("container-name")) addValue(c.containers.filter.name, v, nonEmpty("--container-name"));
  for (const v of list("image")) addValue(c.containers.filter.image, v, nonEmpty("--image"));
  for (const v of list("pod")) addValue(c.containers.filter.pod, v, podPattern);
  for (const v of list("runtime-socket")) setRuntimeSocket(c.containers.sockets, v);
  for (const v of list("exec")) addValue(c.execPath, v, (s) => {
    if (s === "") throw new UsageError("--exec needs a glob, e.g. '/usr/bin/*'");
    return s;
  });
  const container = Boolean(last(o.container as boolean | boolean[] | undefined));
  const host = Boolean(last(o.host as boolean | boolean[] | undefined));
  if (container && host) throw new UsageError("--container and --host exclude each other");
  c.scope.where = container ? "container" : host ? "host" : "any";
  c.noThreads = argv.slice(0, argv.indexOf("--") < 0 ? argv.length : argv.indexOf("--")).includes("--no-threads");
  const user = values.get("user");
  if (user) {
    if (c.command.length === 0) throw new UsageError("--user needs a command after --");
    c.user = last(user);
  }
  const tree = values.get("tree");
  if (tree) c.tree = last(words.get("tree")!);
  c.ci = parseCi(list, (flag) => words.get(flag) ?? [], c.command.length > 0);
  if (ciWanted(c.ci)) c.hash = true; // the digests are what a profile and an attestation are about
  if (c.command.length && c.scope.pidTree.length) throw new UsageError("--pid-tree and -- COMMAND exclude each other: COMMAND is followed already");
  return c;
}
