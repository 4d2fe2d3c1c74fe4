// Command line → Config: each flag is one row (its spelling, its help line, and the one place its
// value is checked and stored), from which come cac's options (the parser) and --help.

import { existsSync } from "node:fs";
import {
  type Config,
  checkBufferSize,
  checkMaxArgsSize,
  checkSpoolSize,
  checkStreamName,
  checkSubjectPrefix,
  defaults,
  formatSize,
  LIMITS,
  natsDefaults,
  parseCi,
  parseEvents,
  parseSize,
  VERSION,
  checkRedactPattern,
  defaultRedaction,
} from "./config.ts";
import { type CiConfig, ciWanted } from "../ci/session.ts";
import type { RedactOptions } from "../redact/redactor.ts";
import { podPattern } from "../filter/container.ts";
import { InfoExit, UsageError } from "../errors.ts";
import { addValue, cgroupId, parseId } from "../load/scope.ts";
import { resolveUser } from "./command.ts";
import { uidOfName } from "../enrich/users.ts";
import { TRACED } from "../decode/index.ts";
import type { Word } from "../word.ts";
import { cac, type CAC } from "cac";

export type { Config } from "./config.ts";

export { VERSION };

/** One flag: "-o, --output <file>" (a value) or "--json" (a switch); set() checks and stores.
 * `word` is the value as exact bytes where they are not UTF-8 (file names are kept that way). */
export interface Flag<C> {
  spec: string;
  help: string;
  set: (c: C, value: string, flag: string, word: Word) => void;
}

/** A pid that must exist now (a filter on a pid that does not exist would wait forever). */
function livePid(flag: string) {
  const id = parseId(flag);
  return (s: string): number => {
    const pid = id(s);
    if (!existsSync(`/proc/${pid}`)) throw new UsageError(`${flag} ${s}: no such process`);
    return pid;
  };
}

function where(c: Config, w: "container" | "host"): "container" | "host" {
  if (c.scope.where !== "any" && c.scope.where !== w) throw new UsageError("--container and --host exclude each other");
  return w;
}

/** A uid, or a user name from /etc/passwd. */
function uidOf(s: string): number {
  if (/^\d+$/.test(s)) return parseId("--uid")(s);
  const uid = uidOfName(s);
  if (uid === undefined) throw new UsageError(`--uid ${s}: not a user id, and no user of that name`);
  return uid;
}

/** A file name a flag writes to (- is stdout). */
const fileName = (flag: string, v: string) => {
  if (v === "") throw new UsageError(`${flag} needs a file name`);
  return v;
};

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

/** The CI flags' values as given (text and exact bytes), checked together by parseCi once all
 * flags are read. */
const ciGiven = new WeakMap<object, Map<string, { values: string[]; words: Word[] }>>();
function ciValue(c: object, flag: string, v: string, w: Word): void {
  let m = ciGiven.get(c);
  if (!m) ciGiven.set(c, (m = new Map()));
  let e = m.get(flag);
  if (!e) m.set(flag, (e = { values: [], words: [] }));
  e.values.push(v);
  e.words.push(w);
}

/** --profile, --baseline, --fail-on-new, --baseline-ignore: the same rows for a run and for show. */
function profileFlags<C extends object>(): Flag<C>[] {
  return [
    {
      spec: "--profile <file>",
      help: "write the programs run, {path, sha256}",
      set: (c, v, f, w) => ciValue(c, "profile", v, w),
    },
    {
      spec: "--baseline <file>",
      help: "report programs new to or gone from PROFILE",
      set: (c, v, f, w) => ciValue(c, "baseline", v, w),
    },
    {
      spec: "--fail-on-new[=code]",
      help: "exit CODE (1) when a new program ran",
      set: (c, v, f, w) => ciValue(c, "fail-on-new", v, w),
    },
    {
      spec: "--baseline-ignore <glob>",
      help: "a volatile path: profile matches as GLOB",
      set: (c, v, f, w) => ciValue(c, "baseline-ignore", v, w),
    },
  ];
}

