// tracer show nats://HOST:PORT/STREAM: the stream's lines through an ordered consumer (from
// --since on, by the time the server stored them), each with the host its subject names.
import { jetstream, jetstreamManager, DeliverPolicy } from "@nats-io/jetstream";
import { connectOptions, natsConnect, type NatsConfig } from "../sink/nats-connect";
import { UsageError } from "../errors";

export interface HostLine {
  line: string;
  /** The publishing host (PREFIX.HOST.EVENT's HOST); "" for a file. */
  host: string;
}

export const isStreamUrl = (s: string) => /^(nats|tls):\/\//.test(s);

/** Every message of the stream as it is now (from `since`, epoch ns), in stream order. */
export async function readStream(
  url: string,
  since: bigint | null,
  auth: Pick<NatsConfig, "creds" | "nkey" | "ca" | "cert" | "key">,
): Promise<HostLine[]> {
  const u = new URL(url);
  const stream = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, ""));
  if (!/^[A-Za-z0-9_-]+$/.test(stream))
    throw new UsageError(`show ${u.protocol}//${u.host}/STREAM: name the stream (letters, digits, _ and -)`);
  u.pathname = "";
  const servers = [u.toString().replace(/\/$/, "")];
  const nc = await natsConnect(connectOptions({ servers, ...auth }, "tracer show"), servers);
  try {
    const jsm = await jetstreamManager(nc);
    let info: Awaited<ReturnType<typeof jsm.streams.info>>;
    try {
      info = await jsm.streams.info(stream);
    } catch (e) {
      throw new Error(`nats: stream ${stream}: ${(e as Error).message}`);
    }
    const out: HostLine[] = [];
    if (info.state.messages === 0) return out;
    const c = await jetstream(nc).consumers.get(
      stream,
      since === null
        ? {}
        : {
            deliver_policy: DeliverPolicy.StartTime,
            opt_start_time: new Date(Number(since / 1_000_000n)).toISOString(),
          },
    );
    const dec = new TextDecoder();
    for (;;) {
      const batch = await c.fetch({ max_messages: 1000, expires: 2000 });
      let got = 0,
        pending = 1;
      for await (const m of batch) {
        got++;
        const t = m.subject.split(".");
        out.push({ line: dec.decode(m.data), host: t.length >= 3 ? t[t.length - 2]! : "" });
        pending = m.info.pending;
        if (m.seq >= info.state.last_seq) pending = 0;
      }
      if (got === 0 || pending === 0) return out;
    }
  } finally {
    await nc.close().catch(() => {});
  }
}
