// The project's one glob matcher for user-space filters (--exec, --container-name, --image, --pod):
// include/exclude lists of Bun.Glob patterns folded into one predicate.
import type { ValueFilter } from "./scope";

/**
 * A predicate for include/exclude glob lists, or null when both are empty. Bun.Glob syntax: `*`
 * and `?` stop at `/`, `**` crosses directories, `[...]` and `{a,b}` as in a shell. A string is
 * kept when it matches one include pattern (if any are given) and no exclude pattern.
 */
export function globFilter(f: ValueFilter<string>): ((s: string) => boolean) | null {
  if (f.include.length === 0 && f.exclude.length === 0) return null;
  const include = f.include.map((g) => new Bun.Glob(g));
  const exclude = f.exclude.map((g) => new Bun.Glob(g));
  return (s) => (include.length === 0 || include.some((g) => g.match(s))) && !exclude.some((g) => g.match(s));
}
