// Cross-check with the kernel's audit subsystem: one workload runs under `tracer -- COMMAND` while
// an audit rule (execve, execveat; keyed for this run; only processes with this run's loginuid)
// records the same execs. Failed and successful execs must agree one for one. The rule, the
// enabled flag and any auditd we start are put back by test/fixtures/audit-session.sh.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { arg, fixture, kernelDev, marker, parseLine, ROOT, TRACER, type Json } from "./harness";

// Without CONFIG_AUDIT there is no loginuid at all: nothing to compare with. Anything else that
// stops audit from working (auditd missing, rules locked, not root) fails the tests.
const NO_AUDIT = !existsSync("/proc/self/loginuid");
const SESSION = join(ROOT, "test", "fixtures", "audit-session.sh");
const SYSCALLS: Record<number, string> = { 59: "execve", 322: "execveat" };

interface AuditPath {
  name: string | null;
  ino: number | null;
  dev: number | null; // kernel encoding, major << 20 | minor, as the tracer reports it
}

/** One audit event (records sharing a serial) of an execve/execveat. */
interface AuditExec {
  serial: number;
  pid: number;
  syscall: number;
  success: boolean;
  exit: number;
  exe: string | null;
  argv: string[];
  paths: AuditPath[];
  proctitle: boolean;
}

interface Run {
  audit: AuditExec[]; // this run's workload only
  failed: Json[]; // tracer events
  execs: Json[];
  reported: { pid: number; errno: number }[]; // what execfail itself saw
  lost: number; // audit records the kernel lost during the run
  before: string; // audit's state before and after the session, as audit-session.sh saw it
  after: string;
  key: string;
}

/** Value of an untrusted audit field: "quoted", hex when it holds spaces or non-ASCII, or (null). */
function untrusted(v: string | undefined): string | null {
  if (v === undefined || v === "(null)") return null;
  if (v.startsWith('"')) return v.slice(1, -1);
  return Buffer.from(v, "hex").toString("utf8");
}

