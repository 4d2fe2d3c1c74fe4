// --attest: an unsigned in-toto Statement v1 with the runtime-trace v0.2 predicate
// (in-toto/attestation spec/predicates/runtime-trace.md) for one -- COMMAND run.
import { closeSync, openSync, readSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Word } from "../word";
import { wordText } from "../word";
import { argvText as commandLine } from "../format/quote";
import type { ProcessRecord, TraceLog } from "./collect";

export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
export const PREDICATE_TYPE = "https://in-toto.io/attestation/runtime-trace/v0.2";
/** This tool as a package URL (monitor.type carries the version). */
export const MONITOR_TYPE = (version: string) => `pkg:generic/tracer@${version}`;
/** monitoredProcess.type of a command run outside a CI system we know. */
export const COMMAND_TYPE = "pkg:generic/tracer#command/v1";
export const GITHUB_BUILD_TYPE = "https://actions.github.io/buildtypes/workflow/v1";

/** Epoch ns → RFC 3339 UTC with the fraction Go writes (trailing zeros dropped). */
export function rfc3339(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return new Date(Number(sec) * 1000).toISOString().slice(0, 19) + (frac ? "." + frac : "") + "Z";
}

/** SHA-256 of a file, read in 1 MiB pieces. Bun's own hasher (as enrich/hash.ts): node:crypto
 * costs every run ~2.6 ms of CPU before `ready` to load, --attest or not (2026-12-07). */
export function sha256File(path: string): string {
  const h = new Bun.CryptoHasher("sha256");
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n: number; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest("hex");
}

const GLOB_CHARS = /[*?[\]{}]/;

/** The files a --subject glob names, relative to the working directory as written (an absolute
 * glob gives absolute names). Scanned from the glob's literal directory, not from the root. */
export function expandSubject(glob: string): string[] {
  const parts = glob.split("/");
  const lit = parts.findIndex((p) => GLOB_CHARS.test(p));
  if (lit === -1) return [glob]; // a plain path: digesting it says whether it exists
  const base = parts.slice(0, lit).join("/") || (glob.startsWith("/") ? "/" : ".");
  const rest = parts.slice(lit).join("/");
  const prefix = parts.slice(0, lit).join("/");
  let found: string[];
  try {
    found = [...new Bun.Glob(rest).scanSync({ cwd: base, onlyFiles: true, dot: true })];
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return []; // its directory does not exist
    throw new Error(`--subject '${glob}': ${(e as Error).message}`);
  }
  return found.map((f) => (prefix ? join(prefix, f) : f)).sort();
}

export interface Subject {
  name: string;
  digest: { sha256: string };
}

/** The subjects of every --subject, each file once, in name order; a glob that names no file,
 * or a file that cannot be read, is an Error (an attestation without its artifact is useless). */
export function subjectsOf(globs: readonly string[]): Subject[] {
  const names = new Set<string>();
  for (const g of globs) {
    const files = expandSubject(g);
    if (files.length === 0) throw new Error(`--subject '${g}' names no file`);
    for (const f of files) names.add(f);
  }
  return [...names].sort().map((name) => {
    try {
      return { name, digest: { sha256: sha256File(name) } };
    } catch (e) {
      throw new Error(`--subject ${name}: ${(e as Error).message}`);
    }
  });
}

/** hostID, type and event of the run: GitHub Actions' job when its variables say so. */
export function monitoredProcess(env: Record<string, string | undefined>, command: readonly string[]) {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run, GITHUB_RUN_ATTEMPT: attempt } = env;
  if (server && repo && run && attempt) {
    return {
      hostID: server,
      type: GITHUB_BUILD_TYPE,
      event: `${server}/${repo}/actions/runs/${run}/attempts/${attempt}`,
    };
  }
  return { hostID: hostname(), type: COMMAND_TYPE, event: commandLine(command) };
}

const time = (ns: bigint) => (ns === 0n ? null : rfc3339(ns));

/** One monitorLog.process entry (docs/ci.md: "The attestation"). */
function processEntry(p: ProcessRecord) {
  return {
    pid: p.pid,
    ppid: p.ppid,
    processEntityId: p.entityId,
    parentEntityId: p.parentEntityId,
    startedOn: time(p.start),
    finishedOn: time(p.end),
    exec: p.execs.map((e) => ({
      time: rfc3339(e.time),
      path: e.path,
      cmdpath: e.cmdpath,
      argv: e.argv,
      digest: e.sha256 ? { sha256: e.sha256 } : {},
      interpreterDigest: e.interpreterSha256 ? { sha256: e.interpreterSha256 } : {},
      hashError: e.hashError,
      uid: e.uid,
      euid: e.euid,
      cwd: e.cwd,
      truncated: e.truncated,
    })),
    failedExec: p.failedExecs.map((f) => ({
      time: rfc3339(f.time),
      path: f.path,
      resolved: f.resolved,
      argv: f.argv,
      errno: f.errno,
    })),
    exitCode: p.exitCode,
    signal: p.signal,
    coreDumped: p.coreDumped,
  };
}

/** The attestation's tracePolicy: the run's options as session/config.ts words them. */
export interface TracePolicy {
  events: readonly string[];
  filters: object;
  capture: object;
  user: string | null;
}

export interface RunFacts {
  version: string;
  policy: TracePolicy;
  command: readonly Word[];
  status: number;
  startedOn: bigint; // epoch ns
  finishedOn: bigint;
  /** Events the tracer knows it did not record: lost in the kernel, malformed, or not read
   * (the output failed and the loop stopped); and what --exec left out on purpose. */
  lost: number;
  malformed: number;
  unread: boolean;
  excluded: number;
  /** Nothing lost, malformed, unread or left out, every event traced (session.ts). */
  complete: boolean;
  env: Record<string, string | undefined>;
}

/** The Statement (monitorLog.process empty: writeStatement streams the entries into it). */
export function statement(subjects: Subject[], f: RunFacts) {
  return {
    _type: STATEMENT_TYPE,
    subject: subjects,
    predicateType: PREDICATE_TYPE,
    predicate: {
      monitor: {
        type: MONITOR_TYPE(f.version),
        tracePolicy: f.policy,
      },
      monitoredProcess: monitoredProcess(f.env, f.command.map(wordText)),
      monitorLog: {
        process: [] as ReturnType<typeof processEntry>[],
        complete: f.complete,
        lostEvents: f.lost,
        malformedRecords: f.malformed,
        stoppedReading: f.unread,
        excludedByFilter: f.excluded,
      },
      metadata: {
        buildStartedOn: rfc3339(f.startedOn),
        buildFinishedOn: rfc3339(f.finishedOn),
        exitStatus: f.status,
      },
    },
  };
}

/** The Statement as JSON, one monitorLog.process entry per line, each entry serialized on its
 * own (a build of 10,000 processes makes no 10 MB string). */
export function writeStatement(out: { write(s: string): void }, log: TraceLog, subjects: Subject[], f: RunFacts): void {
  const marker = '"process":[]';
  const text = JSON.stringify(statement(subjects, f));
  const at = text.indexOf(marker);
  out.write(text.slice(0, at) + '"process":[');
  let first = true;
  for (const p of log.processes()) {
    out.write((first ? "\n" : ",\n") + JSON.stringify(processEntry(p)));
    first = false;
  }
  out.write("\n]" + text.slice(at + marker.length) + "\n");
}
