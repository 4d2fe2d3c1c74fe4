// The project's one glob matcher for user-space filters (--exec, --container-name, --image, --pod):
// include/exclude lists of Bun.Glob patterns folded into one predicate.
import type { ValueFilter } from "../load/scope";

/**
 * A predicate for include/exclude glob lists, or null when both are empty. Bun.Glob syntax: `*`
 * and `?` stop at `/`, `**` crosses directories, `[...]` and `{a,b}` as in a shell. A string is
 * kept when it matches one include pattern (if any are given) and no exclude pattern.
 */
export function globFilter(f: ValueFilter<string>): ((s: string) => boolean) | null {
  const any = globsFilter(f);
  return any && ((s) => any([s]));
}

/** The same over several names of one thing (a program's file and the path it was called by):
 * kept when one of them matches an include pattern (if any are given) and none an exclude one. */
export function globsFilter(f: ValueFilter<string>): ((names: readonly string[]) => boolean) | null {
  if (f.include.length === 0 && f.exclude.length === 0) return null;
  const include = f.include.map((g) => new Bun.Glob(g));
  const exclude = f.exclude.map((g) => new Bun.Glob(g));
  const hit = (globs: Bun.Glob[], names: readonly string[]) => globs.some((g) => names.some((n) => g.match(n)));
  return (names) => (include.length === 0 || hit(include, names)) && !hit(exclude, names);
}