/** Fields of one raw record line; the enriched part (after 0x1d) is left out. */
function fields(line: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const [, k, v] of line.split("\x1d")[0]!.matchAll(/(\S+?)=("[^"]*"|\S+)/g)) m.set(k!, v!);
  return m;
}

/** "fe:00" → major << 20 | minor. */
const auditDev = (s: string) => {
  const [maj, min] = s.split(":").map((x) => parseInt(x, 16));
  return (maj! << 20) | min!;
};

/** Exec events of `ausearch --raw` output with this loginuid. */
function parseAudit(raw: string, auid: number): AuditExec[] {
  const events = new Map<
    number,
    {
      syscall?: Map<string, string>;
      args: Map<number, { whole?: string; hex: string[] }>;
      paths: Map<number, AuditPath>;
      proctitle: boolean;
    }
  >();
  for (const line of raw.split("\n")) {
    const type = /^type=(\S+) msg=audit\(\d+\.\d+:(\d+)\)/.exec(line);
    if (!type) continue;
    const serial = +type[2]!;
    let ev = events.get(serial);
    if (!ev) events.set(serial, (ev = { args: new Map(), paths: new Map(), proctitle: false }));
    const f = fields(line);
    if (type[1] === "SYSCALL") ev.syscall = f;
    else if (type[1] === "PROCTITLE") ev.proctitle = true;
    else if (type[1] === "PATH") {
      ev.paths.set(+f.get("item")!, {
        name: untrusted(f.get("name")),
        ino: f.has("inode") ? +f.get("inode")! : null,
        dev: f.has("dev") ? auditDev(f.get("dev")!) : null,
      });
    } else if (type[1] === "EXECVE") {
      // aN=VALUE, or for long ones aN_len=LEN aN[0]=HEX aN[1]=HEX ... (possibly over several records)
      for (const [k, v] of f) {
        const whole = /^a(\d+)$/.exec(k);
        const part = /^a(\d+)\[(\d+)\]$/.exec(k);
        if (whole) ev.args.set(+whole[1]!, { whole: untrusted(v) ?? "", hex: [] });
        else if (part) {
          const a = ev.args.get(+part[1]!) ?? { hex: [] };
          a.hex[+part[2]!] = v;
          ev.args.set(+part[1]!, a);
        }
      }
    }
  }
  const out: AuditExec[] = [];
  for (const [serial, ev] of events) {
    const s = ev.syscall;
    if (!s || !((+s.get("syscall")!) in SYSCALLS) || +s.get("auid")! !== auid) continue;
    const argv = [...ev.args.keys()]
      .sort((a, b) => a - b)
      .map((i) => ev.args.get(i)!)
      .map((a) => a.whole ?? Buffer.from(a.hex.join(""), "hex").toString("utf8"));
    out.push({
      serial,
      pid: +s.get("pid")!,
      syscall: +s.get("syscall")!,
      success: s.get("success") === "yes",
      exit: +s.get("exit")!,
      exe: untrusted(s.get("exe")),
      argv,
      paths: [...ev.paths.keys()].sort((a, b) => a - b).map((i) => ev.paths.get(i)!),
      proctitle: ev.proctitle,
    });
  }
  return out.sort((a, b) => a.serial - b.serial);
}

/** Records the kernel's audit has lost since boot. */
const auditLost = () => +(/^lost (\d+)/m.exec(Bun.spawnSync(["auditctl", "-s"]).stdout.toString())?.[1] ?? "-1");

/** The audit session fixture: resolves once it printed "ready", rejects on "error: ...". */
class AuditSession {
  lines: string[] = [];
  private constructor(readonly proc: Subprocess<"pipe", "pipe", "pipe">) {}

  static async open(key: string, auid: number): Promise<AuditSession> {
    const proc = Bun.spawn(["/bin/sh", SESSION, key, String(auid)], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const s = new AuditSession(proc);
    const reader = (async () => {
      const dec = new TextDecoder();
      let buf = "";
      for await (const chunk of proc.stdout) {
        buf += dec.decode(chunk, { stream: true });
        const parts = buf.split("\n");
        buf = parts.pop()!;
        s.lines.push(...parts);
      }
    })();
    const end = Date.now() + 58000;
    for (;;) {
      if (proc.exitCode !== null) await reader;
      const err = s.lines.find((l) => l.startsWith("error: "));
      if (err || proc.exitCode !== null || Date.now() > end) {
        await s.close();
        const stderr = await new Response(proc.stderr).text();
        throw new Error(
          `audit could not be set up: ${err?.slice(7) ?? "no answer from audit-session.sh within 58 s"} ${stderr}`.trim(),
        );
      }
      if (s.lines.some((l) => l.startsWith("ready "))) return s;
      await Bun.sleep(20);
    }
  }

  /** Close stdin: the fixture removes the rule, stops its auditd and restores the enabled flag. */
  async close(): Promise<boolean> {
    try {
      this.proc.stdin.end();
    } catch {}
    await this.proc.exited;
    await Bun.sleep(10);
    return this.lines.includes("restored");
  }

  /** The state line the fixture printed with this prefix ("before: " or "after: "). */
  state(prefix: string): string {
    return this.lines.find((l) => l.startsWith(prefix))?.slice(prefix.length) ?? `no "${prefix}" line`;
  }
}

let session: AuditSession | undefined;
let dir: string;
let result: Promise<Run> | undefined;

/** Everything happens once, on first use: set up audit, run the workload traced, read both logs,
 * put audit back. A failure to set up audit fails every test with its reason. */
function run(): Promise<Run> {
  return (result ??= collect());
}

async function collect(): Promise<Run> {
  if (process.getuid?.() !== 0) throw new Error("audit cross-check needs root");
  const ef = fixture("execfail");
  const hs = fixture("hold", { static: true });
  dir = mkdtempSync(join(tmpdir(), "tracer-audit-"));
  chmodSync(dir, 0o755);
  for (const d of ["p1", "p2", "p3"]) mkdirSync(join(dir, d));
  writeFileSync(join(dir, "no-x-bit"), "#!/bin/sh\n");
  chmodSync(join(dir, "no-x-bit"), 0o644);
  writeFileSync(join(dir, "garbage.bin"), Buffer.concat([Buffer.from("XX"), randomBytes(4096)]));
  chmodSync(join(dir, "garbage.bin"), 0o755);
  writeFileSync(join(dir, "script.sh"), "#!/bin/sh\nexit 0\n");
  chmodSync(join(dir, "script.sh"), 0o755);

  const m = marker("audit");
  const tag = randomBytes(4).toString("hex");
  const key = `tracer-test-${process.pid}-${tag}`;
  // a loginuid nobody logs in with: the rule matches this run's processes and nothing else
  const auid = 2_000_000_000 + ((process.pid * 1000 + randomBytes(2).readUInt16LE(0)) % 100_000_000);
  const script = [
    // failed: ENOENT absolute, ENOENT × 3 through a PATH search, EACCES (no x bit, a directory),
    // ENOEXEC, ENOTDIR, ENOENT relative, EBADF (execveat), ENOENT from a second thread
    `${ef} path /nonexistent/${m}-abs ${m}`,
    `PATH=${dir}/p1:${dir}/p2:${dir}/p3 ${ef} execvp ${m}-search ${m}`,
    `${ef} path ${dir}/no-x-bit ${m}`,
    `${ef} path ${dir} ${m}`,
    `${ef} path ${dir}/garbage.bin ${m}`,
    `${ef} path /etc/passwd/${m} ${m}`,
    `${ef} path ./missing-rel ${m}`,
    `${ef} badfd rel-${m} ${m}`,
    `${ef} thread /nonexistent/${m}-thread ${m}`,
    // successful: plain, odd argv (space, non-ASCII, empty), an argument audit splits (> 7500
    // bytes), a #! script, execveat(fd, "", AT_EMPTY_PATH), exec from a second thread, a static
    // binary; the last one marks the end
    `/bin/true ${m}`,
    `/bin/echo 'with space' 'ünï' '' ${m} >/dev/null`,
    `/bin/true ${m} "$LONG_ARG"`,
    `${dir}/script.sh ${m}`,
    `${ef} emptypath /bin/true ${m}`,
    `${ef} thread /bin/true ${m}`,
    `${hs} ${m} </dev/null 2>/dev/null`,
    `/bin/true ${m}-end`,
  ].join("\n");
  const out = join(dir, "events.json");
  session = await AuditSession.open(key, auid);
  const s = session;
  let raw = "";
  let stdout = "";
  let lost = 0;
  let tracerPid = 0;
  let restored = false;
  try {
    const lostBefore = auditLost();
    // The tracer and all it starts carry the loginuid (set before exec, inherited by children).
    const setLoginuid =
      '{ echo "$0" >/proc/self/loginuid; } 2>/dev/null || { echo "cannot set loginuid (loginuid_immutable?)" >&2; exit 1; }';
    const proc = Bun.spawn(
      [
        "/bin/sh",
        "-c",
        `${setLoginuid}; exec "$@"`,
        String(auid),
        TRACER,
        "--json",
        "-o",
        out,
        "--",
        "/bin/sh",
        "-c",
        script,
      ],
      {
        cwd: dir,
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, LONG_ARG: "long".repeat(2000) }, // not in the script: audit logs that three times
      },
    );
    tracerPid = proc.pid;
    const timer = setTimeout(() => proc.kill("SIGKILL"), 30000);
    stdout = await new Response(proc.stdout).text();
    const stderr = await new Response(proc.stderr).text();
    const code = await proc.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`tracer -- workload: exit ${code}: ${stderr}`);
    // auditd writes asynchronously: wait until the end marker's event is complete in the log
    const end = Date.now() + 60000;
    for (;;) {
      raw = Bun.spawnSync(["ausearch", "-k", key, "--raw"]).stdout.toString();
      const last = parseAudit(raw, auid).find((e) => e.argv.includes(`${m}-end`));
      if (last?.proctitle) break;
      if (Date.now() > end)
        throw new Error(`audit log has no record of the workload's last exec after 15 s (key ${key})`);
      await Bun.sleep(100);
    }
    lost = auditLost() - lostBefore;
  } finally {
    session = undefined;
    restored = await s.close();
    if (!restored) console.error(`audit-session.sh did not report the audit state restored: ${s.lines.join(" | ")}`);
  }
  if (!restored) throw new Error("audit-session.sh did not report the audit state restored");

  // Audit side: this run's loginuid, minus the tracer's own exec and what the tracer's child ran
  // before it became COMMAND (the tracer's start-up shell, not part of the workload).
  let audit = parseAudit(raw, auid).filter((e) => e.pid !== tracerPid);
  const cmd = audit.find((e) => e.success && JSON.stringify(e.argv) === JSON.stringify(["/bin/sh", "-c", script]));
  if (!cmd) throw new Error("audit has no exec of COMMAND");
  audit = audit.filter((e) => !(e.pid === cmd.pid && e.serial < cmd.serial));

  const events = readFileSync(out, "utf8").split("\n").filter(Boolean).map(parseLine);
  return {
    audit,
    failed: events.filter((e) => e.eventName === "process_execute_failed"),
    execs: events.filter((e) => e.eventName === "sched_process_exec"),
    reported: [...stdout.matchAll(/pid=(\d+) tid=\d+ errno=(\d+)/g)].map((x) => ({ pid: +x[1]!, errno: +x[2]! })),
    lost,
    key,
    before: s.state("before: "),
    after: s.state("after: "),
  };
}

