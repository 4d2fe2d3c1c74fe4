// What the user asked for: the Config type, defaults, and validation of every value.

import { UsageError } from "../errors.ts";
import { TRACED } from "../decode/index.ts";
import { tracer_limits as LIMIT } from "../decode/layout.gen.ts";
import { emptyScope, type Scope, type ValueFilter } from "../load/scope.ts";
import type { ContainerOptions } from "../containers/pipe.ts";
import type { Word } from "../word.ts";
import type { RedactOptions } from "../redact/redactor.ts";
import type { CiConfig, CiRun } from "../ci/session.ts";
import type { NatsConfig } from "../sink/nats-connect.ts";
import pkg from "../../package.json" with { type: "json" };

export const VERSION: string = pkg.version;

/** Events that can be selected with --events (lost_events is always on). */
export const EVENT_NAMES = TRACED.map((d) => d.name);
export type TracedEvent = (typeof TRACED)[number]["name"];

export interface Config {
  /** "json": JSON lines (only with --json); "table": for people (default, TTY or not). */
  format: "json" | "table";
  /** Output file ("-": stdout), or null when not given (stdout; stderr with COMMAND). */
  output: Word | null;
  /** Capture the environment of exec'd processes (off: it often carries secrets). */
  env: boolean;
  /** SHA-256 of every executed file and its interpreter (user space, cached). */
  hash: boolean;
  /** argv bytes captured per exec event. */
  maxArgsSize: number;
  /** Events to trace, in EVENT_NAMES order, no duplicates. */
  events: TracedEvent[];
  /** Ring buffer size in bytes: a power of two. */
  bufferSize: number;
  /** Print counts to stderr at exit. */
  stats: boolean;
  /** libbpf's log to stderr. */
  verbose: boolean;
  /** Command to run (everything after --, exact words); empty: trace the whole system. */
  command: Word[];
  /** Run COMMAND as this user (name or uid). */
  user: string | null;
  /** Scope filters, applied in the kernel. */
  scope: Scope;
  /** --exec globs on the program path, applied in user space. */
  execPath: ValueFilter<string>;
  /** Container runtime metadata: sockets (undefined: the default if it exists; null: off) and the
   * filters on it (user space). */
  containers: ContainerOptions;
  /** Leave thread creation and thread exits out (in the kernel). */
  noThreads: boolean;
  /** Write the process tree at exit: a file, "-" for stderr, null for none. */
  tree: Word | null;
  /** Write the run's timeline (Trace Event Format, ci/timeline.ts) at exit to this file. */
  timeline: Word | null;
  /** Table: full lines even on a terminal. */
  wide: boolean;
  /** Table: only failures (failed execs, non-zero exits, signals, losses). */
  failures: boolean;
  /** Table of the whole host: every event (by default execs and failures only). */
  all: boolean;
  /** Table: local time of day even on a terminal (always when not a terminal). */
  timeOfDay: boolean;
  /** CI outputs of a -- COMMAND run (src/ci/). */
  ci: CiConfig;
  /** Secrets replaced before any output (src/redact/): the default rules, --redact, --redact-env. */
  redact: RedactOptions;
  /** Exec, failed exec and exit lines carry the chain of ancestors the process table knows. */
  ancestors: boolean;
  /** --nats: events to JetStream (sink/nats.ts); null: not asked for. */
  nats: NatsConfig | null;
}

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** --nats-* and --spool* given without --nats are refused once every flag is read (cli.ts). */
export function natsDefaults(): NatsConfig {
  return {
    servers: [],
    prefix: "tracer",
    stream: null,
    creds: null,
    nkey: null,
    ca: null,
    cert: null,
    key: null,
    spool: null,
    spoolSize: LIMITS.spoolSize.default,
  };
}

/** A subject prefix: dot-separated tokens without wildcards or spaces. */
export function checkSubjectPrefix(s: string): string {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(s))
    throw new UsageError(`--nats-subject '${s}': tokens of letters, digits, _ and -, separated by dots`);
  return s;
}

/** A stream name: no dots, wildcards, slashes or spaces (JetStream's rule). */
export function checkStreamName(s: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(s)) throw new UsageError(`--nats-stream '${s}': letters, digits, _ and - only`);
  return s;
}

