// The redaction rules: what counts as a secret in a command line or an environment, as data and
// small predicates (docs/redaction.md lists them by these names). redactor.ts applies them.
import { dfgOnly } from "../jit";

/** What replaces every redacted run of bytes: distinctive, so a reader (or an alert) can tell a
 * redacted value from a real one; a real password of "****" is plausible, this is not. */
export const MARK = "[REDACTED]";

/** Words that make an option's name (or a variable's name) a secret's: the option rule. Matched
 * against the name's words (split at - _ . and camelCase), whole words, in order. */
const OPTION_WORDS: readonly (readonly string[])[] = [
  ["password"],
  ["passwd"],
  ["passphrase"],
  ["pwd"],
  ["secret"],
  ["token"],
  ["apikey"],
  ["api", "key"],
  ["access", "key"],
  ["private", "key"],
  ["credential"],
  ["credentials"],
];

/** A name whose last word says it names where a secret is, not the secret (--password-file,
 * --token-url, --secret-name): its value is kept. */
const POINTER_WORDS = new Set([
  "file",
  "files",
  "path",
  "dir",
  "stdin",
  "fd",
  "env",
  "var",
  "cmd",
  "command",
  "prompt",
  "helper",
  "url",
  "uri",
  "endpoint",
  "name",
  "id",
  "type",
  "len",
  "length",
  "size",
  "min",
  "max",
  "count",
]);

/** The words of an option or variable name, lowercase: `--dbPassword_file` → db, password, file. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .split(/[-_.]+/)
    .filter((w) => w !== "");
}

/** The option rule's test on a name without its dashes: a secret word, not negated (no-…),
 * not a pointer to one (…-file). */
export function secretOptionName(name: string): boolean {
  const w = nameWords(name);
  if (w.length === 0 || w[0] === "no" || w[0] === "without" || POINTER_WORDS.has(w[w.length - 1]!)) return false;
  for (let i = 0; i < w.length; i++) {
    next: for (const k of OPTION_WORDS) {
      for (let j = 0; j < k.length; j++) if (w[i + j] !== k[j]) continue next;
      return true;
    }
  }
  return false;
}

/** The env-name rule: a variable whose name says it holds a secret. Long words anywhere in the
 * name (PGPASSWORD, NPM_AUTHTOKEN); the short ones (KEY, AUTH) only as a whole word of it
 * (SSH_KEY, not MONKEY or AUTHOR). PWD/OLDPWD (the working directory) are not secrets. */
const ENV_ANYWHERE = /PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIAL|APIKEY|PRIVATE_?KEY/i;
const ENV_WORD = /(?:^|_)(?:KEY|AUTH)(?:_|$)/i;
export function secretEnvName(name: string): boolean {
  return ENV_ANYWHERE.test(name) || ENV_WORD.test(name);
}

/** Programs whose -pVALUE is a password (mysql's family; sshpass also takes -p VALUE), and
 * whose -u/--user USER:PASSWORD carries one (curl). Compared with argv[0]'s last component. */
export const MYSQL_LIKE = /^(?:mysql|mariadb)[a-z_-]*$/;
export const SSHPASS = "sshpass";
export const CURL = "curl";

/** Shapes of well-known credentials, found anywhere in a string: the whole match is replaced
 * (the private key: its body, between the BEGIN and END lines). None matches a NUL: they run
 * over a list's strings joined by NULs. */
export const SHAPES: readonly { name: string; re: RegExp; group: number }[] = [
  { name: "aws-key-id", re: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g, group: 0 },
  {
    name: "github-token",
    re: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g,
    group: 0,
  },
  { name: "slack-token", re: /(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{8,}/g, group: 0 },
  {
    name: "private-key",
    re: /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----([^\0]*?)(?:-----END \1PRIVATE KEY-----|(?=\0)|$)/dg,
    group: 2,
  },
  { name: "jwt", re: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, group: 0 },
];

/** `Authorization:` and `Proxy-Authorization:` header values (curl -H, wget --header): the
 * credentials after the scheme word (Bearer, Basic) are replaced, or the whole value. */
export const AUTH_HEADER = /authorization[ \t]*:[ \t]*(?:[A-Za-z][A-Za-z0-9-]*[ \t]+(?=\S))?/gi;

/** `NAME=value` as an argument (env NAME=…, make NAME=…, docker run -e NAME=…). */
export const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=/;

/** `-name`, `--name` or `--name=value` (one dash: a name of 3 or more, so -p is never one). */
export const OPTION = /^(?:--([A-Za-z][A-Za-z0-9_.-]*)|-([A-Za-z][A-Za-z0-9_.-]{2,}))(=)?/;

/** The rules' names, as the `redacted` arg and docs/redaction.md name them. */
export const RULES = {
  option: "option",
  mysql: "mysql-p",
  sshpass: "sshpass-p",
  curlUser: "curl-user",
  assignment: "assignment",
  auth: "authorization",
  urlPassword: "url-password",
  urlUser: "url-userinfo",
  envName: "env-name",
  envGlob: "redact-env",
} as const;
dfgOnly(nameWords, secretOptionName, secretEnvName); // src/jit.ts: tracer show
