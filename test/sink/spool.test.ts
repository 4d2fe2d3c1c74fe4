// The spool's segments: written ahead, read back in order, released when acknowledged, found
// again by the next start; a torn tail, the bound, and planted files.
import { afterAll, expect, test } from "bun:test";
import {
  chownSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Spool } from "../../src/sink/spool";

const root = mkdtempSync(join(tmpdir(), "tracer-spool-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const enc = new TextEncoder(),
  dec = new TextDecoder();
const line = (i: number) => enc.encode(`{"seq":${i},"pad":"${"x".repeat(i % 300)}"}`);
let n = 0;
const fresh = () => join(root, `s${n++}`);

test("records come back in order across segments; released segments go; clear empties the directory", () => {
  const dir = fresh();
  const s = Spool.open(dir, 128 * 1024); // segments of 16K
  expect(statSync(dir).mode & 0o777).toBe(0o700);
  s.readFromEnd();
  const segs: number[] = [];
  for (let i = 0; i < 400; i++) segs.push(s.append(`run.${i}`, `tracer.h.e${i % 3}`, line(i)));
  expect(segs.every((x) => x > 0)).toBe(true);
  expect(new Set(segs).size).toBeGreaterThan(3);
  for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
  const got = s.read(10_000);
  expect(got.map((r) => r.id)).toEqual(segs.map((_, i) => `run.${i}`));
  expect(got.map((r) => dec.decode(r.data))).toEqual(segs.map((_, i) => dec.decode(line(i))));
  expect(got[7]!.subject).toBe("tracer.h.e1");
  const before = readdirSync(dir).length;
  s.release(segs[300]!);
  expect(readdirSync(dir).length).toBe(before - (segs[300]! - segs[0]!));
  s.clear();
  expect(readdirSync(dir)).toEqual([]);
});

test("the next start reads what was left, first, then its own; a torn tail ends its segment", () => {
  const dir = fresh();
  const a = Spool.open(dir, 1 << 20);
  for (let i = 0; i < 100; i++) a.append(`a.${i}`, "tracer.h.x", line(i));
  a.close(); // killed: nothing acknowledged
  const files = readdirSync(dir).sort();
  const last = join(dir, files.at(-1)!);
  truncateSync(last, statSync(last).size - 5); // a write cut short
  const b = Spool.open(dir, 1 << 20);
  expect(b.leftOver).toBe(true);
  b.append("b.0", "tracer.h.x", line(0));
  const got = b.read(1000).map((r) => r.id);
  expect(got).toEqual([...Array.from({ length: 99 }, (_, i) => `a.${i}`), "b.0"]);
  expect(b.recovered).toBe(99);
  b.clear();
});

test("the bound: a record that does not fit is refused (-1), and fits again once segments are released", () => {
  const dir = fresh();
  const s = Spool.open(dir, 8192); // segments of 4K
  s.readFromEnd();
  const segs: number[] = [];
  for (let i = 0; i < 200; i++) segs.push(s.append(`r.${i}`, "t.h.x", line(50)));
  const firstRefused = segs.indexOf(-1);
  expect(firstRefused).toBeGreaterThan(0);
  expect(segs.slice(firstRefused).every((x) => x === -1)).toBe(true);
  expect(s.bytes).toBeLessThanOrEqual(8192);
  s.read(1000);
  s.release(segs[firstRefused - 1]!);
  expect(s.append("r.again", "t.h.x", line(50))).toBeGreaterThan(0);
  s.clear();
});

test("planted files: a directory open to others, a symlink, a segment that is a link or another user's", () => {
  const open = fresh();
  Spool.open(open, 1 << 20).clear();
  Bun.spawnSync(["chmod", "0750", open]);
  expect(() => Spool.open(open, 1 << 20)).toThrow(
    `spool ${open}: mode 750 lets other users in; chmod 700 it or choose another directory`,
  );
  const dir = fresh();
  Spool.open(dir, 1 << 20).clear();
  writeFileSync(join(root, "target"), "secret");
  symlinkSync(join(root, "target"), join(dir, "000000000007.seg"));
  expect(() => Spool.open(dir, 1 << 20)).toThrow(
    /000000000007\.seg: Too many levels of symbolic links \(ELOOP\)|not a regular file/,
  );
  rmSync(join(dir, "000000000007.seg"));
  writeFileSync(join(dir, "000000000008.seg"), "");
  chownSync(join(dir, "000000000008.seg"), 65534, 65534);
  expect(() => Spool.open(dir, 1 << 20)).toThrow(
    `spool ${join(dir, "000000000008.seg")}: not a regular file of uid 0 with one name; remove it`,
  );
});