export const LIMITS = {
  maxArgsSize: { default: LIMIT.ARGS_DEFAULT, min: 4 * KiB, max: LIMIT.ARGS_CAP },
  bufferSize: { default: 16 * MiB, min: 64 * KiB, max: 1024 * MiB },
  spoolSize: { default: 256 * MiB, min: 4 * KiB, max: 1024 * 1024 * MiB },
  /** The ring must hold at least this many records of the largest size. */
  recordsPerRing: 4,
} as const;

export function defaults(): Config {
  return {
    format: "table",
    output: null,
    env: false,
    hash: false,
    maxArgsSize: LIMITS.maxArgsSize.default,
    events: [...EVENT_NAMES],
    bufferSize: LIMITS.bufferSize.default,
    stats: false,
    verbose: false,
    command: [],
    user: null,
    scope: emptyScope(),
    execPath: { include: [], exclude: [] },
    containers: {
      sockets: {},
      filter: {
        name: { include: [], exclude: [] },
        image: { include: [], exclude: [] },
        pod: { include: [], exclude: [] },
      },
    },
    noThreads: false,
    tree: null,
    timeline: null,
    wide: false,
    failures: false,
    all: false,
    timeOfDay: false,
    ci: { attest: null, subjects: [], profile: null, baseline: null, failOnNew: null, baselineIgnore: [] },
    redact: defaultRedaction(),
    ancestors: false,
    nats: null,
  };
}

/** The default rules on, nothing added. */
export const defaultRedaction = (): RedactOptions => ({ defaults: true, patterns: [], envGlobs: [] });

/** --redact REGEX: a JavaScript regular expression (checked here: a bad one is a usage error). */
export function checkRedactPattern(v: string): string {
  if (v === "") throw new UsageError("--redact needs a regular expression");
  try {
    new RegExp(v, "dgu");
  } catch (e) {
    throw new UsageError(`--redact '${v}': ${(e as Error).message}`);
  }
  return v;
}

/** Human size for messages: 65536 → "64K". */
export function formatSize(n: number): string {
  if (n % MiB === 0) return `${n / MiB}M`;
  if (n % KiB === 0) return `${n / KiB}K`;
  return `${n}`;
}

/**
 * A byte count: digits with an optional binary suffix K, M or G (any case, "KiB"/"KB" too):
 * "4096", "64K", "16M". Anything else (negative, fractions, hex, empty) is a UsageError.
 */
