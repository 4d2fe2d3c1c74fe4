// The baseline's pure parts: a profile is sorted, deduplicated, normalized by the ignore globs, and
// read back exactly; the comparison names what is new and what is gone; bad files say why.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildProfile, compareProfiles, profileText, readProfile } from "../../src/ci/profile";
import { code } from "../../src/ci/summary";
import { lexer, type Tokens } from "marked";

const dir = mkdtempSync(join(tmpdir(), "tracer-profile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runs = [
  { path: "/usr/bin/make", sha256: "bb" },
  { path: "/tmp/build.1/out/app", sha256: "11" },
  { path: "/usr/bin/cc", sha256: "aa" },
  { path: "/usr/bin/make", sha256: "bb" },
  { path: "/tmp/build.2/out/app", sha256: "22" },
  { path: "/usr/bin/cc", sha256: "a0" },
];

describe("profile", () => {
  test("sorted by path then hash, each program once, ignored paths as their glob without hash", () => {
    expect(buildProfile(runs, ["/tmp/*/out/*"])).toEqual([
      { path: "/tmp/*/out/*", sha256: "" },
      { path: "/usr/bin/cc", sha256: "a0" },
      { path: "/usr/bin/cc", sha256: "aa" },
      { path: "/usr/bin/make", sha256: "bb" },
    ]);
  });
  test("written one program per line and read back as it was", () => {
    const p = buildProfile(runs, []);
    const file = join(dir, "p.json");
    writeFileSync(file, profileText(p));
    expect(readProfile(file)).toEqual(p);
    expect(
      profileText(p)
        .split("\n")
        .filter((l) => l.includes('"path"')).length,
    ).toBe(p.length);
    writeFileSync(file, profileText([]));
    expect(readProfile(file)).toEqual([]);
  });
  test("new: a new path or a known path with a new hash; gone: not run any more", () => {
    const before = buildProfile(
      [
        { path: "/usr/bin/cc", sha256: "aa" },
        { path: "/usr/bin/ld", sha256: "cc" },
      ],
      [],
    );
    const after = buildProfile(
      [
        { path: "/usr/bin/cc", sha256: "ab" },
        { path: "/usr/bin/touch", sha256: "dd" },
      ],
      [],
    );
    expect(compareProfiles(before, after)).toEqual({
      added: [
        { path: "/usr/bin/cc", sha256: "ab" },
        { path: "/usr/bin/touch", sha256: "dd" },
      ],
      gone: [
        { path: "/usr/bin/cc", sha256: "aa" },
        { path: "/usr/bin/ld", sha256: "cc" },
      ],
    });
    expect(compareProfiles(before, before)).toEqual({ added: [], gone: [] });
  });
  test("a file that is not a profile: one line saying why", () => {
    const file = join(dir, "bad.json");
    expect(() => readProfile(join(dir, "missing.json"))).toThrow(/--baseline .*missing.json: ENOENT/);
    writeFileSync(file, "{");
    expect(() => readProfile(file)).toThrow(/not JSON/);
    writeFileSync(file, '{"programs": []}');
    expect(() => readProfile(file)).toThrow(/not a tracer profile/);
    writeFileSync(file, '{"type": "tracer/profile/v1", "programs": [{"path": 1}]}');
    expect(() => readProfile(file)).toThrow(/programs\[0\] is not \{path, sha256\}/);
  });
});

describe("Markdown inline code", () => {
  test("any text survives as one code span (backticks inside, at the ends, empty)", () => {
    for (const s of ["make", "a`b", "``x``", "`lead", "trail`", "| pipe <b>", ""]) {
      const para = lexer(`- ${code(s)}`)[0] as Tokens.List;
      const spans = (para.items[0]!.tokens[0] as Tokens.Text).tokens!.filter(
        (t) => t.type === "codespan",
      ) as Tokens.Codespan[];
      expect(spans.length).toBe(1);
      expect(spans[0]!.text.trim()).toBe(s.trim());
    }
  });
});
