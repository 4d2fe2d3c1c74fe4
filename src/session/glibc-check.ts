// Imported first by src/main.ts: below the glibc floor, one line and exit 1 before anything
// else runs (the embedded libbpf would fail to load with a stack trace instead).
import { writeSync } from "node:fs";
import { glibcVersion } from "../../ffi/libc.ts";
import { glibcRefusal } from "./glibc.ts";

const refusal = glibcRefusal(glibcVersion());
if (refusal !== undefined) {
  writeSync(2, `tracer: ${refusal}\n`);
  process.exit(1);
}
