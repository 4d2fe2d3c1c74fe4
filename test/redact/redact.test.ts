// The redaction rules on strings, the raw-bytes pre-filter (it must never hide what the rules
// would find), and the record stage (the JSON written from a redacted record: only the secret's
// bytes differ, the counts of what was not captured stay). The kernel side: test/kernel/redact.test.ts.
import { describe, expect, test } from "bun:test";
import { Redactor } from "../../src/redact/redactor";
import { ByteRedactor, mayHoldSecret } from "../../src/redact/bytes";
import { byteRedactor, redactStage } from "../../src/redact/record";
import { MARK } from "../../src/redact/rules";
import { JsonEncoder, formatJson } from "../../src/format/json";
import { arg } from "../../src/decode/event";
import { JsonEvent } from "../../src/decode/json-event";
import { ScannedEvent } from "../../src/decode/json-scan";
import { redactJsonEvent } from "../../src/redact/json";
import { exec_record as E, record_kind as K } from "../../src/decode/layout.gen";
import { execView, fixedRecord, GCC_ARGV, nulList, prng, viewOf } from "../records";
import { decodeBytes, encodeBytes } from "../../src/decode/text";

const rules = new Redactor({ defaults: true, patterns: [], envGlobs: [] });
const argv = (items: string[]) => rules.argv(items, "argv");

describe("the default rules", () => {
  const cases: [string[], string[], string[]][] = [
    [["mysql", "-uroot", "-pS3cret", "db"], ["mysql", "-uroot", `-p${MARK}`, "db"], ["argv[2]:mysql-p"]],
    [["/usr/bin/mariadb-dump", "-pX"], ["/usr/bin/mariadb-dump", `-p${MARK}`], ["argv[1]:mysql-p"]],
    [
      ["tool", "--password=x1", "--api-key", "k2", "--dbPassword", "p3"],
      ["tool", `--password=${MARK}`, "--api-key", MARK, "--dbPassword", MARK],
      ["argv[1]:option", "argv[3]:option", "argv[5]:option"],
    ],
    [
      ["curl", "-H", "Authorization: Bearer abc", "-uadmin:pw", "--user=a:b"],
      ["curl", "-H", `Authorization: Bearer ${MARK}`, `-uadmin:${MARK}`, `--user=a:${MARK}`],
      ["argv[2]:authorization", "argv[3]:curl-user", "argv[4]:curl-user"],
    ],
    [
      ["wget", "--header=proxy-authorization:tok"],
      ["wget", `--header=proxy-authorization:${MARK}`],
      ["argv[1]:authorization"],
    ],
    [
      ["git", "clone", "https://u:p%40ss@h/r", "ssh://git@h/r", "https://tok@h/r"],
      ["git", "clone", `https://u:${MARK}@h/r`, "ssh://git@h/r", `https://${MARK}@h/r`],
      ["argv[2]:url-password", "argv[4]:url-userinfo"],
    ],
    [
      ["env", "AWS_SECRET_ACCESS_KEY=abc", "PWD=/tmp", "make"],
      ["env", `AWS_SECRET_ACCESS_KEY=${MARK}`, "PWD=/tmp", "make"],
      ["argv[1]:assignment"],
    ],
    [
      ["x", "AKIAABCDEFGHIJKLMNOP", "xoxp-1234567890-abc", "eyJhbGciOiJI.eyJzdWIiOiIx.c2ln"],
      ["x", MARK, MARK, MARK],
      ["argv[1]:aws-key-id", "argv[2]:slack-token", "argv[3]:jwt"],
    ],
    [
      ["x", "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"],
      ["x", `-----BEGIN PRIVATE KEY-----${MARK}-----END PRIVATE KEY-----\n`],
      ["argv[1]:private-key"],
    ],
    [["sshpass", "-p", "pw", "ssh", "-p", "22"], ["sshpass", "-p", MARK, "ssh", "-p", "22"], ["argv[2]:sshpass-p"]],
  ];
  for (const [given, want, hits] of cases) {
    test(given.join(" ").replace(/\n/g, "\\n").slice(0, 60), () => expect(argv(given)).toEqual({ items: want, hits }));
  }

  test("no false positives on what looks close", () => {
    for (const a of [
      [
        "gcc",
        "-DPASSWORD_LEN=8",
        "-pthread",
        "-pipe",
        "-o",
        "key.o",
        "tokenizer.c",
        "-Wl,-plugin-opt=-pass-through=-lgcc",
      ],
      ["mkdir", "-p", "/tmp/x"],
      ["cp", "-pr", "a", "b"],
      ["docker", "login", "--password-stdin", "reg.io"],
      ["tool", "--token-file", "/f", "--no-password", "keep", "--secret-name", "n", "--key", "k.pem"],
      ["ssh", "git@github.com"],
      ["npm", "i", "left-pad@1.3.0"],
      ["x", "https://example.com/a?b=c"],
      ["curl", "-u", "admin", "-H", "Accept: text/plain"],
      ["sort", "-u", "a:b"],
      ["make", "KEYMAP=us", "MONKEY=1"],
    ])
      expect(argv(a)).toBeNull();
    expect(rules.env(["PWD=/src", "OLDPWD=/", "HOME=/root", "AUTHOR=me", "KEYBOARD=us"], "env")).toBeNull();
  });

  test("environment values by name, and what applies anywhere", () => {
    expect(
      rules.env(
        ["GITHUB_TOKEN=x", "PGPASSWORD=y", "SSH_AUTH_SOCK=/s", "HTTPS_PROXY=http://u:p@proxy:3128", "HOME=/root"],
        "env",
      ),
    ).toEqual({
      items: [
        `GITHUB_TOKEN=${MARK}`,
        `PGPASSWORD=${MARK}`,
        `SSH_AUTH_SOCK=${MARK}`,
        `HTTPS_PROXY=http://u:${MARK}@proxy:3128`,
        "HOME=/root",
      ],
      hits: ["env[0]:env-name", "env[1]:env-name", "env[2]:env-name", "env[3]:url-password"],
    });
  });

  test("--redact (groups or the whole match), --redact-env, --no-redact", () => {
    const r = new Redactor({ defaults: false, patterns: ["session=(\\w+)", "zz+"], envGlobs: ["MY_*"] });
    expect(r.argv(["a", "session=abc;x", "zzz", "--password=x"], "argv")).toEqual({
      items: ["a", `session=${MARK};x`, MARK, "--password=x"],
      hits: ["argv[1]:redact-1", "argv[2]:redact-2"],
    });
    expect(r.env(["MY_V=1", "O=2", "TOKEN=3"], "env")).toEqual({
      items: [`MY_V=${MARK}`, "O=2", "TOKEN=3"],
      hits: ["env[0]:redact-env"],
    });
    expect(new Redactor({ defaults: false, patterns: [], envGlobs: [] }).empty).toBe(true);
  });
});