/** --no-redact, --redact, --redact-env: the same rows for a run and for show. */
function redactFlags<C extends { redact: RedactOptions }>(): Flag<C>[] {
  return [
    {
      spec: "--no-redact",
      help: "keep secrets in argv/env (default rules off)",
      set: (c) => void (c.redact.defaults = false),
    },
    {
      spec: "--redact <regex>",
      help: "also replace what REGEX matches (its groups)",
      set: (c, v) => void c.redact.patterns.push(checkRedactPattern(v)),
    },
    {
      spec: "--redact-env <glob>",
      help: "also replace values of variables named GLOB",
      set: (c, v) => {
        if (v === "") throw new UsageError("--redact-env needs a glob");
        c.redact.envGlobs.push(v);
      },
    },
  ];
}

/** The CI flags given to c, checked together (parseCi). */
function ciOf(c: object, hasCommand: boolean): CiConfig {
  const ci = ciGiven.get(c);
  return parseCi(
    (f) => ci?.get(f)?.values ?? [],
    (f) => ci?.get(f)?.words ?? [],
    hasCommand,
  );
}

/** --nats and its companions, gathered as given; finished (or refused) by natsOf. */
const natsGiven = new WeakMap<Config, { flags: string[]; n: NonNullable<Config["nats"]> }>();
function natsFlag(c: Config, flag: string, set: (n: NonNullable<Config["nats"]>) => void): void {
  let g = natsGiven.get(c);
  if (!g) natsGiven.set(c, (g = { flags: [], n: natsDefaults() }));
  g.flags.push(flag);
  set(g.n);
}
const nonEmptyValue = (flag: string, v: string) => {
  if (v === "") throw new UsageError(`${flag} needs a value`);
  return v;
};

type NatsAuth = Pick<NonNullable<Config["nats"]>, "creds" | "nkey" | "ca" | "cert" | "key">;

/** --nats-creds, --nats-nkey, --nats-ca, --nats-cert, --nats-key: the same rows for a run and for show. */
function natsAuthFlags<C>(on: (c: C, flag: string, set: (n: NatsAuth) => void) => void): Flag<C>[] {
  const row = (spec: string, help: string, key: keyof NatsAuth): Flag<C> => ({
    spec,
    help,
    set: (c, v, f) => on(c, f, (n) => void (n[key] = nonEmptyValue(f, v))),
  });
  return [
    row("--nats-creds <file>", "NATS credentials file (JWT and NKey seed)", "creds"),
    row("--nats-nkey <file>", "NATS NKey seed file", "nkey"),
    row("--nats-ca <file>", "TLS: the CA of the NATS servers", "ca"),
    row("--nats-cert <file>", "TLS: client certificate (with --nats-key)", "cert"),
    row("--nats-key <file>", "TLS: the client certificate's key", "key"),
  ];
}

/** A pair that goes together, a pair that excludes itself. */
function checkNatsAuth(n: NatsAuth): void {
  if ((n.cert === null) !== (n.key === null)) throw new UsageError("--nats-cert and --nats-key go together");
  if (n.creds !== null && n.nkey !== null) throw new UsageError("--nats-creds and --nats-nkey exclude each other");
}

function natsOf(c: Config): Config["nats"] {
  const g = natsGiven.get(c);
  if (!g) return null;
  if (!g.n.servers.length) throw new UsageError(`${g.flags[0]} needs --nats URL`);
  checkNatsAuth(g.n);
  return g.n;
}

/** Configs that had -e already (a second -e adds to the first; the first replaces the default). */
const eventsGiven = new WeakSet<Config>();

