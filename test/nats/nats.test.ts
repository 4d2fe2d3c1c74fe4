// --nats against a real nats-server on loopback: what the stream holds is compared with the same
// run's -o file (byte for byte) and with what the workload reports (its spawn count); the server
// is killed, started late, given wrong credentials; the tracer is killed and restarted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, type Subprocess } from "bun";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRACER, fixture, marker } from "../kernel/harness";
import { NatsServer, type StreamMsg } from "./server";

let storm: string;
let work: string;
const servers: NatsServer[] = [];
const tracers: Subprocess[] = [];

beforeAll(() => {
  storm = fixture("storm");
  work = mkdtempSync(join(tmpdir(), "tracer-nats-test-"));
});
afterAll(async () => {
  for (const t of tracers) t.kill("SIGKILL");
  for (const s of servers) await s.stop();
  rmSync(work, { recursive: true, force: true });
});

async function server(auth = "", start = true): Promise<NatsServer> {
  const s = await NatsServer.create(auth);
  servers.push(s);
  if (start) await s.start();
  return s;
}

interface Run {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  stderr: () => string;
  ready: Promise<boolean>;
  done: Promise<{ code: number; stderr: string; stdout: string }>;
}

/** ./tracer with args; stderr collected; `ready` once it said so. */
function tracer(args: string[], env: Record<string, string> = {}): Run {
  const proc = spawn([TRACER, ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  tracers.push(proc);
  let err = "";
  let said!: (v: boolean) => void;
  const ready = new Promise<boolean>((r) => (said = r));
  const dec = new TextDecoder();
  const errDone = (async () => {
    for await (const c of proc.stderr) {
      err += dec.decode(c, { stream: true });
      if (err.includes("ready\n")) said(true);
    }
    said(false);
  })();
  const out = new Response(proc.stdout).text();
  const done = (async () => {
    const code = await proc.exited;
    await errDone;
    return { code, stderr: err, stdout: await out };
  })();
  return { proc, stderr: () => err, ready, done };
}

/** The -o file's complete lines (a tracer killed mid-write may leave a torn last one). */
function lines(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .slice(0, -1);
}

const seqOf = (line: string): number => JSON.parse(line).seq;

/** Nothing twice: each message id once, each line once. */
function expectOnce(msgs: StreamMsg[]): void {
  const twice = (key: (m: StreamMsg) => string) => {
    const first = new Map<string, StreamMsg>();
    return msgs.flatMap((m) => {
      const k = key(m);
      const f = first.get(k);
      if (!f) first.set(k, m);
      return f ? [[f, m]] : [];
    });
  };
  expect(twice((m) => m.id)).toEqual([]); // each pair: the stream's two messages, seq and data
  expect(twice((m) => m.data)).toEqual([]);
}

async function until(what: string, pred: () => boolean | Promise<boolean>, ms = 240_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what}`);
    await Bun.sleep(50);
  }
}

/** An exec line whose own argv has the marker (its parent_argv may have it too: the shell's). */
function execOf(line: string, m: string): boolean {
  if (!line.includes('"eventName":"sched_process_exec"')) return false;
  const argv = (JSON.parse(line).args as { name: string; value: unknown }[]).find((a) => a.name === "argv")?.value;
  return JSON.stringify(argv).includes(m);
}

describe("--nats", () => {
  test("a storm of 20,000 spawns: the stream holds the -o file's lines, each once, in seq order, byte for byte", async () => {
    const s = await server();
    const out = join(work, "storm.jsonl");
    const m = marker("nats-storm");
    const r = tracer([
      "--json",
      "-o",
      out,
      "--nats",
      s.url,
      "--nats-stream",
      "TRACE",
      "--stats",
      "--",
      storm,
      "20000",
      "/bin/true",
      m,
    ]);
    const { code, stderr, stdout } = await r.done;
    expect(code).toBe(0);
    expect(stdout).toBe("spawned=20000\n");
    const file = lines(out);
    // the workload's own count: every spawn's exec is in the file (and so in the stream)
    expect(file.filter((l) => execOf(l, m)).length).toBe(20001);
    const msgs = await s.messages("TRACE");
    expect(msgs.length).toBe(file.length);
    expect(msgs.map((x) => x.data + "\n").join("")).toBe(readFileSync(out, "utf8"));
    expectOnce(msgs);
    const seqs = msgs.map((x) => seqOf(x.data));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
    const host = require("node:os")
      .hostname()
      .replace(/[^A-Za-z0-9_-]/g, "_");
    for (const x of msgs) expect(x.subject).toBe(`tracer.${host}.${JSON.parse(x.data).eventName}`);
    const run = msgs[0]!.id.split(".")[0]!;
    for (const x of msgs) expect(x.id).toBe(`${run}.${seqOf(x.data)}`);
    expect(stderr).toContain(
      `tracer: nats: ${file.length} published, ${file.length} acknowledged, 0 re-sent, 0 duplicates, 0 spooled, 0 dropped\n`,
    );
    expect(stderr).toContain(`{"nats":{"published":${file.length},"acked":${file.length},`);
  }, 1_800_000); // a bound on absence only: 20,000 spawns took 400 s on a loaded 2-core machine

  test("the server killed mid-storm and started again 5 s later: nothing missing, nothing twice, the spool empty", async () => {
    const s = await server();
    await s.addStream("TRACE");
    const out = join(work, "kill.jsonl");
    const spool = join(work, "kill-spool");
    const m = marker("nats-kill");
    const r = tracer(["--json", "-o", out, "--nats", s.url, "--spool", spool, "--", storm, "4000", "/bin/true", m]);
    await until("a quarter of the storm in the stream", async () => (await s.count("TRACE")) > 3000);
    await s.kill();
    const killedAt = lines(out).length;
    await Bun.sleep(5000);
    await s.start();
    const { code, stderr } = await r.done;
    expect(code).toBe(0);
    const file = lines(out);
    expect(file.length).toBeGreaterThan(killedAt); // the storm went on while the server was away
    const msgs = await s.messages("TRACE");
    expectOnce(msgs);
    expect(new Set(msgs.map((x) => x.data))).toEqual(new Set(file));
    expect(file.filter((l) => execOf(l, m)).length).toBe(4001);
    expect(readdirSync(spool)).toEqual([]);
    expect(stderr).toMatch(
      /tracer: nats: \d+ published, \d+ acknowledged, [1-9]\d* re-sent, \d+ duplicates, \d+ spooled, 0 dropped\n/,
    );
  }, 600_000);

  test("the server down at start, up 10 s later: every line arrives", async () => {
    const s = await server("", false);
    const out = join(work, "late.jsonl");
    const m = marker("nats-late");
    const r = tracer([
      "--json",
      "-o",
      out,
      "--nats",
      s.url,
      "--nats-stream",
      "TRACE",
      "--spool",
      join(work, "late-spool"),
      "--",
      "sh",
      "-c",
      `${storm} 2000 /bin/true ${m}; sleep 12`,
    ]);
    expect(await r.ready).toBe(true);
    expect(r.stderr()).toContain(
      `tracer: nats ${s.url}: connection refused; events wait in the spool ${join(work, "late-spool")} until it answers\n`,
    );
    await Bun.sleep(10_000);
    await s.start();
    const { code } = await r.done;
    expect(code).toBe(0);
    const file = lines(out);
    expect(file.filter((l) => execOf(l, m)).length).toBe(2002); // sh, storm, its 2000
    const msgs = await s.messages("TRACE");
    expectOnce(msgs);
    expect(msgs.map((x) => x.data)).toEqual(file); // one connection, in order
  }, 600_000);

  test("the tracer killed with -9 and started again with the same spool: its lines arrive, once", async () => {
    const s = await server("", false);
    const spool = join(work, "k9-spool");
    const out1 = join(work, "k9-1.jsonl"),
      out2 = join(work, "k9-2.jsonl");
    const m = marker("nats-k9");
    // the server is away: everything the first tracer saw waits in the spool when it is killed
    const first = tracer(["--json", "-o", out1, "--nats", s.url, "--nats-stream", "TRACE", "--spool", spool]);
    expect(await first.ready).toBe(true);
    const w = spawn([storm, "1000", "/bin/true", m], { stdout: "pipe" });
    expect(await new Response(w.stdout).text()).toBe("spawned=1000\n");
    await until("the storm's execs in the -o file", () => lines(out1).filter((l) => execOf(l, m)).length === 1001);
    first.proc.kill("SIGKILL");
    await first.done;
    const kept = lines(out1);
    expect(readdirSync(spool).length).toBeGreaterThan(0);
    await s.start();
    const second = tracer(["--json", "-o", out2, "--nats", s.url, "--nats-stream", "TRACE", "--spool", spool]);
    expect(await second.ready).toBe(true);
    await until("the first tracer's lines in the stream", async () => (await s.count("TRACE")) >= kept.length);
    second.proc.kill("SIGTERM");
    const { code, stderr } = await second.done;
    expect(code).toBe(0);
    expect(stderr).toContain(`tracer: sending what the spool ${spool} kept from an earlier run\n`);
    const msgs = await s.messages("TRACE");
    expectOnce(msgs);
    const inStream = new Set(msgs.map((x) => x.data));
    for (const l of kept) expect(inStream.has(l)).toBe(true);
    // the first run's messages: its -o lines, and after them only what the spool had and -o had
    // not yet (the spool is written first); the second run's: its -o file, in order
    const runOf = (x: StreamMsg) => x.id.split(".")[0]!;
    const run1 = runOf(msgs.find((x) => x.data === kept[0])!);
    const last1 = seqOf(kept.at(-1)!);
    const ofRun1 = msgs.filter((x) => runOf(x) === run1);
    for (const x of ofRun1) expect(kept.includes(x.data) || seqOf(x.data) > last1).toBe(true);
    expect(msgs.filter((x) => runOf(x) !== run1).map((x) => x.data)).toEqual(lines(out2));
    expect(readdirSync(spool)).toEqual([]);
  }, 600_000);

  test("a spool too small: what did not fit is counted, and a lost_events record in the stream says so", async () => {
    const s = await server("", false);
    const out = join(work, "small.jsonl");
    const m = marker("nats-small");
    const r = tracer([
      "--json",
      "-o",
      out,
      "--nats",
      s.url,
      "--nats-stream",
      "TRACE",
      "--spool",
      join(work, "small-spool"),
      "--spool-size",
      "64K",
      "--stats",
      "--",
      "sh",
      "-c",
      `${storm} 1000 /bin/true ${m}`,
    ]);
    expect(await r.ready).toBe(true);
    await Bun.sleep(2000);
    await s.start();
    const { code, stderr } = await r.done;
    expect(code).toBe(0);
    const file = lines(out);
    const msgs = await s.messages("TRACE");
    expectOnce(msgs);
    const events = msgs.filter((x) => JSON.parse(x.data).eventName !== "lost_events");
    const lost = msgs.filter((x) => JSON.parse(x.data).eventName === "lost_events").map((x) => JSON.parse(x.data));
    const inStream = new Set(events.map((x) => x.data));
    for (const x of events) expect(file).toContain(x.data);
    const missing = file.filter((l) => !inStream.has(l));
    expect(missing.length).toBeGreaterThan(0);
    const arg = (e: { args: { name: string; value: number }[] }, n: string) => e.args.find((a) => a.name === n)!.value;
    expect(lost.reduce((a, e) => a + arg(e, "lost"), 0)).toBe(missing.length);
    for (const ev of ["sched_process_exec", "sched_process_fork", "sched_process_exit"]) {
      expect(lost.reduce((a, e) => a + arg(e, ev), 0)).toBe(
        missing.filter((l) => JSON.parse(l).eventName === ev).length,
      );
    }
    expect(stderr).toContain(` ${missing.length} dropped\n`);
  }, 600_000);

  test("wrong credentials and an unknown host: one line, exit 1, before anything runs", async () => {
    const s = await server(`authorization { token: "s3cret" }`);
    for (const [url, want] of [
      [
        `nats://wrong@127.0.0.1:${s.port}`,
        `tracer: nats nats://127.0.0.1:${s.port}: authorization violation (the server refused these credentials)\n`,
      ],
      [
        "nats://no-such-host.invalid:4222",
        "tracer: nats nats://no-such-host.invalid:4222: unknown host (ENOTFOUND no-such-host.invalid)\n",
      ],
    ] as const) {
      const out = join(work, "refused.jsonl");
      const flag = join(work, "ran");
      const r = tracer(["--json", "-o", out, "--nats", url, "--", "touch", flag]);
      const { code, stderr } = await r.done;
      expect({ code, stderr }).toEqual({ code: 1, stderr: want });
      expect(existsSync(out)).toBe(false); // nothing written that could look like a whole trace
      expect(existsSync(flag)).toBe(false);
    }
  }, 600_000);

  test("token and user/password: accepted, the lines arrive", async () => {
    for (const [auth, cred] of [
      [`authorization { token: "s3cret" }`, "s3cret@"],
      [`authorization { user: "tr", password: "pw!d" }`, "tr:pw%21d@"],
    ] as const) {
      const s = await server(auth);
      await s.addStream(
        "TRACE",
        ["tracer.>"],
        auth.includes("token") ? { token: "s3cret" } : { user: "tr", pass: "pw!d" },
      );
      const out = join(work, "auth.jsonl");
      const m = marker("nats-auth");
      const r = tracer(["--json", "-o", out, "--nats", `nats://${cred}127.0.0.1:${s.port}`, "--", "/bin/echo", m]);
      const { code } = await r.done;
      expect(code).toBe(0);
      const msgs = await s.messages(
        "TRACE",
        auth.includes("token") ? { token: "s3cret" } : { user: "tr", pass: "pw!d" },
      );
      expect(msgs.map((x) => x.data)).toEqual(lines(out));
      expect(msgs.some((x) => x.data.includes(m))).toBe(true);
    }
  }, 600_000);

  test("no stream takes the subjects, or --nats-stream names one that does not: one line, exit 1", async () => {
    const s = await server();
    let r = tracer(["--json", "--nats", s.url, "--", "true"]);
    let res = await r.done;
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `tracer: nats: no stream takes subject tracer.${require("node:os")
        .hostname()
        .replace(/[^A-Za-z0-9_-]/g, "_")}.sched_process_exec; give --nats-stream NAME to create one\n`,
    );
    await s.addStream("OTHER", ["other.>"]);
    await s.addStream("MINE", ["tracer.>"]);
    r = tracer(["--json", "--nats", s.url, "--nats-stream", "OTHER", "--", "true"]);
    res = await r.done;
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /^tracer: nats: stream OTHER does not take subject tracer\.\S+ \(stream MINE does\); give --nats-subject a prefix OTHER takes, or another --nats-stream\n$/,
    );
  }, 600_000);

  test("the spool directory: another user's or an open one is refused", async () => {
    const s = await server();
    const open = join(work, "open-spool");
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o755);
    const link = join(work, "link-spool");
    symlinkSync(open, link);
    for (const [dir, want] of [
      [open, `tracer: spool ${open}: mode 755 lets other users in; chmod 700 it or choose another directory\n`],
      [link, `tracer: spool ${link}: not a directory (a symlink; give the directory's own path)\n`],
    ] as const) {
      const r = tracer(["--json", "--nats", s.url, "--nats-stream", "T", "--spool", dir, "--", "true"]);
      expect(await r.done).toMatchObject({ code: 1, stderr: want });
    }
    const made = join(work, "made-spool");
    const r = tracer(["--json", "--nats", s.url, "--nats-stream", "T", "--spool", made, "--", "true"]);
    expect((await r.done).code).toBe(0);
    expect(statSync(made).mode & 0o777).toBe(0o700);
  }, 600_000);

  test("tracer show nats://: two hosts' tracers in one stream, a HOST column, --json and --since", async () => {
    const s = await server();
    const url = `nats://127.0.0.1:${s.port}/TRACE`;
    const files: Record<string, string> = {};
    let between = "";
    for (const host of ["tracer-host-a", "tracer-host-b"]) {
      files[host] = join(work, `${host}.jsonl`);
      // a host of its own: a UTS namespace with that name (the subject's HOST is the tracer's)
      const r = spawn(
        [
          "unshare",
          "--uts",
          "sh",
          "-c",
          `hostname ${host} && exec "$0" "$@"`,
          TRACER,
          "--json",
          "-o",
          files[host]!,
          "--nats",
          s.url,
          "--nats-stream",
          "TRACE",
          "--",
          "/bin/echo",
          `${host}-${marker("show")}`,
        ],
        { stdout: "pipe", stderr: "pipe" },
      );
      expect(await r.exited).toBe(0);
      if (!between) {
        await Bun.sleep(1100);
        between = new Date().toISOString();
        await Bun.sleep(1100);
      }
    }
    const a = lines(files["tracer-host-a"]!),
      b = lines(files["tracer-host-b"]!);
    const show = (...args: string[]) => {
      const r = Bun.spawnSync([TRACER, "show", ...args], { stdout: "pipe", stderr: "pipe" });
      expect(r.stderr.toString()).toMatch(/^tracer: \d+ process/);
      expect(r.exitCode).toBe(0);
      return r.stdout.toString();
    };
    expect(show("--json", url)).toBe([...a, ...b].map((l) => l + "\n").join(""));
    expect(show("--json", "--since", between, url)).toBe(b.map((l) => l + "\n").join(""));
    const table = show("-w", url).split("\n");
    expect(table[0]).toMatch(/^HOST +TIME/);
    for (const host of ["tracer-host-a", "tracer-host-b"]) {
      const echo = table.filter((l) => l.includes(`/bin/echo ${host}-`)); // its exec and its exit
      expect(echo.length).toBe(2);
      for (const l of echo) expect(l.startsWith(host + " ")).toBe(true);
    }
    const tree = show("--tree", url);
    expect(tree).toContain("tracer-host-a:\n");
    expect(tree).toContain("tracer-host-b:\n");
  }, 600_000);

  test("TLS: a server certificate signed by --nats-ca is accepted; one not for this address, or without the CA, is one line and exit 1", async () => {
    const dir = join(work, "tls");
    mkdirSync(dir);
    const ssl = (...a: string[]) => {
      const r = Bun.spawnSync(["openssl", ...a], { cwd: dir, stderr: "pipe" });
      if (r.exitCode !== 0) throw new Error(`openssl ${a.join(" ")}: ${r.stderr}`);
    };
    ssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=tracer-test-ca",
    );
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=server");
    for (const [name, san] of [
      ["good", "IP:127.0.0.1"],
      ["other", "DNS:other.example"],
    ]) {
      Bun.write(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
      ssl(
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        `${name}.pem`,
        "-days",
        "2",
        "-extfile",
        `${name}.ext`,
      );
    }
    const tls = (cert: string) => `tls { cert_file: "${join(dir, cert)}", key_file: "${join(dir, "srv.key")}" }`;
    const good = await server(tls("good.pem"));
    const other = await server(tls("other.pem"));
    const ca = join(dir, "ca.pem");
    const out = join(work, "tls.jsonl");
    const m = marker("nats-tls");
    let r = tracer([
      "--json",
      "-o",
      out,
      "--nats",
      `tls://127.0.0.1:${good.port}`,
      "--nats-ca",
      ca,
      "--nats-stream",
      "TRACE",
      "--",
      "/bin/echo",
      m,
    ]);
    expect((await r.done).code).toBe(0);
    const msgs = await good.messages("TRACE", { tls: { caFile: ca } });
    expect(msgs.map((x) => x.data)).toEqual(lines(out));
    expect(msgs.some((x) => x.data.includes(m))).toBe(true);
    const shown = Bun.spawnSync([TRACER, "show", "--json", "--nats-ca", ca, `tls://127.0.0.1:${good.port}/TRACE`], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(shown.stdout.toString()).toBe(readFileSync(out, "utf8"));
    for (const [args, want] of [
      [
        [`tls://127.0.0.1:${other.port}`, "--nats-ca", ca],
        `tracer: nats tls://127.0.0.1:${other.port}: Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list\n`,
      ],
      [
        [`tls://127.0.0.1:${good.port}`],
        `tracer: nats tls://127.0.0.1:${good.port}: unable to verify the first certificate\n`,
      ],
    ] as const) {
      const refused = join(work, "tls-refused.jsonl");
      r = tracer(["--json", "-o", refused, "--nats", ...args, "--nats-stream", "TRACE", "--", "true"]);
      expect(await r.done).toMatchObject({ code: 1, stderr: want });
      expect(existsSync(refused)).toBe(false);
    }
  }, 600_000);

  test("redaction comes first: a secret in argv is not in the stream, which holds the -o file's redacted line", async () => {
    const s = await server();
    const out = join(work, "redact.jsonl");
    const secret = `s3cr3t${marker("redact").slice(-8)}`;
    const r = tracer([
      "--json",
      "-o",
      out,
      "--nats",
      s.url,
      "--nats-stream",
      "TRACE",
      "--redact",
      `pw=(\\w+)`,
      "--",
      "/bin/echo",
      `pw=${secret}`,
    ]);
    const { code, stdout } = await r.done;
    expect(code).toBe(0);
    expect(stdout).toBe(`pw=${secret}\n`); // the command had it
    const msgs = await s.messages("TRACE");
    expect(msgs.map((x) => x.data)).toEqual(lines(out));
    const exec = msgs
      .map((x) => JSON.parse(x.data))
      .find((e) => e.eventName === "sched_process_exec" && JSON.stringify(e).includes("/bin/echo"))!;
    expect(exec.args.find((a: { name: string }) => a.name === "argv").value[1]).not.toContain(secret);
    for (const x of msgs) expect(x.data).not.toContain(secret);
  }, 600_000);
});
