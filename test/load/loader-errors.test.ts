// Load failures explain themselves: the verifier's words, EPERM for an unprivileged user (root, clang).
import { test, expect, beforeAll, afterAll } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BpfTracer, LoadError } from "../../src/load/loader.ts";

const ROOT = join(import.meta.dir, "../..");
let dir = "";

// A deliberately broken program: it dereferences a scalar. It is compiled here because no
// correct object can show the verifier's message.
const BROKEN = `
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } events SEC(".maps");
SEC("tp_btf/sched_process_exec")
int broken(void *ctx) { return *(volatile int *)(long)bpf_get_current_pid_tgid(); }
`;

function compile(src: string, name: string): string {
  writeFileSync(join(dir, `${name}.bpf.c`), src);
  const out = join(dir, `${name}.bpf.o`);
  const r = Bun.spawnSync([
    "clang",
    "-g",
    "-O2",
    "-target",
    "bpf",
    "-I",
    "/usr/include/x86_64-linux-gnu",
    "-c",
    join(dir, `${name}.bpf.c`),
    "-o",
    out,
  ]);
  if (r.exitCode !== 0) throw new Error(`clang: ${r.stderr.toString()}`);
  return out;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "loader-errors-"));
  chmodSync(dir, 0o755);
  compile(BROKEN, "broken");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a verifier rejection quotes the verifier", () => {
  let err: unknown;
  try {
    BpfTracer.open({
      object: readFileSync(join(dir, "broken.bpf.o")),
      ringMap: "events",
      ringSize: 4096,
      programs: ["broken"],
      onRecord() {},
    });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(LoadError);
  const e = err as LoadError;
  expect(e.message).toStartWith("load BPF object: Permission denied (EACCES)");
  expect(e.errno).toBe(13);
  expect(e.log.join("\n")).toContain("invalid mem access");
  // the first line stays short; the log follows on later lines
  expect(e.message.split("\n")[0]!.length).toBeLessThan(80);
});

test("an unprivileged user gets EPERM, operation first", () => {
  const script = join(dir, "unpriv.ts");
  writeFileSync(
    script,
    `import { BpfTracer } from ${JSON.stringify(join(ROOT, "src/load/loader.ts"))};
     import { readFileSync } from "node:fs";
     try {
       BpfTracer.open({ object: readFileSync(${JSON.stringify(join(dir, "broken.bpf.o"))}), ringMap: "events", ringSize: 4096, programs: ["broken"], onRecord() {} });
       console.log("loaded?!");
     } catch (e) { console.log(String((e as Error).message).split("\\n")[0]); }`,
  );
  chmodSync(join(dir, "broken.bpf.o"), 0o644);
  // nobody may not reach the checkout (a clone under /root, a mktemp -d directory: mode 0700), so
  // the script, the loader and bun go into one executable in the world-readable temporary dir.
  const exe = join(dir, "unpriv");
  const built = Bun.spawnSync([process.execPath, "build", "--compile", script, "--outfile", exe], { stderr: "pipe" });
  if (built.exitCode !== 0) throw new Error(`bun build --compile: ${built.stderr}`);
  chmodSync(exe, 0o755);
  const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", exe], {
    cwd: dir,
    env: { PATH: "/usr/bin:/bin", HOME: "/tmp" },
  });
  const out = r.stdout.toString().trim();
  expect(r.stderr.toString()).toBe("");
  expect(out).toMatch(/^load BPF object: Operation not permitted \(EPERM\)/);
  expect(out).toContain("run as root");
});

test("libbpf's log reaches stderr only with verbose", () => {
  const object = join(ROOT, ".output/tracer.bpf.o");
  if (!existsSync(object)) throw new Error(`${object} is missing: run scripts/build.sh`);
  const script = join(dir, "verbose.ts");
  writeFileSync(
    script,
    `import { BpfTracer } from ${JSON.stringify(join(ROOT, "src/load/loader.ts"))};
     import { readFileSync } from "node:fs";
     const object = readFileSync(${JSON.stringify(object)});
     const t = BpfTracer.open({ object, ringMap: "events", ringSize: 1 << 16, perCpuMaps: ["scratch"],
       programs: BpfTracer.inspect(object).programs, verbose: process.argv[2] === "-v", onRecord() {} });
     t.close();
     console.log("ok");`,
  );
  const quiet = Bun.spawnSync([process.execPath, script]);
  expect(quiet.stdout.toString()).toBe("ok\n");
  expect(quiet.stderr.toString()).toBe("");
  const loud = Bun.spawnSync([process.execPath, script, "-v"]);
  expect(loud.stdout.toString()).toBe("ok\n");
  expect(loud.stderr.toString()).toContain("libbpf: ");
});