const TRACE_FLAGS: Flag<Config>[] = [
  { spec: "--json", help: "JSON lines in Tracee's format (default: table)", set: (c) => void (c.format = "json") },
  {
    spec: "-o, --output <file>",
    help: "write events to FILE (mode 0600); - is stdout",
    set: (c, v, _f, w) => {
      if (v === "") throw new UsageError("--output needs a file name");
      c.output = w;
    },
  },
  {
    spec: "-e, --events <list>",
    help: "events: exec,execfail,fork,exit (default: all)",
    set: (c, v, f) => {
      c.events = parseEvents([v], eventsGiven.has(c) ? c.events : [], f);
      eventsGiven.add(c);
    },
  },
  { spec: "-w, --wide", help: "table: full lines, not cut to the terminal", set: (c) => void (c.wide = true) },
  { spec: "--failures", help: "table: only failed execs, exits ≠ 0, signals", set: (c) => void (c.failures = true) },
  { spec: "--all", help: "table, whole host: every event, not just execs", set: (c) => void (c.all = true) },
  { spec: "--time-of-day", help: "table: time of day, not seconds since start", set: (c) => void (c.timeOfDay = true) },
  { spec: "--env", help: "capture environments (off: they hold secrets)", set: (c) => void (c.env = true) },
  ...redactFlags<Config>(),
  { spec: "--ancestors", help: "lines carry the chain of ancestors' paths", set: (c) => void (c.ancestors = true) },
  { spec: "--hash", help: "SHA-256 of programs run (table: first 12 hex)", set: (c) => void (c.hash = true) },
  {
    spec: "--max-args-size <bytes>",
    help: `argv bytes kept per exec (${formatSize(LIMITS.maxArgsSize.default)}, ${formatSize(LIMITS.maxArgsSize.min)}..${formatSize(LIMITS.maxArgsSize.max)})`,
    set: (c, v, f) => void (c.maxArgsSize = checkMaxArgsSize(parseSize(f, v))),
  },
  {
    spec: "--buffer-size <bytes>",
    help: `ring size, power of 2, >= ${LIMITS.recordsPerRing}x max args (${formatSize(LIMITS.bufferSize.default)})`,
    set: (c, v, f) => void (c.bufferSize = parseSize(f, v)),
  },
  {
    spec: "--pid <pid>",
    help: "only process PID (repeatable)",
    set: (c, v) => addValue(c.scope.pid, v, livePid("--pid"), parseId("--pid")),
  },
  {
    spec: "--pid-tree <pid>",
    help: "only PID and the processes it creates from now",
    set: (c, v) => void c.scope.pidTree.push(livePid("--pid-tree")(v)),
  },
  {
    spec: "--uid <user>",
    help: "only processes of USER (a name or a uid)",
    set: (c, v) => addValue(c.scope.uid, v, uidOf),
  },
  {
    spec: "--comm <name>",
    help: "only processes whose comm is NAME",
    set: (c, v) =>
      addValue(c.scope.comm, v, (s) => {
        if (s === "" || Buffer.byteLength(s) > 15) throw new UsageError(`--comm '${s}': a comm is 1 to 15 bytes`);
        return s;
      }),
  },
  {
    spec: "--cgroup <cgroup>",
    help: "only processes in or below CGROUP (path or id)",
    set: (c, v) =>
      addValue(c.scope.cgroup, v, (s) => {
        if (s === "") throw new UsageError("--cgroup needs a path or an id");
        return cgroupId(s);
      }),
  },
  {
    spec: "--mntns <inode>",
    help: "only processes in mount namespace INODE",
    set: (c, v) => addValue(c.scope.mntns, v, parseId("--mntns")),
  },
  {
    spec: "--pidns <inode>",
    help: "only processes in pid namespace INODE",
    set: (c, v) => addValue(c.scope.pidns, v, parseId("--pidns")),
  },
  {
    spec: "--container",
    help: "only processes outside the host's mount ns",
    set: (c) => void (c.scope.where = where(c, "container")),
  },
  {
    spec: "--host",
    help: "only processes in the host's mount namespace",
    set: (c) => void (c.scope.where = where(c, "host")),
  },
  {
    spec: "--exec <glob>",
    help: "only programs matching GLOB (in user space)",
    set: (c, v) =>
      addValue(c.execPath, v, (s) => {
        if (s === "") throw new UsageError("--exec needs a glob, e.g. '/usr/bin/*'");
        return s;
      }),
  },
  {
    spec: "--container-name <glob>",
    help: "only containers named GLOB (runtime data)",
    set: (c, v) => addValue(c.containers.filter.name, v, nonEmpty("--container-name")),
  },
  {
    spec: "--image <glob>",
    help: "only containers of images matching GLOB",
    set: (c, v) => addValue(c.containers.filter.image, v, nonEmpty("--image")),
  },
  {
    spec: "--pod <pod>",
    help: "only pods NAMESPACE/NAME (globs)",
    set: (c, v) => addValue(c.containers.filter.pod, v, podPattern),
  },
  {
    spec: "--runtime-socket <socket>",
    help: "RUNTIME=PATH (docker, podman, containerd)",
    set: (c, v) => setRuntimeSocket(c.containers.sockets, v),
  },
  { spec: "--no-threads", help: "leave thread creation and thread exits out", set: (c) => void (c.noThreads = true) },
  {
    spec: "--user <user>",
    help: "run COMMAND as USER (name or uid)",
    set: (c, v) => {
      resolveUser(v);
      c.user = v;
    },
  },
  {
    spec: "--tree <file>",
    help: "at exit, the process tree to FILE (- = stderr)",
    set: (c, _v, _f, w) => void (c.tree = w),
  },
  {
    spec: "--timeline <file>",
    help: "at exit, a timeline (Perfetto) to FILE",
    set: (c, v, f, w) => {
      fileName(f, v);
      c.timeline = w;
    },
  },
  {
    spec: "--attest <file>",
    help: "write an in-toto runtime-trace Statement",
    set: (c, v, f, w) => ciValue(c, "attest", v, w),
  },
  {
    spec: "--subject <path>",
    help: "a file (glob) the Statement is about",
    set: (c, v, f, w) => ciValue(c, "subject", v, w),
  },
  ...profileFlags<Config>(),
  {
    spec: "--nats <url>",
    help: "publish events to NATS JetStream (repeatable)",
    set: (c, v, f) =>
      natsFlag(c, f, (n) => {
        for (const u of nonEmptyValue(f, v).split(",")) if (u !== "") n.servers.push(u);
      }),
  },
  {
    spec: "--nats-subject <prefix>",
    help: "subjects PREFIX.HOST.EVENT (tracer)",
    set: (c, v, f) => natsFlag(c, f, (n) => void (n.prefix = checkSubjectPrefix(v))),
  },
  {
    spec: "--nats-stream <name>",
    help: "the stream: made when missing, else checked",
    set: (c, v, f) => natsFlag(c, f, (n) => void (n.stream = checkStreamName(v))),
  },
  ...natsAuthFlags<Config>((c, f, set) => natsFlag(c, f, set)),
  {
    spec: "--spool <dir>",
    help: "NATS: unacknowledged events wait in DIR (0700)",
    set: (c, v, f) => natsFlag(c, f, (n) => void (n.spool = nonEmptyValue(f, v))),
  },
  {
    spec: "--spool-size <bytes>",
    help: "the spool's bound (256M); beyond it: lost",
    set: (c, v, f) => natsFlag(c, f, (n) => void (n.spoolSize = checkSpoolSize(parseSize(f, v)))),
  },
  { spec: "--stats", help: "at exit: per event emitted, lost, filtered", set: (c) => void (c.stats = true) },
  { spec: "-v, --verbose", help: "show libbpf's log on stderr", set: (c) => void (c.verbose = true) },
  { spec: "-h, --help", help: "show this help and exit", set: () => {} },
  { spec: "--version", help: "show the version and exit", set: () => {} },
];

