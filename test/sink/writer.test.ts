// Writer: file mode 0600 and truncation, chunked flushing, quiet exit on a closed pipe.

import { afterAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonEncoder } from "../../src/format/json.ts";

const json = new JsonEncoder(false);
import { Writer } from "../../src/sink/writer.ts";
import { execView } from "../records.ts";

const dir = mkdtempSync(join(tmpdir(), "tracer-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const BUN = process.execPath;

describe("Writer to a file", () => {
  test("new file is created 0600 whatever the umask", () => {
    const path = join(dir, "new.json");
    const old = process.umask(0o000);
    try {
      const w = Writer.open(path);
      w.write("hello\n");
      w.close();
    } finally {
      process.umask(old);
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, "utf8")).toBe("hello\n");
  });

  test("existing file is truncated and chmod'ed to 0600 before anything is written", () => {
    const path = join(dir, "old.json");
    writeFileSync(path, "old content that must go away\n");
    chmodSync(path, 0o644);
    const w = Writer.open(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path).size).toBe(0);
    w.write("new\n");
    w.close();
    expect(readFileSync(path, "utf8")).toBe("new\n");
  });

  test("a device is opened as is, never chmod'ed", () => {
    const before = statSync("/dev/null").mode;
    const w = Writer.open("/dev/null");
    w.write("x\n");
    w.close();
    expect(statSync("/dev/null").mode).toBe(before);
  });

  test("a symlink to a regular file is refused, and the file is left as it was", () => {
    const target = join(dir, "precious.txt");
    writeFileSync(target, "precious\n");
    chmodSync(target, 0o644);
    const link = join(dir, "planted.jsonl");
    symlinkSync(target, link);
    expect(() => Writer.open(link)).toThrow(
      /^open output .*planted\.jsonl: a symlink to a regular file; refusing to write through it/,
    );
    expect(readFileSync(target, "utf8")).toBe("precious\n");
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  test("a symlink of our own to /dev/null is fine", () => {
    const link = join(dir, "null.link");
    symlinkSync("/dev/null", link);
    const w = Writer.open(link);
    w.write("x\n");
    w.close();
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  test("a symlink to another device is refused (give the device's own path)", () => {
    const link = join(dir, "zero.link");
    symlinkSync("/dev/zero", link);
    expect(() => Writer.open(link)).toThrow(
      /^open output .*zero\.link: a symlink to a device other than \/dev\/null; refusing/,
    );
  });

  test("a dangling symlink is refused for what it is, and no other descriptor is closed", () => {
    const link = join(dir, "dangling.link");
    symlinkSync(join(dir, "no-such-target"), link);
    const mine = openSync(join(dir, "keep.txt"), "w");
    try {
      for (let i = 0; i < 3; i++) {
        expect(() => Writer.open(link)).toThrow(
          /^open output .*dangling\.link: a symlink to nothing \(its target .*no-such-target does not exist\)/,
        );
      }
      expect(fstatSync(mine).isFile()).toBe(true);
    } finally {
      closeSync(mine);
    }
    expect(existsSync(join(dir, "no-such-target"))).toBe(false);
  });

  test("/dev/stdout, /dev/stderr and /dev/fd/N are our own descriptors, written as they are", () => {
    expect(Writer.open("/dev/stdout").fd).toBe(1);
    expect(Writer.open("/dev/stderr").fd).toBe(2);
    const path = join(dir, "append.txt");
    writeFileSync(path, "before\n");
    const fd = openSync(path, "a"); // as a shell's 5>>file would
    const passedFds = new Set([fd]);
    try {
      for (const name of [`/dev/fd/${fd}`, `/proc/self/fd/${fd}`]) {
        const w = Writer.open(name, { passedFds });
        expect(w.fd).toBe(fd);
        w.write(`via ${name}\n`);
        w.close(); // not ours: stays open
      }
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(path, "utf8")).toBe(`before\nvia /dev/fd/${fd}\nvia /proc/self/fd/${fd}\n`);
    expect(() => Writer.open("/dev/fd/987", { passedFds: new Set([987]) })).toThrow(
      /^open output \/dev\/fd\/987: Bad file descriptor \(EBADF\)$/,
    );
    const ro = openSync(path, "r");
    try {
      expect(() => Writer.open(`/dev/fd/${ro}`, { passedFds: new Set([ro]) })).toThrow(
        /^open output \/dev\/fd\/\d+: open for reading only$/,
      );
    } finally {
      closeSync(ro);
    }
    expect(() => Writer.open(`/dev/fd/${fd}`, { passedFds: new Set() })).toThrow(
      /^open output \/dev\/fd\/\d+: not a descriptor the tracer was given/,
    );
  });

  test("open failure names the operation and the errno", () => {
    expect(() => Writer.open(join(dir, "no/such/dir/x"))).toThrow(
      /^open output .*: No such file or directory \(ENOENT\)$/,
    );
  });

  test("buffers until a chunk is full, then writes; flush() writes the rest", () => {
    const path = join(dir, "chunks.json");
    const w = Writer.open(path, { chunkSize: 64 * 1024 });
    let expected = "";
    for (let i = 0; i < 30; i++) {
      const line = `line ${i} ${"x".repeat(100)}\n`;
      w.write(line);
      expected += line;
    }
    expect(statSync(path).size).toBe(0); // < 64 KiB: nothing written yet
    w.flush();
    expect(readFileSync(path, "utf8")).toBe(expected);
    for (let i = 0; i < 2000; i++) {
      json.encode(w, execView(i));
      w.commit();
    }
    const size = statSync(path).size;
    expect(size).toBeGreaterThan(64 * 1024); // full chunks went out on their own
    w.close();
    const lines = readFileSync(path, "utf8").split("\n").slice(30, -1);
    expect(lines.length).toBe(2000);
    lines.forEach((l, i) => {
      expect(JSON.parse(l).seq).toBe(i);
    });
  });

  test("one piece larger than a chunk (a huge argv) goes out whole", () => {
    const path = join(dir, "huge.json");
    const w = Writer.open(path, { chunkSize: 4096 });
    const big = "é".repeat(300_000);
    w.write("a\n");
    w.write(big);
    w.write("\n");
    w.close();
    expect(readFileSync(path, "utf8")).toBe("a\n" + big + "\n");
  });
});

describe("Writer to a closed pipe", () => {
  for (const mode of ["text", "json"]) {
    test(`tracer | head -1 ends quietly with status 0 (${mode})`, () => {
      const child = join(import.meta.dir, "epipe-child.ts");
      const r = Bun.spawnSync({
        cmd: ["bash", "-c", `"$0" "$1" "$2" | head -1; echo "status=\${PIPESTATUS[0]}" >&2`, BUN, child, mode],
        stdout: "pipe",
        stderr: "pipe",
        timeout: 60_000,
      });
      const out = r.stdout.toString();
      expect(r.stderr.toString()).toBe("status=0\n");
      expect(out.split("\n").length).toBe(2);
      if (mode === "json") expect(JSON.parse(out).seq).toBe(0);
      else expect(out).toBe("line 0\n");
    });
  }
});