describe("the pre-filter", () => {
  const enc = (items: string[]) => encodeBytes(items.join("\0") + "\0");
  test("a command line without a trigger is not decoded: gcc, a long compile line", () => {
    expect(mayHoldSecret(enc(GCC_ARGV), 0, enc(GCC_ARGV).length)).toBe(false);
  });

  // Random lists of pieces, secrets among them: whatever the rules find on the strings, the
  // byte side (pre-filter first) finds the same.
  test("never hides what the rules find (10,000 random lists)", () => {
    const g = prng(26);
    const pieces = [
      "-o",
      "x.o",
      "--PassWord=",
      "--api-key",
      "v",
      "mysql",
      "-pX",
      "TOKEN=",
      "Authorization: basic ",
      "HTTPS://U:P@h",
      "AKIAABCDEFGHIJKLMNOP",
      "gho_abcdefghijklmnopqrstuvwxyz",
      "XOXB-1234567890a",
      "eyJabcdefghij.klmnopqrstu.v",
      "-----BEGIN EC PRIVATE KEY-----",
      "curl",
      "-u",
      "a:b",
      "sshpass",
      "\xff",
      "é",
      "cred",
      "SECRET",
      "pwd",
      " ",
    ];
    const bytes = new ByteRedactor(rules);
    let found = 0;
    for (let n = 0; n < 10000; n++) {
      const items = Array.from({ length: 1 + g.below(5) }, () =>
        Array.from({ length: 1 + g.below(3) }, () => g.pick(pieces)).join(""),
      );
      const b = enc(items);
      const viaStrings = rules.argv(
        items.map((s) => decodeBytes(encodeBytes(s))),
        "argv",
      );
      const viaBytes = bytes.argv(b, 0, b.length, "argv");
      if (viaStrings === null) expect(viaBytes).toBeNull();
      else {
        found++;
        expect(viaBytes).not.toBeNull();
        expect(viaBytes!.hits).toEqual(viaStrings.hits);
        expect(Buffer.from(viaBytes!.bytes).equals(Buffer.from(enc(viaStrings.items)))).toBe(true);
      }
    }
    expect(found).toBeGreaterThan(1000);
  });
});