interface Spec<C> {
  long: string;
  short: string | null;
  /** "next": `--flag VALUE` or `--flag=VALUE`; "inline": optional, only as `--flag=VALUE`. */
  takesValue: "next" | "inline" | null;
  flag: Flag<C>;
}

function specs<C>(flags: readonly Flag<C>[]): Spec<C>[] {
  return flags.map((flag) => {
    const m = /^(?:-(\w), )?--([\w-]+)( <\w+>|\[=\w+\])?$/.exec(flag.spec);
    if (!m) throw new Error(`bad flag spec ${flag.spec}`);
    const takesValue = m[3] === undefined ? null : m[3].startsWith("[") ? "inline" : "next";
    return { long: m[2]!, short: m[1] ?? null, takesValue, flag };
  });
}

/** Edits between a and b (insert, delete, replace, or swap two neighbours: one each). */
function edits(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The long flag a mistyped one most likely meant (case aside, at most 2 edits and fewer than
 * half its letters), or null. */
function nearest(typed: string, longs: Iterable<string>): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const l of longs) {
    const d = edits(typed.toLowerCase(), l);
    if (d < bestD && d <= 2 && d * 2 < l.length) [best, bestD] = [l, d];
  }
  return best;
}

/** mri's key for a long flag (cac camel-cases them) and back, for an unknown one's message. */
const camel = (s: string) => s.replace(/([a-z])-([a-z])/g, (_, a: string, b: string) => a + b.toUpperCase());
const kebab = (s: string) => s.replace(/([a-z])([A-Z])/g, (_, a: string, b: string) => `${a}-${b.toLowerCase()}`);

