// Redaction's cost per exec event, one core, over synthetic ring records in memory: the tracer's
// whole per-record path with --json (decode, redaction, enrichment, encode), with the default
// rules off and on; and the pre-filter alone. Records: the decoder bench's gcc exec (10 args),
// a real build's long compile line (48 args, 1.7 KB; no secret) and a curl with a bearer token
// (the slow path: decoded, redacted, re-encoded, the record copied). Prints one JSON line per
// (record, mode): events per CPU second (median and spread of rounds) and CPU ns per event.
// bun bench/redact-bench.ts [ROUND_MS]
import { EpochClock } from "../src/decode/clock";
import { JsonEncoder } from "../src/format/json";
import { ByteBuf } from "../src/format/bytes";
import { createPipeline } from "../src/pipeline";
import { mayHoldSecret } from "../src/redact/bytes";
import { exec_record as E, record_kind as K, span as S } from "../src/decode/layout.gen";
import { fixedRecord, gccExec } from "../test/records";
import { spread } from "./summary";
import { ringOf } from "./records";

const ROUND_MS = Number(process.argv[2] ?? 200);
const ROUNDS = 7;
const opts = { clock: new EpochClock(1_700_000_000_000_000_000n), captureEnv: false };

const LONG = (
  "x86_64-linux-gnu-gcc-12 -DHAVE_CONFIG_H -I. -I./lib -Ilib -I./lib -Isrc -I./src -Wdate-time -D_FORTIFY_SOURCE=2 " +
  "-g -O2 -ffile-prefix-map=/build/hello-2.10=. -fstack-protector-strong -Wformat -Werror=format-security -MT src/hello.o " +
  "-MD -MP -MF src/.deps/hello.Tpo -c -o src/hello.o src/hello.c -Wall -Wextra -Wno-unused-parameter -Wshadow -Wcast-align " +
  "-Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -fno-common -fvisibility=hidden -pipe -pthread -std=gnu11 " +
  '-DLOCALEDIR="/usr/share/locale" -DPKGDATADIR="/usr/share/hello" -isystem /usr/include/x86_64-linux-gnu ' +
  "-fasynchronous-unwind-tables -fstack-clash-protection -fcf-protection -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer " +
  "-fdebug-prefix-map=/build/hello-2.10=/usr/src/hello-2.10-3 -Wl,-z,relro -Wl,-z,now -Wl,--as-needed -flto=auto -ffat-lto-objects"
).split(" ");
const CURL = [
  "curl",
  "-fsSL",
  "-H",
  "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl",
  "https://api.example.com/v1/items",
];

/** An exec record with this argv (the rest as the gcc exec's header). */
function execWith(argv: string[]) {
  const list = new TextEncoder().encode(argv.map((a) => a + "\0").join(""));
  return (pid: number) =>
    fixedRecord(
      K.KIND_EXEC,
      E.$size,
      pid,
      [
        [E.pathname, "/usr/bin/" + argv[0]],
        [E.argv, list],
      ],
      (d) => {
        d.setUint32(E.argc, argv.length, true);
        d.setUint32(E.argv_size, list.length, true);
      },
    );
}

const RECORDS = { gcc: gccExec, long: execWith(LONG), curl: execWith(CURL) } as const;

/** Events per CPU second of this process (user + system: the machine is shared, wall-clock
 * rates swing with its load; CPU time much less). */
function rate(step: (i: number) => void) {
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1e3; // ns
  };
  const run = (ms: number) => {
    let n = 0;
    const c0 = cpu();
    const end = Bun.nanoseconds() + ms * 1e6;
    while (Bun.nanoseconds() < end) for (let k = 0; k < 1000; k++) step(n++);
    return (n * 1e9) / (cpu() - c0);
  };
  run(2 * ROUND_MS);
  return spread(Array.from({ length: ROUNDS }, () => run(ROUND_MS)));
}

const [name, mode] = process.argv.slice(3) as [keyof typeof RECORDS, "off" | "on" | "prefilter"];
if (!RECORDS[name] || !["off", "on", "prefilter"].includes(mode)) {
  console.error("usage: bun bench/redact-bench.ts ROUND_MS gcc|long|curl off|on|prefilter");
  process.exit(2);
}
const ring = ringOf(RECORDS[name], 64);
const out = new ByteBuf(1 << 20);
const enc = new JsonEncoder(false);
const handler = createPipeline(
  opts,
  (e) => {
    enc.encode(out, e);
    if (out.pos > 900_000) out.pos = 0;
  },
  { decoded: 0, malformed: 0, excluded: 0, lastError: "" },
  mode === "on" ? { defaults: true, patterns: [], envGlobs: [] } : null,
).onRecord;
const step =
  mode === "prefilter"
    ? (i: number) => {
        const s = ring.spans[i & 63]!;
        const o = ring.dv.getUint32(s[0] + E.argv + S.off, true),
          n = ring.dv.getUint32(s[0] + E.argv + S.len, true);
        mayHoldSecret(ring.u8, s[0] + o, s[0] + o + n);
      }
    : (i: number) => {
        const s = ring.spans[i & 63]!;
        handler(ring.dv, s[0], s[1]);
      };
const r = rate(step);
console.log(JSON.stringify({ record: name, mode, rate: r, nsPerEvent: Math.round(1e9 / r.median) }));
