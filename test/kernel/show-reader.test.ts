// tracer show's reader on a real trace: a workload with what makes lines hard to read (argv with
// quotes, backslashes, newlines, tabs, bytes that are not UTF-8, secrets; PATH searches, a missing
// interpreter, non-zero exits, a death by a signal, threads) recorded by the tracer, then read by
// the scanner and by JSON.parse of each line (test/show-readers.ts): the same values and views;
// and the table `tracer show` prints is JSON.parse's, byte for byte.
import { expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRACER } from "./harness";
import { compareReaders } from "../show-readers";

const WORKLOAD = `#!/bin/sh
odd=$(printf 'a"b\\\\c\\nd\\te\\377\\376 \\303\\251 \\346\\227\\245 \\033[31m')
printf '#!/nonexistent/python2\\n' > gen; chmod +x gen
i=0
while [ $i -lt 150 ]; do
  i=$((i+1))
  /bin/true "$odd" "$i" x
  env PATH=/nonexist-a:/nonexist-b:/usr/bin true
  ./gen 2>/dev/null
  nosuch-cmd-$i 2>/dev/null
  sh -c 'exit 3'
  /bin/echo --password=hunter2 "https://user:tok@example.com/$i" "Authorization: Bearer abc.def" >/dev/null
  sh -c 'kill -9 $$'
  sort --parallel=2 -S 1M /dev/null >/dev/null
done
exit 0
`;

test("show's reader and JSON.parse read a real trace the same, line for line and view for view", () => {
  const dir = mkdtempSync(join(tmpdir(), "tracer-show-reader-"));
  try {
    const script = join(dir, "work.sh");
    writeFileSync(script, WORKLOAD);
    chmodSync(script, 0o755);
    const out = join(dir, "t.jsonl");
    const run = Bun.spawnSync([TRACER, "--json", "--env", "-o", out, "--", script], { cwd: dir, stderr: "pipe" });
    expect(run.exitCode).toBe(0);
    const text = readFileSync(out);
    expect(text.length).toBeGreaterThan(4 << 20); // more than one of show's 4 MiB reads
    const r = compareReaders(text);
    expect(r.events).toBe(r.lines);
    expect(r.events).toBeGreaterThan(150 * 20);
    // what the workload put in argv is there, escaped, so the scanner's JSON.parse path ran too
    expect(text.includes('a\\"b\\\\c\\nd\\te\\udcff\\udcfe')).toBe(true);
    const show = Bun.spawnSync([TRACER, "show", out], { stdout: "pipe", stderr: "pipe" });
    expect(show.stderr.toString()).toMatch(/^tracer: \d+ processes/);
    expect(show.stdout.toString()).toBe(r.table);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