/** The flag names words before "--" may spell: `--name` of --name and --name=V, `-x` of each letter
 * of -xyz. A superset of what cac will read as flags (a value that looks like one is in it too). */
function namesIn(words: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const w of words) {
    if (w === "--") break;
    if (w.startsWith("--")) {
      const eq = w.indexOf("=");
      out.add(eq < 0 ? w : w.slice(0, eq));
    } else if (w.startsWith("-")) for (const ch of w.slice(1)) out.add(`-${ch}`);
  }
  return out;
}

/** A cac program for the flag table: one option per spelling (-o and --output apart, so that a
 * message names the flag as typed); --flag[=VALUE] is a switch there, whose "=VALUE" the patched
 * mri keeps. Keys are mri's: the flag's name camel-cased (a --no-X row's is X's). cac is told only
 * of the spellings the words use (namesIn), and of a --no-X row when --X is used (it makes X a
 * switch): one not used changes nothing in what cac reads, and all ~80 names cost ~1.5 ms of a
 * cold start (2026-12-07). `keys` and `negated` hold every flag, for the mistakes. */
function cacFor<C>(
  flags: readonly Flag<C>[],
  words: readonly string[],
): {
  cli: CAC;
  keys: Map<string, { name: string; spec: Spec<C> }>;
  negated: Map<string, { name: string; spec: Spec<C> }>;
} {
  const cli = cac("tracer");
  cli.globalCommand.ignoreOptionDefaultValue(); // a --no-X row would default X to true
  const keys = new Map<string, { name: string; spec: Spec<C> }>();
  const negated = new Map<string, { name: string; spec: Spec<C> }>();
  const given = namesIn(words);
  for (const spec of specs(flags)) {
    for (const name of spec.short ? [`-${spec.short}`, `--${spec.long}`] : [`--${spec.long}`]) {
      if (given.has(name) || (name.startsWith("--no-") && given.has(`--${name.slice(5)}`)))
        cli.option(spec.takesValue === "next" ? `${name} <value>` : name, spec.flag.help);
      if (/^--no-/.test(name)) negated.set(camel(spec.long.slice(3)), { name, spec });
      else keys.set(camel(name.replace(/^--?/, "")), { name, spec });
    }
  }
  return { cli, keys, negated };
}

/**
 * The parser: cac (its mri patched where it corrupted values: patches/cac+7.1.1.patch, applied by
 * scripts/patch-deps.sh) reads the words; each value then goes to its row's set(), which checks
 * and stores it. A value option takes the next word unless it is "--" or a flag; switches take
 * none; short flags combine, a value-taking one last; "--" ends the flags. Words are passed to
 * `word` (an error unless it takes them). Words that are not UTF-8 reach set() as their exact
 * bytes: cac sees a stand-in for them ("\0" and the word's index: no argument holds a NUL). One
 * mistake is reported (ranked below; flags in the order first given), unless --help or --version
 * come anywhere before "--".
 */
