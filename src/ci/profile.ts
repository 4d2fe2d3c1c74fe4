// The baseline: the set of programs a run executed, {path, sha256}, sorted and stable (one line per
// program, diff-friendly), and the comparison of a run with it. Built from plain values, so a
// saved trace (JSON lines: sched_process_exec's pathname and sha256) can feed it as well as a run.
import { readFileSync } from "node:fs";

export interface Program {
  path: string;
  sha256: string;
}

export const PROFILE_TYPE = "tracer/profile/v1";

/** Programs → the profile's sorted, deduplicated list. A path matching an ignore glob (a volatile
 * build or temp dir) is recorded as the glob itself, without hash: all of them are one entry. */
export function buildProfile(programs: Iterable<Program>, ignore: readonly string[]): Program[] {
  const globs = ignore.map((g) => ({ g, m: new Bun.Glob(g) }));
  const seen = new Map<string, Program>();
  for (const p of programs) {
    const hit = globs.find(({ m }) => m.match(p.path));
    const q = hit ? { path: hit.g, sha256: "" } : { path: p.path, sha256: p.sha256 };
    seen.set(`${q.path}\0${q.sha256}`, q);
  }
  return [...seen.values()].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0,
  );
}

/** The profile file's text: one program per line. */
export function profileText(programs: readonly Program[]): string {
  const lines = programs.map((p) => "    " + JSON.stringify({ path: p.path, sha256: p.sha256 }));
  return `{\n  "type": ${JSON.stringify(PROFILE_TYPE)},\n  "programs": [\n${lines.join(",\n")}${lines.length ? "\n" : ""}  ]\n}\n`;
}

/** Read a profile file; anything that is not one is an Error saying what (one line). */
export function readProfile(path: string): Program[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`--baseline ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`--baseline ${path}: not JSON (${(e as Error).message})`);
  }
  const d = doc as { type?: unknown; programs?: unknown };
  if (d?.type !== PROFILE_TYPE || !Array.isArray(d.programs))
    throw new Error(`--baseline ${path}: not a tracer profile (no "type": "${PROFILE_TYPE}" with a "programs" list)`);
  return d.programs.map((p: unknown, i: number) => {
    const q = p as Program;
    if (typeof q?.path !== "string" || typeof q.sha256 !== "string")
      throw new Error(`--baseline ${path}: programs[${i}] is not {path, sha256}`);
    return { path: q.path, sha256: q.sha256 };
  });
}

export interface ProfileDiff {
  /** Ran now, not in the baseline: a new path, or a known path with a new hash. */
  added: Program[];
  /** In the baseline, not run now. */
  gone: Program[];
}

/** Both profiles as buildProfile makes them (normalized with the same ignore globs). */
export function compareProfiles(baseline: readonly Program[], now: readonly Program[]): ProfileDiff {
  const key = (p: Program) => `${p.path}\0${p.sha256}`;
  const before = new Set(baseline.map(key));
  const after = new Set(now.map(key));
  return { added: now.filter((p) => !before.has(key(p))), gone: baseline.filter((p) => !after.has(key(p))) };
}

/** The stderr lines of a comparison with the baseline file `name`: the new programs, then the gone. */
export function diffLines(name: string, diff: ProfileDiff): { added: string[]; gone: string[] } {
  return {
    added: diff.added.map(
      (p) => `tracer: new program against ${name}: ${p.path}${p.sha256 ? ` (sha256 ${p.sha256})` : ""}`,
    ),
    gone: diff.gone.map((p) => `tracer: no longer run (in ${name}): ${p.path}`),
  };
}
