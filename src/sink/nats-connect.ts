// A connection to NATS as --nats and its flags ask (servers, credentials, TLS), the one-line
// description of what went wrong, and the JetStream stream that takes our subjects.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
} from "@nats-io/transport-node";
import { jetstreamManager, StorageType } from "@nats-io/jetstream";
import { wrap } from "../errors";

export interface NatsConfig {
  /** nats://, tls:// URLs (user:password@ or token@ in the first that has them). */
  servers: string[];
  /** Subjects are PREFIX.HOST.EVENT. */
  prefix: string;
  /** --nats-stream: create it when missing, check it when not. */
  stream: string | null;
  /** A .creds file (JWT and NKey seed) or an NKey seed file. */
  creds: string | null;
  nkey: string | null;
  /** TLS: the CA that signed the server's certificate; a client certificate and its key. */
  ca: string | null;
  cert: string | null;
  key: string | null;
  /** --spool DIR (null: memory only) and its bound in bytes. */
  spool: string | null;
  spoolSize: number;
}

/** A subject token for this host: its name with what subjects cannot hold (. * > space) as _. */
export function hostToken(name = hostname()): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "_") || "_";
}

const readSecret = (what: string, path: string): Uint8Array => {
  try {
    return readFileSync(path);
  } catch (e) {
    throw wrap(`${what} ${path}`, e);
  }
};

/** The client's options: servers without their user info, which becomes user/pass or a token. */
export function connectOptions(
  c: Pick<NatsConfig, "servers" | "creds" | "nkey" | "ca" | "cert" | "key">,
  name: string,
): ConnectionOptions {
  const o: ConnectionOptions = {
    name,
    servers: [],
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: 5000,
    pingInterval: 10000,
  };
  let tls = c.ca !== null || c.cert !== null;
  for (const s of c.servers) {
    let u: URL;
    try {
      u = new URL(s.includes("://") ? s : `nats://${s}`);
    } catch {
      throw new Error(`--nats ${s}: not a URL (nats://HOST:PORT or tls://HOST:PORT)`);
    }
    if (u.protocol === "tls:") tls = true;
    else if (u.protocol !== "nats:") throw new Error(`--nats ${s}: ${u.protocol}// is not nats:// or tls://`);
    if (u.username && o.user === undefined && o.token === undefined) {
      if (u.password) {
        o.user = decodeURIComponent(u.username);
        o.pass = decodeURIComponent(u.password);
      } else o.token = decodeURIComponent(u.username);
    }
    (o.servers as string[]).push(`${u.hostname}:${u.port || 4222}`);
  }
  if (c.creds !== null) o.authenticator = credsAuthenticator(readSecret("--nats-creds", c.creds));
  else if (c.nkey !== null)
    o.authenticator = nkeyAuthenticator(
      new TextEncoder().encode(new TextDecoder().decode(readSecret("--nats-nkey", c.nkey)).trim()),
    );
  if (tls)
    o.tls = {
      ...(c.ca !== null && { caFile: c.ca }),
      ...(c.cert !== null && { certFile: c.cert }),
      ...(c.key !== null && { keyFile: c.key }),
    };
  return o;
}

/** A server that is not there (yet): worth waiting for. Anything else (a name that does not
 * resolve, credentials refused, a certificate that does not match) is the user's to fix. */
export function transient(e: unknown): boolean {
  const code = (e as { cause?: { code?: string } })?.cause?.code ?? (e as { code?: string })?.code;
  const name = (e as Error)?.name;
  return (
    code === "ECONNREFUSED" ||
    code === "ECONNRESET" ||
    code === "EHOSTUNREACH" ||
    name === "TimeoutError" ||
    (name === "ConnectionError" && code === undefined && /refused|timeout/i.test((e as Error).message))
  );
}

/** One line: what failed, with which servers. */
export function natsError(servers: readonly string[], e: unknown): Error {
  const where = servers.map((s) => s.replace(/\/\/[^@/]*@/, "//")).join(",");
  const err = e as { name?: string; message?: string; cause?: { message?: string } };
  let why = err?.message || String(e);
  if (err?.name === "AuthorizationError") why = "authorization violation (the server refused these credentials)";
  else if (/ENOTFOUND/.test(why)) why = `unknown host (${why.replace(/^getaddrinfo /, "")})`;
  why = why.replace(/[:\s]+$/, "");
  return new Error(`nats ${where}: ${why}`, { cause: e });
}

/** Connect once; throws natsError. */
export async function natsConnect(
  opts: ConnectionOptions,
  servers: readonly string[],
  wait = false,
): Promise<NatsConnection> {
  try {
    return await connect({ ...opts, waitOnFirstConnect: wait });
  } catch (e) {
    throw natsError(servers, e);
  }
}

/** The stream our subjects go to: --nats-stream NAME (made when missing: subjects PREFIX.>,
 * file storage), else whichever stream takes them; an Error saying which is not so. */
export async function checkStream(
  nc: NatsConnection,
  prefix: string,
  host: string,
  want: string | null,
): Promise<string> {
  const subject = `${prefix}.${host}.sched_process_exec`;
  let jsm: Awaited<ReturnType<typeof jetstreamManager>>;
  try {
    jsm = await jetstreamManager(nc, { timeout: 5000 });
  } catch (e) {
    throw new Error(
      `nats: JetStream is not available on the server (${(e as Error).message}); start nats-server with -js`,
    );
  }
  if (want !== null) {
    try {
      await jsm.streams.info(want);
    } catch (e) {
      if (!/not found/i.test((e as Error).message)) throw new Error(`nats: stream ${want}: ${(e as Error).message}`);
      try {
        await jsm.streams.add({ name: want, subjects: [`${prefix}.>`], storage: StorageType.File });
      } catch (e2) {
        throw new Error(`nats: create stream ${want} (subjects ${prefix}.>): ${(e2 as Error).message}`);
      }
    }
  }
  let found: string;
  try {
    found = await jsm.streams.find(subject);
  } catch {
    throw new Error(
      `nats: no stream takes subject ${subject}; give --nats-stream NAME to create one${want !== null ? ` (stream ${want} does not)` : ""}`,
    );
  }
  if (want !== null && found !== want) {
    throw new Error(
      `nats: stream ${want} does not take subject ${subject} (stream ${found} does); give --nats-subject a prefix ${want} takes, or another --nats-stream`,
    );
  }
  return found;
}