function parseFlags<C>(
  flags: readonly Flag<C>[],
  argv: readonly string[],
  exact: readonly Word[],
  c: C,
  word: (w: string) => void,
  help: () => string,
): Word[] {
  const { cli, keys, negated } = cacFor(flags, argv);
  const end = argv.indexOf("--");
  const stand = new Map<string, [string, Word]>();
  const words = argv.map((t, i) => {
    const w = exact[i]!;
    if (typeof w === "string" || (end !== -1 && i > end)) return t;
    const eq = t.startsWith("-") ? t.indexOf("=") + 1 : 0; // --output=BYTES: the part after "="
    stand.set(`\0${i}`, [t.slice(eq), eq === 0 ? w : w.subarray(w.indexOf(0x3d) + 1)]);
    return `${t.slice(0, eq)}\0${i}`;
  });
  const text = (v: string): [string, Word] => stand.get(v) ?? [v, v];
  let parsed: ReturnType<CAC["parse"]>;
  try {
    parsed = cli.parse(["", "", ...words], { run: false });
  } catch (e) {
    // --constructor, --__proto__: cac's CACError (patched: it dropped them silently)
    if (!(e instanceof Error) || e.name !== "CACError") throw e;
    throw new UsageError(e.message.replace(/^Unknown option `(.*)`$/, "unknown option '$1'"));
  }
  const { args, options } = parsed;
  delete options["--"];
  const given = Object.entries(options as Record<string, unknown>);

  const info = given.find(([k]) => ["h", "help", "version"].includes(k) && keys.has(k));
  if (info) throw new InfoExit(info[0] === "version" ? `tracer ${VERSION}\n` : help());
  // The mistake reported: a flag's value missing or unwanted, else a stray word (`--json ls -l`:
  // a command without --), else an unknown flag or a bad value; the first of its kind.
  const errors: unknown[] = [];
  const fail = (message: string, rank = 0) => void (errors[rank] ??= new UsageError(message));
  /** Run a flag's check; its UsageError is kept, others are bugs. */
  const attempt = (f: () => void, rank = 2) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      errors[rank] ??= e;
    }
  };
  // `--fail-on-new 2`: the 2 was meant as its value
  const bareInline = given.find(([k, v]) => keys.get(k)?.spec.takesValue === "inline" && [v].flat().includes(true));
  for (const a of args as string[]) {
    const [t] = text(a);
    if (bareInline && /^\d+$/.test(t)) {
      const name = keys.get(bareInline[0])!.name;
      fail(`${name} ${t}: write ${name}=${t}`, 1); // with "tracer: " and "(see …)" within 80 columns
    } else attempt(() => word(t), 1);
  }
  for (const [k, value] of given) {
    for (const v of [value].flat()) {
      const row = v === false ? negated.get(k) : keys.get(k);
      if (!row || (v !== null && typeof v === "object")) {
        // --pid.x: cac made it {x: …}
        const long = kebab(k) + (v !== null && typeof v === "object" ? `.${Object.keys(v)[0]}` : "");
        const typed = k.length === 1 ? `-${k}` : `--${v === false ? "no-" : ""}${long}`;
        const near =
          k.length > 1 && v !== false
            ? nearest(
                long,
                [...keys.values()].map((r) => r.spec.long),
              )
            : null;
        fail(`unknown option '${typed}'${near ? `; did you mean --${near}?` : ""}`, 2);
        break;
      }
      const { name, spec } = row;
      if (spec.takesValue === "next") {
        if (v === undefined) fail(`${name} needs a value and must come last in a group of short flags`);
        else if (typeof v !== "string") fail(`${name} needs a value`);
        else attempt(() => spec.flag.set(c, text(v)[0], name, text(v)[1]));
      } else if (typeof v === "string") {
        if (spec.takesValue === "inline") attempt(() => spec.flag.set(c, text(v)[0], name, text(v)[1]));
        else fail(`${name} does not take a value`);
      } else attempt(() => spec.flag.set(c, "", name, ""));
    }
  }
  const error = errors.find((e) => e !== undefined);
  if (error) throw error;
  return end === -1 ? [] : exact.slice(end + 1);
}

/**
 * Parse the arguments after the program name. Throws UsageError for anything wrong, InfoExit
 * for --help/--version (text to print on stdout, exit 0).
 */
