// Where root's ./tracer writes: never into a device through a link another user planted in a
// sticky world-writable directory (with fs.protected_symlinks=0, so the kernel does not stop it),
// never into a block device, and through /dev/fd/N only into a descriptor its caller passed.
// Global state (a sysctl, a loop device): run under flock /tmp/tracer-suite.lock.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRACER, TracerRun } from "./harness";

const SYSCTL = "/proc/sys/fs/protected_symlinks";
const IMAGE_BYTES = 1 << 20;

let dir: string;
let sticky: string;
let image: string;
let loop = "";
let oldProtected = "";

const sh = (cmd: string[]) => {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr}`);
  return r.stdout.toString().trim();
};
const asNobody = (...cmd: string[]) => sh(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...cmd]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tracer-target-"));
  chmodSync(dir, 0o755);
  sticky = join(dir, "sticky");
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  image = join(dir, "loop.img");
  writeFileSync(image, new Uint8Array(IMAGE_BYTES));
  oldProtected = readFileSync(SYSCTL, "utf8").trim();
  writeFileSync(SYSCTL, "0"); // the kernel would not follow nobody's link itself; make it
  loop = sh(["losetup", "--find", "--show", image]);
});

afterAll(() => {
  if (oldProtected !== "") writeFileSync(SYSCTL, oldProtected);
  if (loop !== "") Bun.spawnSync(["losetup", "-d", loop]);
  rmSync(dir, { recursive: true, force: true });
});

/** The device's first bytes, read through the block device (its page cache), not the image. */
function deviceHead(): Buffer {
  const fd = openSync(loop, "r");
  try {
    const b = Buffer.alloc(4096);
    readSync(fd, b, 0, b.length, 0);
    return b;
  } finally {
    closeSync(fd);
  }
}

/** tracer --json --env -o PATH -- touch MARK, with extra shell redirections before it. */
function traceInto(path: string, redirect = "") {
  const ran = join(dir, `ran-${Math.random().toString(36).slice(2)}`);
  const r = Bun.spawnSync(
    ["bash", "-c", `exec timeout 60 "$0" --json --env -o "$1" -- /bin/touch "$2" ${redirect}`, TRACER, path, ran],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  return { code: r.exitCode, err: r.stderr.toString(), ran: existsSync(ran) };
}

/** traceInto, not waiting for it: several run at once. */
async function traceIntoAsync(path: string, redirect = "") {
  const ran = join(dir, `ran-${Math.random().toString(36).slice(2)}`);
  const p = Bun.spawn(
    ["bash", "-c", `exec timeout 600 "$0" --json --env -o "$1" -- /bin/touch "$2" ${redirect}`, TRACER, path, ran],
    {
      stdout: "ignore",
      stderr: "pipe",
    },
  );
  const err = await new Response(p.stderr).text();
  return { code: await p.exited, err, ran: existsSync(ran) };
}

function refused(r: ReturnType<typeof traceInto>, why: RegExp) {
  expect(r.err.trim().split("\n")).toEqual([expect.stringMatching(why)]);
  expect(r.code).toBe(1);
  expect(r.ran).toBe(false); // refused before COMMAND ran
}

describe("a link planted by another user in a sticky world-writable directory is not followed", () => {
  test("nobody's link to a loop device: refused, the device untouched", () => {
    const link = join(sticky, "blk");
    asNobody("ln", "-s", loop, link);
    refused(
      traceInto(link),
      /^tracer: open output .*\/blk: a symlink owned by uid 65534 in a directory others can write/,
    );
    expect(deviceHead().every((b) => b === 0)).toBe(true);
  });

  test("nobody's link to /dev/null (root's, harmless, but the link is not root's): refused", () => {
    const link = join(sticky, "null");
    asNobody("ln", "-s", "/dev/null", link);
    refused(
      traceInto(link),
      /^tracer: open output .*\/null: a symlink owned by uid 65534 in a directory others can write/,
    );
  });

  test("root's own link there to /dev/null is followed", () => {
    const link = join(sticky, "root-null");
    symlinkSync("/dev/null", link);
    const r = traceInto(link);
    expect(r.err).toMatch(/^ready\n/);
    expect(r.code).toBe(0);
    expect(r.ran).toBe(true);
  });
});

describe("a block device is never written, named or linked", () => {
  test("root's own link to the loop device: refused", () => {
    const link = join(dir, "root-blk");
    symlinkSync(loop, link);
    refused(traceInto(link), /^tracer: open output .*\/root-blk: a block device/);
    expect(deviceHead().every((b) => b === 0)).toBe(true);
  });

  test("the device named directly: refused", () => {
    refused(traceInto(loop), /^tracer: open output \/dev\/loop\d+: a block device/);
    expect(deviceHead().every((b) => b === 0)).toBe(true);
  });

  test("a descriptor the caller opened on it is what it asked for: written", () => {
    const r = traceInto("/dev/fd/7", `7>"${loop}"`);
    expect(r.code).toBe(0);
    expect(deviceHead().subarray(0, 13).toString()).toBe('{"timestamp":');
    writeFileSync(loop, new Uint8Array(4096)); // back to zeros for the tests after
  });
});

describe("-o /dev/fd/N names only a descriptor the caller passed", () => {
  test("every descriptor a running tracer holds beyond 0-2 and the caller's is refused before COMMAND runs", async () => {
    const passed = join(dir, "passed.jsonl");
    const t = await TracerRun.start(["--json", "-o", "/dev/null"]);
    let held: number[];
    try {
      held = readdirSync(`/proc/${t.proc.pid}/fd`)
        .map(Number)
        .filter((n) => n > 2);
    } finally {
      t.proc.kill("SIGTERM");
      await t.proc.exited;
    }
    expect(held.length).toBeGreaterThan(5); // the BPF object's maps and programs, the ring, the runtime's
    // 9 is the caller's own: it stays allowed (checked below); the rest must be refused (before
    // the BPF object is loaded: each refusal costs a start-up, not a load). Eight at a time.
    const others = held.filter((n) => n !== 9);
    for (let i = 0; i < others.length; i += 8) {
      const batch = others.slice(i, i + 8);
      const runs = await Promise.all(batch.map((n) => traceIntoAsync(`/dev/fd/${n}`, `9>>"${passed}"`)));
      runs.forEach((r, j) => {
        refused(r, new RegExp(`^tracer: open output /dev/fd/${batch[j]}: not a descriptor the tracer was given`));
      });
    }
    const ok = traceInto("/dev/fd/9", `9>>"${passed}"`);
    expect(ok.code).toBe(0);
    expect(JSON.parse(readFileSync(passed, "utf8").split("\n")[0]!).eventName).toBe("sched_process_exec");
  }, 1_800_000); // a bound for a loaded host: some 40 runs of the tracer
});

describe("a dangling symlink at -o", () => {
  test("refused for what it is, not EBADF from a second close", () => {
    const link = join(dir, "dangling.jsonl");
    symlinkSync(join(dir, "no-such-target"), link);
    refused(
      traceInto(link),
      /^tracer: open output .*dangling\.jsonl: a symlink to nothing \(its target .*no-such-target does not exist\)/,
    );
    expect(readlinkSync(link)).toBe(join(dir, "no-such-target"));
  });
});

describe("a refused output is refused before the BPF object is loaded", () => {
  /** The tracer under strace: the bpf() calls it made (ground truth from the kernel's side). */
  function bpfCalls(path: string) {
    const log = join(dir, `strace-${Math.random().toString(36).slice(2)}`);
    const r = Bun.spawnSync(
      ["strace", "-f", "-qq", "-e", "trace=bpf", "-o", log, TRACER, "--json", "-o", path, "--", "/bin/true"],
      { stdout: "pipe", stderr: "pipe" },
    );
    return { code: r.exitCode, err: r.stderr.toString(), calls: readFileSync(log, "utf8") };
  }
  test("the device: no ring buffer made, no program of the object loaded, one line", () => {
    const ok = bpfCalls("/dev/null"); // the control: a run that loads
    expect(ok.code).toBe(0);
    expect(ok.calls).toContain("BPF_MAP_TYPE_RINGBUF");
    expect(ok.calls).toMatch(/prog_name="handle_exec"/);
    const r = bpfCalls(loop);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^tracer: open output \/dev\/loop\d+: a block device[^\n]*\n$/);
    expect(r.calls).not.toContain("BPF_MAP_TYPE_RINGBUF");
    expect(r.calls).not.toMatch(/prog_name="handle_/);
    expect(deviceHead().every((b) => b === 0)).toBe(true);
  });
});