afterAll(async () => {
  // only when collect() was interrupted between open and close
  if (session) await session.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const file = (dev: number | null, ino: number | null) => `${dev ?? 0}:${ino ?? 0}`;
const sorted = (xs: string[]) => [...xs].sort();

/** The file the process now runs (audit's exe=, stat'd) among the event's PATH records. */
function binaryIndex(e: AuditExec): number {
  const st = statSync(e.exe!);
  return e.paths.findIndex((p) => p.ino === st.ino && p.dev === kernelDev(st.dev));
}

if (NO_AUDIT) test.skip("audit cross-check: the kernel has no audit support (no /proc/self/loginuid)", () => {});

describe.skipIf(NO_AUDIT)("tracer and the kernel's audit log agree (auditd, execve/execveat rule)", () => {
  test("audit saw the whole workload, and lost nothing", async () => {
    const r = await run();
    expect(r.lost).toBe(0);
    // 11 failures: abs, 3 × PATH search, no x bit, directory, ENOEXEC, ENOTDIR, relative, EBADF, thread
    expect(r.audit.filter((e) => !e.success).length).toBe(11);
    // 20 successes: COMMAND, 11 × execfail, true, echo, long, script, emptypath, thread, static, end
    expect(r.audit.filter((e) => e.success).length).toBe(20);
    expect(r.audit.some((e) => e.argv[2] === "long".repeat(2000))).toBe(true); // the split one, joined
    // audit's attribution matches what each failing process saw itself
    for (const { pid, errno } of r.reported)
      expect(r.audit.some((e) => !e.success && e.pid === pid && e.exit === -errno)).toBe(true);
    expect(r.reported.length).toBe(9); // execvp reports once for its three attempts
  });

  test("failed execs agree one for one: pid, syscall, errno, path as passed, file", async () => {
    const r = await run();
    const want = r.audit
      .filter((e) => !e.success)
      .map(
        (e) =>
          `pid=${e.pid} ${SYSCALLS[e.syscall]} errno=${-e.exit} path=${JSON.stringify(e.paths[0]?.name ?? "")} file=${file(e.paths[0]?.dev ?? null, e.paths[0]?.ino ?? null)}`,
      );
    const got = r.failed.map((e) => {
      const b = arg(e, "binary");
      return `pid=${e.hostProcessId} ${e.syscall} errno=${-e.returnValue} path=${JSON.stringify(arg(e, "path"))} file=${file(b.device_id, b.inode_number)}`;
    });
    expect(got.length).toBe(want.length);
    expect(sorted(got)).toEqual(sorted(want));
  });

  test("successful execs agree one for one: pid, argv, executable (path, dev, inode), ELF interpreter", async () => {
    const r = await run();
    const want = r.audit
      .filter((e) => e.success)
      .map((e) => {
        const b = binaryIndex(e);
        const bin = b >= 0 ? file(e.paths[b]!.dev, e.paths[b]!.ino) : "not-in-PATH-records";
        const interp = b >= 0 && e.paths[b + 1] ? file(e.paths[b + 1]!.dev, e.paths[b + 1]!.ino) : "0:0";
        return `pid=${e.pid} argv=${JSON.stringify(e.argv)} exe=${e.exe} file=${bin} interp=${interp}`;
      });
    const got = r.execs.map(
      (e) =>
        `pid=${e.hostProcessId} argv=${JSON.stringify(arg(e, "argv"))} exe=${arg(e, "pathname")} file=${file(arg(e, "dev"), arg(e, "inode"))} interp=${file(arg(e, "interpreter_dev"), arg(e, "interpreter_inode"))}`,
    );
    expect(got.length).toBe(want.length);
    expect(sorted(got)).toEqual(sorted(want));
  });

  test("successful execs: the syscall (execve or execveat) and, for execve, the path as passed", async () => {
    const r = await run();
    const key = (pid: number, argv: string[]) => `pid=${pid} argv=${JSON.stringify(argv)}`;
    const want = r.audit
      .filter((e) => e.success)
      .map(
        (e) => `${key(e.pid, e.argv)} ${SYSCALLS[e.syscall]}${e.syscall === 59 ? ` cmdpath=${e.paths[0]?.name}` : ""}`,
      );
    const got = r.execs.map((e) => {
      // which syscall it was comes from audit: the tracer's own answer is what is under test
      const a = r.audit.find((x) => x.success && key(x.pid, x.argv) === key(e.hostProcessId, arg(e, "argv")));
      return `${key(e.hostProcessId, arg(e, "argv"))} ${e.syscall}${a?.syscall === 59 ? ` cmdpath=${arg(e, "cmdpath")}` : ""}`;
    });
    expect(sorted(got)).toEqual(sorted(want));
  });

  test("leaves audit as it found it: rules, enabled flag, daemon", async () => {
    const r = await run();
    expect(r.before).toMatch(/^enabled \d;.*pid \d+;/);
    expect(r.after).toBe(r.before);
    // and from here, after the session's lock is released: no rule of ours is left
    expect(Bun.spawnSync(["auditctl", "-l"]).stdout.toString()).not.toContain(r.key);
  });
});
