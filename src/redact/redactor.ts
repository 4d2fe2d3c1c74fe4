// The rules applied to one argv or environment: strings in, the same strings with each secret's
// characters replaced by MARK out, and which rule hit which string. Strings are the lossless
// decoding of the bytes (decode/text.ts), so what is kept around a secret comes back as the very
// same bytes; bytes.ts is the record side (a cheap pre-filter, then this).
import {
  ASSIGNMENT,
  AUTH_HEADER,
  CURL,
  MARK,
  MYSQL_LIKE,
  OPTION,
  RULES,
  SHAPES,
  SSHPASS,
  secretEnvName,
  secretOptionName,
} from "./rules";

export interface RedactOptions {
  /** The default rules (off: --no-redact). */
  defaults: boolean;
  /** --redact REGEX, in order: each match (or, when it has groups, each group) is replaced. */
  patterns: string[];
  /** --redact-env GLOB: variables whose values are replaced whole. */
  envGlobs: string[];
}

/** A list with its secrets replaced, and what was replaced: `FIELD[INDEX]:RULE`. */
export interface Redacted {
  items: string[];
  hits: string[];
}

interface Pattern {
  name: string;
  re: RegExp;
  groups: boolean;
}

/** Runs [start, end) of one string to replace, each with the rule that found it. */
type Runs = [number, number, string][];

const basename = (s: string) => s.slice(s.lastIndexOf("/") + 1);

export class Redactor {
  readonly defaults: boolean;
  readonly patterns: readonly Pattern[];
  private readonly envGlobs: readonly Bun.Glob[];

  constructor(o: RedactOptions) {
    this.defaults = o.defaults;
    this.patterns = o.patterns.map((p, i) => {
      const re = new RegExp(p, "dgu");
      return { name: `redact-${i + 1}`, re, groups: new RegExp(`${p}|`, "u").exec("")!.length > 1 };
    });
    this.envGlobs = o.envGlobs.map((g) => new Bun.Glob(g));
  }

  /** The default rules and nothing else (no --redact, no --redact-env). */
  get defaultsOnly(): boolean {
    return this.defaults && this.patterns.length === 0 && this.envGlobs.length === 0;
  }

  /** Nothing to apply: no stage at all. */
  get empty(): boolean {
    return !this.defaults && this.patterns.length === 0 && this.envGlobs.length === 0;
  }

  /** argv: options, program-specific flags, assignments, then what applies anywhere. */
  argv(items: readonly string[], field: string): Redacted | null {
    const runs: Runs[] = items.map(() => []);
    if (this.defaults) {
      const prog = items.length ? basename(items[0]!) : "";
      for (let i = 1; i < items.length; i++) {
        const s = items[i]!;
        const o = s.charCodeAt(0) === 0x2d ? OPTION.exec(s) : null;
        if (o) {
          if (!secretOptionName(o[1] ?? o[2]!)) continue;
          if (o[3]) add(runs[i]!, o[0].length, s.length, RULES.option);
          else if (o[0].length === s.length && i + 1 < items.length && !items[i + 1]!.startsWith("--"))
            add(runs[++i]!, 0, items[i]!.length, RULES.option);
          continue;
        }
        const a = s.indexOf("=") > 0 ? ASSIGNMENT.exec(s) : null;
        if (a && this.secretName(a[1]!)) add(runs[i]!, a[0].length, s.length, RULES.assignment);
      }
      if (MYSQL_LIKE.test(prog)) {
        for (let i = 1; i < items.length; i++)
          if (/^-p./.test(items[i]!)) add(runs[i]!, 2, items[i]!.length, RULES.mysql);
      } else if (prog === SSHPASS) {
        for (let i = 1; i < items.length && items[i]!.startsWith("-"); i++) {
          const s = items[i]!;
          if (s === "-p" && i + 1 < items.length) add(runs[++i]!, 0, items[i]!.length, RULES.sshpass);
          else if (s.startsWith("-p")) add(runs[i]!, 2, s.length, RULES.sshpass);
          else if (/^-[fdP]$/.test(s)) i++; // options with a value
        }
      } else if (prog === CURL) {
        for (let i = 1; i < items.length; i++) {
          const s = items[i]!;
          const m = /^(?:-[uU]|--(?:proxy-)?user=?)/.exec(s);
          if (!m) continue;
          let j = i,
            from = m[0].length;
          if (from === s.length && !s.endsWith("=")) {
            j = ++i;
            from = 0;
          }
          const v = items[j];
          const colon = v === undefined ? -1 : v.indexOf(":", from);
          if (colon >= 0) add(runs[j]!, colon + 1, v!.length, RULES.curlUser);
        }
      }
    }
    this.anywhere(items, runs);
    return finish(items, runs, field);
  }

  /** The environment: NAME=value entries, values of secret names whole, then what applies anywhere. */
  env(items: readonly string[], field: string): Redacted | null {
    const runs: Runs[] = items.map(() => []);
    for (let i = 0; i < items.length; i++) {
      const s = items[i]!;
      const eq = s.indexOf("=");
      if (eq > 0) {
        const name = s.slice(0, eq);
        if (this.defaults && secretEnvName(name)) add(runs[i]!, eq + 1, s.length, RULES.envName);
        else if (this.envGlobs.some((g) => g.match(name))) add(runs[i]!, eq + 1, s.length, RULES.envGlob);
      }
    }
    this.anywhere(items, runs);
    return finish(items, runs, field);
  }