test("--redact-env: a NAME=value argument of such a name is redacted from the record's bytes as from strings", () => {
  const rules = new Redactor({ defaults: true, patterns: [], envGlobs: ["MYAPP_*"] });
  const enc = (items: string[]) => encodeBytes(items.join("\0") + "\0");
  const items = ["env", "MYAPP_X=hunter2", "true"];
  const b = enc(items);
  const viaStrings = rules.argv(items, "argv");
  expect(viaStrings?.items).toEqual(["env", "MYAPP_X=[REDACTED]", "true"]);
  const viaBytes = new ByteRedactor(rules).argv(b, 0, b.length, "argv");
  expect(viaBytes?.hits).toEqual(viaStrings!.hits);
  expect(Buffer.from(viaBytes!.bytes).equals(Buffer.from(enc(viaStrings!.items)))).toBe(true);
});

describe("the record stage", () => {
  const list = (a: (string | Uint8Array)[]) =>
    Buffer.concat(a.map((x) => Buffer.concat([typeof x === "string" ? Buffer.from(x) : x, Buffer.from([0])])));
  const exec = (argv: Buffer, total: number) =>
    fixedRecord(
      K.KIND_EXEC,
      E.$size,
      4242,
      [
        [E.pathname, "/usr/bin/mysql"],
        [E.argv, argv],
      ],
      (dv) => {
        dv.setUint32(E.argc, 5, true);
        dv.setUint32(E.argv_size, total, true);
      },
    );

  test("the JSON of a redacted record: only the secret differs; bytes around it and the dropped counts kept", () => {
    const secret = "S3cr\xe9t";
    const raw = list(["mysql", new Uint8Array([0xff, 0x2d]), "-p" + secret, "db"]);
    const rec = exec(raw, raw.length + 100); // 100 bytes were not captured
    const plain = viewOf(rec);
    const stage = redactStage(byteRedactor({ defaults: true, patterns: [], envGlobs: [] })!);
    expect(stage(plain)).toBe(true);
    const enc = new JsonEncoder(false);
    const line = JSON.parse(formatJson(enc, plain));
    const value = (n: string) => line.args.find((a: { name: string }) => a.name === n).value;
    expect(value("argv")).toEqual(["mysql", "\udcff-", `-p${MARK}`, "db"]);
    expect(value("redacted")).toEqual(["argv[2]:mysql-p"]);
    expect(value("argv_dropped_bytes")).toBe(100);
    expect(arg(plain as never, "argv_dropped_args" as never)).toBe(1);
    const unredacted = JSON.parse(formatJson(enc, viewOf(rec)));
    for (const k of Object.keys(unredacted)) if (k !== "args") expect(line[k]).toEqual(unredacted[k]);
    for (const a of unredacted.args)
      if (a.name !== "argv" && a.name !== "redacted") expect(value(a.name)).toEqual(a.value);
    expect(Buffer.from(plain.r.u8.subarray(0, plain.r.len)).includes(Buffer.from(secret))).toBe(false); // no copy left in the view
  });

  test("random records: a record without a trigger is left as it is", () => {
    const g = prng(7);
    const stage = redactStage(byteRedactor({ defaults: true, patterns: [], envGlobs: [] })!);
    for (let i = 0; i < 500; i++) {
      const l = nulList(g);
      const ev = viewOf(exec(Buffer.from(l), l.length));
      const before = formatJson(new JsonEncoder(false), ev);
      expect(stage(ev)).toBe(false);
      expect(formatJson(new JsonEncoder(false), ev)).toBe(before);
    }
  });
});

test("tracer show: a saved line's lists (the record's and the process table's) redacted, `redacted` says so", () => {
  const line = JSON.stringify({
    eventName: "sched_process_exec",
    args: [
      { name: "argv", value: ["mysql", "-pX"] },
      { name: "env", value: ["A_TOKEN=t"] },
      { name: "redacted", value: [] },
      { name: "parent_argv", value: ["sh", "--token=t"] },
    ],
  });
  const ev = JsonEvent.parse(line, 1);
  redactJsonEvent(ev, rules);
  expect(arg(ev as never, "argv" as never)).toEqual(["mysql", `-p${MARK}`]);
  expect(arg(ev as never, "env" as never)).toEqual([`A_TOKEN=${MARK}`]);
  expect(arg(ev as never, "parent_argv" as never)).toEqual(["sh", `--token=${MARK}`]);
  expect(arg(ev as never, "redacted" as never)).toEqual([
    "argv[1]:mysql-p",
    "env[0]:env-name",
    "parent_argv[1]:option",
  ]);
});

