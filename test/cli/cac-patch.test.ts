// cac, pinned, with its inlined mri patched (patches/cac+7.1.1.patch, applied by
// scripts/patch-deps.sh from scripts/build.sh): the patch is in place, and what it changes holds,
// on cac itself and through the flag table (parseArgs). Without the patch, mri turned every value
// that looks like a number into one (`--comm 007` → 7, `-o 1e3` → 1000, `--cgroup 0x10` → 16).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cac } from "cac";
import pkg from "../../package.json" with { type: "json" };
import { parseArgs, parseShowArgs } from "../../src/session/cli.ts";
import { UsageError } from "../../src/errors.ts";

const ROOT = join(import.meta.dir, "../..");

test("cac is pinned to the version the patch is for, and the patch is in place", () => {
  const version = JSON.parse(readFileSync(join(ROOT, "node_modules/cac/package.json"), "utf8")).version;
  expect(pkg.dependencies.cac).toBe(version); // exact, no range
  expect(`cac+${version}.patch`).toBe("cac+7.1.1.patch");
  const r = Bun.spawnSync(["bash", join(ROOT, "scripts/patch-deps.sh"), "--check"], { stderr: "pipe" });
  expect(r.stderr.toString()).toBe("");
  expect(r.exitCode).toBe(0);
});

/** cac as the flag table uses it: value options "<value>", switches bare. */
function parse(argv: string[]) {
  const cli = cac("t");
  cli.globalCommand.ignoreOptionDefaultValue();
  cli.option("--comm <value>", "").option("-o <value>", "").option("--json", "").option("--fail-on-new", "");
  return cli.parse(["", "", ...argv], { run: false });
}

describe("the patched parser", () => {
  test("values stay the words given (no number made of them)", () => {
    for (const v of ["007", "1e3", "0x10", "-5", "1_000", "Infinity", " 1", "0"])
      expect(parse(["--comm", v]).options.comm).toBe(v);
    expect(parse(["--comm=-5"]).options.comm).toBe("-5");
    expect(parse(["-o", "1e3"]).options.o).toBe("1e3");
    expect(parse(["--comm", "1", "--comm", "02"]).options.comm).toEqual(["1", "02"]);
  });
  test('"-" is a value, and a word of its own', () => {
    expect(parse(["-o", "-"]).options.o).toBe("-");
    expect(parse(["-", "x"]).args).toEqual(["-", "x"]);
  });
  test("a value option takes the next word unless it is -- or a declared flag", () => {
    expect(parse(["--comm", "-bash"]).options.comm).toBe("-bash");
    expect(parse(["--comm", "--json"]).options).toMatchObject({ comm: true, json: true });
    expect(parse(["--comm="]).options.comm).toBe(true); // "=" and nothing: no value, not the next word
    expect(parse(["--comm=", "x"]).args).toEqual(["x"]);
  });
  test("a switch takes no word, and keeps =VALUE for the caller to refuse (or use)", () => {
    expect(parse(["--json", "3"])).toMatchObject({ args: ["3"], options: { json: true } });
    expect(parse(["--json=true"]).options.json).toBe("true");
    expect(parse(["--fail-on-new=2"]).options.failOnNew).toBe("2");
  });
  test("a value option inside a group of short flags, not last: no value at all", () => {
    const cli = cac("t").option("-o <value>", "").option("-v", "");
    const { options } = cli.parse(["", "", "-ov", "x"], { run: false });
    expect("o" in options && options.o === undefined).toBe(true);
  });
  test("--constructor and --__proto__ are refused, not dropped", () => {
    expect(() => parse(["--constructor", "x"])).toThrow("Unknown option `--constructor`");
  });
});

describe("through the flag table", () => {
  test("007, 1e3, 0x10, -5 reach the flags as typed", () => {
    expect(parseArgs(["--comm", "007"]).scope.comm.include).toEqual(["007"]);
    expect(parseArgs(["--comm", "0x10"]).scope.comm.include).toEqual(["0x10"]);
    expect(parseArgs(["-o", "1e3"]).output).toBe("1e3");
    expect(parseArgs(["--tree", "007"]).tree).toBe("007");
    expect(() => parseArgs(["--cgroup", "0x10"])).toThrow(/--cgroup 0x10: .*0x10/); // a path, not cgroup id 16
    expect(() => parseArgs(["--pid=-5"])).toThrow("--pid takes a number (or !number), not '-5'");
    expect(() => parseArgs(["--pid", "-5"])).toThrow("--pid takes a number (or !number), not '-5'");
    expect(() => parseArgs(["--mntns", "1e3"])).toThrow("--mntns takes a number (or !number), not '1e3'");
    expect(parseArgs(["--redact", "-p\\S+"]).redact.patterns).toEqual(["-p\\S+"]);
  });
  test("-e and --events add up in any mix; --no-redact and --redact share mri's key", () => {
    expect(parseArgs(["-e", "fork", "--events", "exit", "-e", "exec"]).events).toEqual([
      "sched_process_exec",
      "sched_process_fork",
      "sched_process_exit",
    ]);
    expect(parseArgs(["--redact", "a", "--no-redact", "--redact", "b"]).redact).toEqual({
      defaults: false,
      patterns: ["a", "b"],
      envGlobs: [],
    });
  });
  test("unknown flags stay unknown: --no-X of a switch, X of a --no-X, dotted, prototype names", () => {
    const usage = (a: string[]) => {
      try {
        parseArgs(a);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      return "";
    };
    expect(usage(["--no-env"])).toBe("unknown option '--no-env'");
    expect(usage(["--threads"])).toBe("unknown option '--threads'");
    expect(usage(["--pid.x", "3"])).toBe("unknown option '--pid.x'; did you mean --pidns?");
    expect(usage(["--constructor", "x"])).toBe("unknown option '--constructor'");
    expect(usage(["--__proto__", "x"])).toBe("unknown option '--__proto__'");
  });
  test("words that are not UTF-8 reach the flags as their bytes", () => {
    const name = Buffer.from([0x61, 0xff, 0x2e, 0x6a]);
    const text = name.toString();
    expect(parseArgs(["-o", text], ["-o", name]).output).toEqual(name);
    expect(parseArgs([`--output=${text}`], [Buffer.concat([Buffer.from("--output="), name])]).output).toEqual(name);
    expect(parseArgs(["--tree", text, "--", text], ["--tree", name, "--", name])).toMatchObject({
      tree: name,
      command: [name],
    });
    expect(() => parseArgs([text], [name])).toThrow(`unexpected argument '${text}'`);
  });
  test("show: --fail-on-new takes no word after it (the file is the file)", () => {
    expect(parseShowArgs(["--baseline", "b.json", "--fail-on-new", "007.jsonl"]).file).toBe("007.jsonl");
  });
});