export function parseArgs(argv: readonly string[], exact: readonly Word[] = argv): Config {
  const c = defaults();
  c.command = parseFlags(
    TRACE_FLAGS,
    argv,
    exact,
    c,
    (w) => {
      throw new UsageError(`unexpected argument '${w}' (to trace a command, put it after --)`);
    },
    helpText,
  );
  // Checks across flags, once every flag is read.
  checkBufferSize(c.bufferSize, c.maxArgsSize);
  c.ci = ciOf(c, c.command.length > 0);
  c.nats = natsOf(c);
  if (ciWanted(c.ci)) c.hash = true; // the digests are what a profile and an attestation are about
  if (c.user !== null && c.command.length === 0) throw new UsageError("--user needs a command after --");
  if (c.command.length && c.scope.pidTree.length)
    throw new UsageError("--pid-tree and -- COMMAND exclude each other: COMMAND is followed already");
  return c;
}

/** tracer show FILE: a saved JSON trace as a table, its failures, its tree, its summary; its
 * profile, or its comparison with a baseline. */
export interface ShowConfig {
  /** A file, - (stdin), or nats://HOST:PORT/STREAM. */
  file: string;
  /** Only events from then on (epoch ns). */
  since: bigint | null;
  /** The lines as JSON, not the table. */
  json: boolean;
  /** nats://: credentials and TLS as for --nats. */
  nats: NatsAuth;
  failures: boolean;
  tree: boolean;
  wide: boolean;
  timeOfDay: boolean;
  ci: CiConfig;
  redact: RedactOptions;
  /** --timeline FILE: the Trace Event Format JSON (ci/timeline.ts). */
  timeline: string | null;
  /** --html FILE: the self-contained report (ci/report.ts). */
  html: string | null;
  /** --critical-path: the chain of processes that decided the wall time, on stdout. */
  criticalPath: boolean;
}

const SHOW_FLAGS: Flag<ShowConfig>[] = [
  { spec: "--failures", help: "only failed execs, non-zero exits and signals", set: (c) => void (c.failures = true) },
  { spec: "--tree", help: "the process tree instead of the table", set: (c) => void (c.tree = true) },
  { spec: "-w, --wide", help: "full lines, not cut to the terminal's width", set: (c) => void (c.wide = true) },
  {
    spec: "--time-of-day",
    help: "local time of day, not seconds since the start",
    set: (c) => void (c.timeOfDay = true),
  },
  {
    spec: "--since <time>",
    help: "events from TIME on: 10m, 2h, 1d ago, or a date",
    set: (c, v) => void (c.since = parseSince(v, Date.now())),
  },
  { spec: "--json", help: "the JSON lines themselves, not the table", set: (c) => void (c.json = true) },
  ...natsAuthFlags<ShowConfig>((c, _f, set) => set(c.nats)),
  {
    spec: "--timeline <file>",
    help: "write a timeline (Perfetto, speedscope) to FILE",
    set: (c, v, f) => void (c.timeline = fileName(f, v)),
  },
  {
    spec: "--critical-path",
    help: "the processes that decided the wall time",
    set: (c) => void (c.criticalPath = true),
  },
  {
    spec: "--html <file>",
    help: "write a self-contained HTML report to FILE",
    set: (c, v, f) => void (c.html = fileName(f, v)),
  },
  ...profileFlags<ShowConfig>(),
  ...redactFlags<ShowConfig>(),
  { spec: "-h, --help", help: "show this help and exit", set: () => {} },
];

export function parseShowArgs(argv: readonly string[]): ShowConfig {
  const c = {
    file: "",
    since: null,
    json: false,
    nats: { creds: null, nkey: null, ca: null, cert: null, key: null },
    failures: false,
    tree: false,
    wide: false,
    timeOfDay: false,
    redact: defaultRedaction(),
    timeline: null,
    html: null,
    criticalPath: false,
  } as ShowConfig;
  const files: string[] = [];
  for (const w of parseFlags(SHOW_FLAGS, argv, argv, c, (w) => void files.push(w), showHelpText))
    files.push(w as string);
  if (files.length !== 1)
    throw new UsageError(`show takes one file (a trace written by tracer --json; - reads stdin), not ${files.length}`);
  c.file = files[0]!;
  c.ci = ciOf(c, true);
  checkNatsAuth(c.nats);
  if (c.json && (c.tree || c.failures))
    throw new UsageError("--json re-emits the lines; --tree and --failures are views of them, choose one");
  const toStdout = [
    c.ci.profile === "-" && "--profile -",
    c.timeline === "-" && "--timeline -",
    c.html === "-" && "--html -",
    c.criticalPath && "--critical-path",
    (c.failures || c.tree) && "--failures or --tree",
    c.json && "--json",
  ].filter((x) => x);
  if (toStdout.length > 1)
    throw new UsageError(`${toStdout.join(" and ")} would all write to stdout; give the files names`);
  return c;
}

