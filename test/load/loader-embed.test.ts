// The compiled ./tracer is self-contained: copied elsewhere, with the source tree hidden, it runs on
// its embedded libbpf/libelf/libz (root: mount namespace, BPF).
import { test, expect, beforeAll, afterAll } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const BIN = process.env.TRACER_BIN ?? join(ROOT, "tracer");
let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tracer-embed-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Read a stream until `marker` shows up (or the stream ends); returns everything read. */
async function readUntil(stream: ReadableStream<Uint8Array>, marker: string, ms: number): Promise<string> {
  const reader = stream.getReader();
  const dec = new TextDecoder();
  let text = "";
  const deadline = Date.now() + ms;
  try {
    while (!text.includes(marker) && Date.now() < deadline) {
      const r = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => null)]);
      if (r === null || r.done) break;
      text += dec.decode(r.value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
  return text;
}

test("./tracer copied to a temp dir maps libbpf, libelf and libz from itself, not from /usr/lib", async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run scripts/build.sh`);
  const bin = join(dir, "tracer");
  copyFileSync(BIN, bin);
  chmodSync(bin, 0o755);
  const tmpBefore = readdirSync(tmpdir()).filter((f) => f.startsWith(".bun-") || f.startsWith("tracer-lib-"));

  // unshare -m execs in place (same pid): a private mount namespace where the source tree is an
  // empty tmpfs, so nothing can be read from it.
  const child = Bun.spawn(
    [
      "unshare",
      "-m",
      "--propagation",
      "private",
      "sh",
      "-c",
      'mount -t tmpfs tmpfs "$0" && cd / && exec "$@"',
      ROOT,
      bin,
    ],
    { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
  );
  let maps = "";
  let stderr = "";
  try {
    stderr = await readUntil(child.stderr, "ready", 30_000);
    expect(stderr).toContain("ready");
    maps = readFileSync(`/proc/${child.pid}/maps`, "utf8");
  } finally {
    child.kill("SIGINT");
  }
  const code = await Promise.race([child.exited, Bun.sleep(10_000).then(() => "timeout")]);
  if (code === "timeout") child.kill("SIGKILL");
  expect(code).toBe(0); // SIGINT is the normal way to stop the tracer

  const paths = [
    ...new Set(
      maps
        .split("\n")
        .map((l) => l.split(/\s+/).slice(5).join(" "))
        .filter(Boolean),
    ),
  ];
  const fromDisk = paths.filter((p) => /\/(libbpf|libelf|libz)[.-][^/]*$/.test(p) && !p.startsWith("/memfd:"));
  expect(fromDisk).toEqual([]);
  for (const lib of ["libbpf.so.1", "libelf.so.1", "libz.so.1"]) {
    expect(paths.some((p) => p.includes(lib))).toBe(true);
  }
  // Nothing left behind in the temp dir (no Bun extraction cache, no private lib dir).
  const tmpAfter = readdirSync(tmpdir()).filter((f) => f.startsWith(".bun-") || f.startsWith("tracer-lib-"));
  expect(tmpAfter).toEqual(tmpBefore);
});