  private secretName(name: string): boolean {
    return secretEnvName(name) || this.envGlobs.some((g) => g.match(name));
  }

  /** Rules that apply anywhere in a string: header values, URL userinfo, token shapes (each
   * run once over the strings joined by NUL, which none of them crosses: a third of the cost of
   * running each on each string), and --redact (on each string: its anchors mean the string's). */
  private anywhere(items: readonly string[], runs: Runs[]): void {
    if (this.defaults) {
      const all = items.join("\0");
      const found: Runs = [];
      for (let m = first(AUTH_HEADER, all); m !== null; m = AUTH_HEADER.exec(all)) {
        const from = m.index + m[0].length;
        let to = from;
        while (to < all.length && all[to] !== "\n" && all[to] !== "\r" && all[to] !== "\0") to++;
        add(found, from, to, RULES.auth);
      }
      for (const [from, colon, to, scheme] of userinfos(all)) {
        if (colon >= 0) add(found, colon + 1, to, RULES.urlPassword);
        else if (/^https?$/i.test(scheme)) add(found, from, to, RULES.urlUser);
      }
      for (const shape of SHAPES) {
        for (let m = first(shape.re, all); m !== null; m = shape.re.exec(all)) {
          const [a, b] = shape.group === 0 ? [m.index, m.index + m[0].length] : m.indices![shape.group]!;
          add(found, a, b, shape.name);
        }
      }
      if (found.length) {
        let i = 0,
          at = 0; // items[i] starts at `at` in `all`
        for (const [a, b, rule] of found.sort((x, y) => x[0] - y[0])) {
          while (a >= at + items[i]!.length + 1) at += items[i++]!.length + 1;
          add(runs[i]!, a - at, Math.min(b, at + items[i]!.length) - at, rule);
        }
      }
    }
    for (const p of this.patterns) {
      for (let i = 0; i < items.length; i++) {
        const s = items[i]!;
        for (let m = first(p.re, s); m !== null; m = p.re.exec(s)) {
          if (m[0].length === 0) p.re.lastIndex++; // an empty match: move on
          if (!p.groups) add(runs[i]!, m.index, m.index + m[0].length, p.name);
          else
            for (let g = 1; g < m.indices!.length; g++)
              if (m.indices![g]) add(runs[i]!, m.indices![g]![0], m.indices![g]![1], p.name);
        }
      }
    }
  }
}

const isSchemeChar = (c: number) =>
  (c >= 0x61 && c <= 0x7a) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x30 && c <= 0x39) ||
  c === 0x2b ||
  c === 0x2d ||
  c === 0x2e;
const endsAuthority = (c: number) => c === 0x2f || c === 0x3f || c === 0x23 || c <= 0x20; // / ? # space, controls, NUL

/** The userinfo of every `scheme://userinfo@host` in s: [start, first colon or -1, end, scheme]
 * (userinfo runs to the authority's last @). A scan from each "://", not a regular expression:
 * one that looks for the scheme first tries every position of a long word (quadratic). */
function userinfos(s: string): [number, number, number, string][] {
  const out: [number, number, number, string][] = [];
  for (let k = s.indexOf("://"); k >= 0; k = s.indexOf("://", k + 3)) {
    let a = k;
    while (a > 0 && isSchemeChar(s.charCodeAt(a - 1))) a--;
    while (a < k && !/[A-Za-z]/.test(s[a]!)) a++; // a scheme starts with a letter
    if (a === k) continue;
    let e = k + 3;
    while (e < s.length && !endsAuthority(s.charCodeAt(e))) e++;
    const at = s.lastIndexOf("@", e - 1);
    if (at < k + 3) continue;
    const colon = s.indexOf(":", k + 3);
    out.push([k + 3, colon >= 0 && colon < at ? colon : -1, at, s.slice(a, k)]);
  }
  return out;
}

/** The first match of a global regular expression in s (then .exec(s) gives the next ones):
 * matchAll would copy the expression on every call, which cost most of the slow path. */
function first(re: RegExp, s: string): RegExpExecArray | null {
  re.lastIndex = 0;
  return re.exec(s);
}

function add(runs: Runs, from: number, to: number, rule: string): void {
  if (to > from) runs.push([from, to, rule]);
}

/** The strings with their runs replaced (overlapping runs as one), or null when none. */
function finish(items: readonly string[], runs: Runs[], field: string): Redacted | null {
  let hits: string[] | null = null;
  const out = items.slice();
  for (let i = 0; i < items.length; i++) {
    const r = runs[i]!;
    if (r.length === 0) continue;
    hits ??= [];
    r.sort((x, y) => x[0] - y[0]);
    const s = items[i]!;
    let text = "";
    let at = 0;
    for (const [a, b] of r) {
      if (b <= at) continue;
      text += s.slice(at, Math.max(a, at)) + (a >= at ? MARK : "");
      at = b;
    }
    out[i] = text + s.slice(at);
    for (const rule of new Set(r.map((x) => x[2]))) hits.push(`${field}[${i}]:${rule}`);
  }
  return hits === null ? null : { items: out, hits };
}
