// Who ran what, with which privileges, from where (issue: exec context): creds, login uid and
// session, tty, secure_exec and the exe_* flags against what the process reports about itself
// (/proc/self/status, /proc/self/loginuid, its controlling terminal, getauxval(AT_SECURE)).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseExact } from "../tracee-rules";
import { arg, fixture, marker, TRACER, type Json } from "./harness";

let dir: string;
let sr: string; // the fixture, in a directory every user can read
const NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tracer-who-"));
  chmodSync(dir, 0o755);
  sr = join(dir, "selfreport");
  copyFileSync(fixture("selfreport"), sr);
  chmodSync(sr, 0o755);
});

afterAll(() => {
  Bun.spawnSync(["umount", join(dir, "merged")]);
  rmSync(dir, { recursive: true, force: true });
});

interface Report {
  kv: Record<string, string>;
  events: Json[];
}

/** tracer -- CMD: what the command printed, and the events. */
function traced(cmd: string[]): Report {
  const out = join(dir, `${marker("who")}.jsonl`);
  const p = Bun.spawnSync([TRACER, "--json", "-o", out, "--", ...cmd], {
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const kv = Object.fromEntries(
    p.stdout
      .toString()
      .replaceAll("\r", "")
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  const events = readFileSync(out, "utf8")
    .split("\n")
    .filter((l) => l)
    .map(parseExact);
  return { kv, events };
}

/** The exec event of the reporting process of program `path`. */
function execOf(r: Report, path: string): Json {
  const hits = r.events.filter(
    (e) => e.eventName === "sched_process_exec" && e.hostProcessId === Number(r.kv.pid) && arg(e, "pathname") === path,
  );
  expect(hits.length).toBe(1);
  return hits[0]!;
}

/** creds of the event = what /proc/self/status said. */
function expectCreds(e: Json, kv: Record<string, string>) {
  const [uid, euid, suid, fsuid] = kv.Uid!.split(" ").map(Number);
  const [gid, egid, sgid, fsgid] = kv.Gid!.split(" ").map(Number);
  const cap = (k: string) => Number(BigInt("0x" + kv[k]!));
  expect(arg(e, "creds")).toEqual({
    Uid: uid,
    Gid: gid,
    Suid: suid,
    Sgid: sgid,
    Euid: euid,
    Egid: egid,
    Fsuid: fsuid,
    Fsgid: fsgid,
    UserNamespace: Number(/\[(\d+)\]/.exec(kv.userns!)![1]),
    SecureBits: 0,
    CapInheritable: cap("CapInh"),
    CapPermitted: cap("CapPrm"),
    CapEffective: cap("CapEff"),
    CapBounding: cap("CapBnd"),
    CapAmbient: cap("CapAmb"),
  });
}

describe("exec context", () => {
  test("an ordinary exec: creds, login uid, session, no tty, not secure", () => {
    const r = traced(["setsid", "-w", sr]);
    const e = execOf(r, sr);
    expectCreds(e, r.kv);
    expect(arg(e, "login_uid")).toBe(Number(r.kv.loginuid));
    expect(arg(e, "session_id")).toBe(Number(r.kv.sessionid));
    expect(arg(e, "tty")).toBe("");
    expect(r.kv.tty).toBe("");
    expect(arg(e, "secure_exec")).toBe(false);
    expect(r.kv.secure).toBe("0");
    expect([arg(e, "exe_memfd"), arg(e, "exe_deleted"), arg(e, "exe_upper_layer")]).toEqual([false, false, false]);
  });

  test("a setuid-root copy run by nobody: euid 0 after the exec, secure_exec", () => {
    const suid = join(dir, "selfreport-suid");
    copyFileSync(sr, suid);
    chmodSync(suid, 0o4755);
    const r = traced([...NOBODY, suid]);
    const e = execOf(r, suid);
    expect(r.kv.Uid).toBe("65534 0 0 0");
    expectCreds(e, r.kv);
    expect(arg(e, "secure_exec")).toBe(true);
    expect(r.kv.secure).toBe("1");
    expect(e.userId).toBe(65534);
  });

  test("file capabilities (cap_net_raw+ep) run by nobody: permitted and effective raised, secure_exec", () => {
    const capped = join(dir, "selfreport-cap");
    copyFileSync(sr, capped);
    chmodSync(capped, 0o755);
    const set = Bun.spawnSync(["setcap", "cap_net_raw+ep", capped], { stderr: "pipe" });
    expect(set.stderr.toString()).toBe("");
    const r = traced([...NOBODY, capped]);
    const e = execOf(r, capped);
    expect(BigInt("0x" + r.kv.CapEff) & (1n << 13n)).toBe(1n << 13n); // CAP_NET_RAW
    expectCreds(e, r.kv);
    expect(arg(e, "secure_exec")).toBe(true);
  });

  test("a login uid set in a fresh process, and its new session", () => {
    const r = traced(["/bin/sh", "-c", `echo 4321 > /proc/self/loginuid && exec ${sr}`]);
    const e = execOf(r, sr);
    expect(r.kv.loginuid).toBe("4321");
    expect(arg(e, "login_uid")).toBe(4321);
    expect(arg(e, "session_id")).toBe(Number(r.kv.sessionid));
    expect(arg(e, "session_id")).not.toBe(4294967295);
  });

  test("a pseudo-terminal: tty as ps prints it", () => {
    const r = traced(["script", "-qfec", sr, "/dev/null"]);
    const e = execOf(r, sr);
    expect(r.kv.tty).toMatch(/^pts\/\d+$/);
    expect(arg(e, "tty")).toBe(r.kv.tty);
  });

  test("an overlayfs: a file of the lower layer, and one written into the merged tree (upper)", () => {
    for (const d of ["lower", "upper", "work", "merged"]) mkdirSync(join(dir, d));
    copyFileSync(sr, join(dir, "lower", "sr-lower"));
    chmodSync(join(dir, "lower", "sr-lower"), 0o755);
    const m = Bun.spawnSync(
      [
        "mount",
        "-t",
        "overlay",
        "overlay",
        "-o",
        `lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work`,
        join(dir, "merged"),
      ],
      { stderr: "pipe" },
    );
    expect(m.stderr.toString()).toBe("");
    const written = join(dir, "merged", "sr-written");
    copyFileSync(sr, written);
    chmodSync(written, 0o755);
    expect(statSync(join(dir, "upper", "sr-written")).isFile()).toBe(true); // it went to the upper layer
    const lower = traced([join(dir, "merged", "sr-lower")]);
    expect(arg(execOf(lower, join(dir, "merged", "sr-lower")), "exe_upper_layer")).toBe(false);
    const upper = traced([written]);
    expect(arg(execOf(upper, written), "exe_upper_layer")).toBe(true);
  });

  test("a failed exec carries the caller's creds, login uid, session and tty", () => {
    const r = traced([...NOBODY, "/bin/sh", "-c", `${sr}; exec /nonexistent/${marker("who")}`]);
    const f = r.events.filter((e) => e.eventName === "process_execute_failed");
    expect(f.length).toBe(1);
    expectCreds(f[0]!, r.kv); // the shell runs as the fixture did: nobody, same namespace
    expect(arg(f[0]!, "login_uid")).toBe(Number(r.kv.loginuid));
    expect(arg(f[0]!, "session_id")).toBe(Number(r.kv.sessionid));
    expect(arg(f[0]!, "tty")).toBe(r.kv.tty);
  });
});