export function parseSize(flag: string, value: unknown): number {
  if (typeof value === "number") value = String(value);
  if (typeof value !== "string") throw new UsageError(`${flag} needs a size, e.g. ${flag} 64K`);
  const m = /^\s*(\d+)\s*(?:([kmg])(?:i?b)?|b)?\s*$/i.exec(value);
  if (!m) throw new UsageError(`${flag}: '${value}' is not a size (use e.g. 4096, 64K, 16M)`);
  const mult = { k: KiB, m: MiB, g: 1024 * MiB }[(m[2] ?? "").toLowerCase()] ?? 1;
  const n = Number(m[1]) * mult;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${flag}: '${value}' is too large`);
  return n;
}

function inRange(flag: string, n: number, min: number, max: number): number {
  if (n < min || n > max) {
    throw new UsageError(`${flag} must be between ${formatSize(min)} and ${formatSize(max)}, not ${formatSize(n)}`);
  }
  return n;
}

export function checkSpoolSize(n: number): number {
  const { min, max } = LIMITS.spoolSize;
  return inRange("--spool-size", n, min, max);
}

export function checkMaxArgsSize(n: number): number {
  const { min, max } = LIMITS.maxArgsSize;
  return inRange("--max-args-size", n, min, max);
}

export function checkBufferSize(n: number, maxArgsSize: number): number {
  const { min, max } = LIMITS.bufferSize;
  inRange("--buffer-size", n, min, max);
  if ((n & (n - 1)) !== 0) {
    let p = min;
    while (p < n) p *= 2;
    throw new UsageError(
      `--buffer-size must be a power of two, e.g. ${formatSize(p / 2)} or ${formatSize(p)}, not ${formatSize(n)}`,
    );
  }
  const need = LIMITS.recordsPerRing * maxArgsSize;
  if (n < need) {
    // Say both ways out: a bigger ring, or smaller records (the ring holds 4 of the largest).
    const fits = n / LIMITS.recordsPerRing;
    const smaller = fits >= LIMITS.maxArgsSize.min ? ` or --max-args-size ${formatSize(fits)} or less` : "";
    throw new UsageError(
      `--buffer-size ${formatSize(n)} is too small for --max-args-size ${formatSize(maxArgsSize)}: the ring must hold ${LIMITS.recordsPerRing} records of that size; give --buffer-size ${formatSize(need)} or more${smaller}`,
    );
  }
  return n;
}

/** "a,b" lists of events, by short name (exec) or Tracee's (sched_process_exec), added to `already`
 * → events in canonical order; an unknown name → UsageError naming the valid ones. */
export function parseEvents(
  lists: readonly string[],
  already: readonly string[] = [],
  flag = "--events",
): TracedEvent[] {
  const chosen = new Set<string>(already);
  for (const list of lists) {
    for (const raw of list.split(",")) {
      const name = raw.trim();
      if (name === "") throw new UsageError(`${flag}: empty name in '${list}'`);
      const d = TRACED.find((e) => e.short === name || e.name === name);
      // short: with " (see tracer --help)" it fits 80 columns; help also gives Tracee's names
      if (!d) throw new UsageError(`${flag} ${name}: unknown event (${TRACED.map((e) => e.short).join(", ")})`);
      chosen.add(d.name);
    }
  }
  return EVENT_NAMES.filter((e) => chosen.has(e));
}

/** The CI options given as flags (values as typed, files as exact words) → CiConfig, checked
 * together: each needs -- COMMAND, --subject needs --attest, --fail-on-new needs --baseline. */
export function parseCi(
  values: (flag: string) => string[],
  words: (flag: string) => Word[],
  hasCommand: boolean,
): CiConfig {
  const one = <T>(flag: string, list: T[]): T | null => {
    if (list.length > 1) throw new UsageError(`--${flag} given ${list.length} times; give it once`);
    if (list.length === 1 && list[0] === "") throw new UsageError(`--${flag} needs a file name`);
    return list[0] ?? null;
  };
  const nonEmpty = (flag: string) =>
    values(flag).map((v) => {
      if (v === "") throw new UsageError(`--${flag} needs a path or a glob`);
      return v;
    });
  const ci: CiConfig = {
    attest: one("attest", words("attest")),
    subjects: nonEmpty("subject"),
    profile: one("profile", words("profile")),
    baseline: one("baseline", values("baseline")),
    failOnNew: null,
    baselineIgnore: nonEmpty("baseline-ignore"),
  };
  const fail = values("fail-on-new");
  if (fail.length) {
    const v = fail[fail.length - 1]!;
    if (v !== "" && (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 255))
      throw new UsageError(`--fail-on-new=CODE takes an exit status from 1 to 255, not '${v}'`);
    ci.failOnNew = v === "" ? 1 : Number(v);
  }
  const given = (["attest", "subject", "profile", "baseline", "fail-on-new", "baseline-ignore"] as const).filter(
    (f) => values(f).length > 0,
  );
  if (given.length && !hasCommand) {
    const later =
      given[0] === "attest" || given[0] === "subject" ? "" : ` (a saved trace: tracer show --${given[0]} … FILE.jsonl)`;
    throw new UsageError(`--${given[0]} needs a command after --${later}`);
  }
  if (ci.subjects.length && ci.attest === null) throw new UsageError("--subject needs --attest FILE");
  if (ci.failOnNew !== null && ci.baseline === null) throw new UsageError("--fail-on-new needs --baseline PROFILE");
  return ci;
}

/** Any CI output asked for (they need the per-process record of the run, and --hash). */

/** What the CI outputs get of the run: their flags, COMMAND, the version, and the trace policy
 * the attestation records. */
export function ciRun(cfg: Config): CiRun {
  return {
    ci: cfg.ci,
    command: cfg.command,
    version: VERSION,
    allEvents: cfg.events.length === EVENT_NAMES.length,
    policy: {
      events: cfg.events,
      filters: { ...cfg.scope, exec: cfg.execPath, noThreads: cfg.noThreads },
      capture: { maxArgsSize: cfg.maxArgsSize, env: cfg.env, hash: cfg.hash, bufferSize: cfg.bufferSize },
      user: cfg.user,
    },
  };
}