test("tracer show: a list met again (the scanner's lines) is redacted again, and the same list in another field is named by it", () => {
  const memoRules = new Redactor({ defaults: true, patterns: [], envGlobs: [] });
  const base = formatJson(new JsonEncoder(false), execView(1)).trimEnd();
  const withLists = (argv: string[], parent: string[]) =>
    base
      .replace(/("name":"argv","type":"\[\]string","value":)\[[^\]]*\]/, (_, k) => k + JSON.stringify(argv))
      .replace(/("name":"parent_argv","type":"\[\]string","value":)\[[^\]]*\]/, (_, k) => k + JSON.stringify(parent));
  const read = (line: string) => {
    const ev = ScannedEvent.scan(Buffer.from(line), 1);
    expect(ev).toBeInstanceOf(ScannedEvent);
    redactJsonEvent(ev, memoRules);
    return ["argv", "parent_argv", "redacted"].map((n) => arg(ev as never, n as never));
  };
  const secret = ["mysql", "-pS3cret", "a\\b"];
  const want = [["mysql", `-p${MARK}`, "a\\b"], ["sh"], ["argv[1]:mysql-p"]];
  for (let i = 0; i < 3; i++) expect(read(withLists(secret, ["sh"]))).toEqual(want);
  // one byte more: its own list
  expect(read(withLists([...secret, "x"], ["sh"]))).toEqual([[...want[0]!, "x"], ["sh"], ["argv[1]:mysql-p"]]);
  // the same list as parent_argv: redacted there, the hit named by that field
  expect(read(withLists(["sh"], secret))).toEqual([["sh"], want[0], ["parent_argv[1]:mysql-p"]]);
  // the same line with other rules (--no-redact): what those rules make of it
  const none = ScannedEvent.scan(Buffer.from(withLists(["sh"], secret)), 1);
  redactJsonEvent(none, new Redactor({ defaults: false, patterns: [], envGlobs: [] }));
  expect(arg(none as never, "parent_argv" as never)).toEqual(secret);
  expect(read(withLists(["sh"], secret))).toEqual([["sh"], want[0], ["parent_argv[1]:mysql-p"]]);
  // a list the rules leave as it is, met twice (an escape has it decoded): left as it is both times
  for (let i = 0; i < 2; i++)
    expect(read(withLists(["grep", "a\\|b"], ["sh"]))).toEqual([["grep", "a\\|b"], ["sh"], []]);
});

test("tracer show: a scanned line's lists redacted when read, in any order, as when redacted at once", () => {
  const base = formatJson(new JsonEncoder(false), execView(1)).trimEnd();
  const line = (argv: string[], parent: string[]) =>
    base
      .replace(/("name":"argv","type":"\[\]string","value":)\[[^\]]*\]/, (_, k) => k + JSON.stringify(argv))
      .replace(/("name":"parent_argv","type":"\[\]string","value":)\[[^\]]*\]/, (_, k) => k + JSON.stringify(parent));
  const names = ["argv", "parent_argv", "redacted"];
  const cases = [
    [
      ["ls", "-l"],
      ["sh", "--token=t"],
    ],
    [["mysql", "-pX"], ["sh"]],
    [
      ["mysql", "-pX"],
      ["curl", "--password=p"],
    ],
    [["ls"], ["sh"]],
  ];
  const orders = [
    [0, 1, 2],
    [1, 0, 2],
    [2, 0, 1],
    [0, 2, 1],
  ];
  for (const [argv, parent] of cases) {
    // at once: a JsonEvent of the same line
    const whole = JsonEvent.parse(line(argv!, parent!), 1);
    redactJsonEvent(whole, rules);
    const want = names.map((n) => arg(whole as never, n as never));
    for (const order of orders) {
      const ev = ScannedEvent.scan(Buffer.from(line(argv!, parent!)), 1);
      expect(ev).toBeInstanceOf(ScannedEvent);
      redactJsonEvent(ev, rules);
      const got: unknown[] = [];
      for (const i of order) got[i] = arg(ev as never, names[i] as never);
      expect(got).toEqual(want);
    }
    // has() and listAt() wait for the same work: a list the rules change is no plain list of the line
    const ev = ScannedEvent.scan(Buffer.from(line(argv!, parent!)), 1) as ScannedEvent;
    redactJsonEvent(ev, rules);
    const argvAt = ev.def.args.findIndex((f) => f.name === "argv");
    expect(ev.listAt(argvAt) < 0).toBe(argv![0] === "mysql");
    expect(arg(ev as never, "argv" as never)).toEqual(want[0]);
  }
});