/** --since: a duration ago (30s, 10m, 2h, 1d) or a date and time (ISO 8601) → epoch ns. */
export function parseSince(s: string, nowMs: number): bigint {
  const ago = /^(\d+)(s|m|h|d)$/.exec(s);
  if (ago)
    return BigInt(nowMs - Number(ago[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[ago[2] as "s"]) * 1_000_000n;
  const t = /^\d{4}-\d\d-\d\d/.test(s) ? Date.parse(s) : NaN;
  if (Number.isNaN(t))
    throw new UsageError(`--since '${s}': a duration ago (30s, 10m, 2h, 1d) or a date (2026-12-07T10:00:00Z)`);
  return BigInt(t) * 1_000_000n;
}

function rows<C>(flags: readonly Flag<C>[]): string {
  const r = flags.map((f) => [f.spec.startsWith("--") ? `    ${f.spec}` : f.spec, f.help] as const);
  const width = Math.max(...r.map(([a]) => a.length)) + 2;
  return r.map(([a, b]) => `  ${a.padEnd(width)}${b}\n`).join("");
}

function examples(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([a]) => a.length)) + 2;
  return rows.map(([a, b]) => `  ${a.padEnd(width)}${b}\n`).join("");
}

export function helpText(): string {
  const shorts = TRACED.map((d) => d.short).join(", ");
  return (
    `tracer ${VERSION}: trace process execs, failed execs, forks and exits with eBPF\n\n` +
    "Usage: tracer [options] [-- COMMAND [ARGS...]]\n" +
    "       tracer show [options] FILE.jsonl   (see: tracer show --help)\n\n" +
    "Without COMMAND: the whole system until Ctrl-C; events go to stdout or -o FILE.\n" +
    "With COMMAND: runs it, traces it and what it starts; COMMAND keeps stdout, so\n" +
    "events go to -o FILE, else to stderr. A summary line ends the run on stderr.\n\n" +
    "Options:\n" +
    rows(TRACE_FLAGS) +
    "\nFilters take !VALUE to leave VALUE out (--uid '!0'); each may be repeated.\n" +
    `Events (-e): ${shorts} (Tracee's names work too).\n` +
    "Sizes take K, M or G (64K = 65536). Exit: 0 ok (or COMMAND's), 1 error, 2 usage.\n\n" +
    "Examples:\n" +
    examples([
      ["sudo tracer -- make", "a build's processes, then a summary"],
      ["sudo tracer --failures -- make", "only what failed"],
      ["sudo tracer --json -o t.jsonl -- make", "keep the trace as JSON lines"],
      ["tracer show --failures t.jsonl", "read it back later (also --tree)"],
      ["sudo tracer -e exec --uid alice", "execs of user alice, until Ctrl-C"],
      ["sudo tracer --tree - -- npm ci", "the process tree at the end"],
    ])
  );
}

export function showHelpText(): string {
  return (
    "Usage: tracer show [options] FILE.jsonl\n" +
    "       tracer show [options] nats://HOST:PORT/STREAM\n\n" +
    "Reads a trace written by tracer --json (- reads stdin), or the JetStream\n" +
    "stream tracers publish to with --nats, and shows it as the\n" +
    "table, its failures or its process tree, then the summary line (on stderr).\n" +
    "With --profile or --baseline (a trace recorded with --hash): the programs it\n" +
    "ran, and the table only if --failures or --tree asks for a view; so too with\n" +
    "--timeline, --critical-path and --html.\n\n" +
    "Options:\n" +
    rows(SHOW_FLAGS)
  );
}
