// --nats: each event's JSON line published to JetStream as PREFIX.HOST.EVENT, at least once,
// once in the stream (Nats-Msg-Id), without ever making the poll loop wait for the network.

/*
 * push() copies the line into a queue (and, with --spool, appends it to the spool first) and
 * returns; flush(), called after each batch of the ring, hands the spool to the kernel and then
 * publishes up to WINDOW messages, each with Nats-Msg-Id = RUN.SEQ (the record's seq; RUN.Ln for
 * a lost_events record). Every acknowledgement is awaited; a publish that failed or timed out is
 * sent again (the server answers `duplicate` for one it had stored), after the client has
 * reconnected. Memory holds at most MEM_BYTES of the oldest unacknowledged messages: with a spool
 * the rest waits on disk only and is read back in order; without one, or when the spool is full,
 * a message that does not fit is counted lost, and a lost_events record saying how many (per
 * event) goes into the stream as soon as there is room again.
 */
import { randomBytes } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import {
  checkStream,
  connectOptions,
  hostToken,
  natsConnect,
  natsError,
  transient,
  type NatsConfig,
} from "./nats-connect";
import { Spool } from "./spool";

const WINDOW = 512;
const MEM_BYTES = 16 << 20;
const ACK_TIMEOUT_MS = 10_000;
const LOST_EVENT = "lost_events";
const EMPTY = new Uint8Array(0);

export interface NatsStats {
  published: number;
  acked: number;
  resent: number;
  duplicates: number;
  /** Messages that waited on disk: left by an earlier run, or beyond what memory keeps. */
  spooled: number;
  /** Messages that fit neither in memory nor in the spool (said by a lost_events record). */
  dropped: number;
  /** Not acknowledged when the tracer ended (kept in the spool, or lost without one). */
  unacked: number;
}

interface Msg {
  id: string;
  subject: string;
  data: Uint8Array;
  seg: number;
  /** 0 to send, 1 in flight, 2 acknowledged. */
  state: 0 | 1 | 2;
  sent: boolean;
}

/** A lost_events line for counts per event name (the caller encodes it as every event is). */
export type LostLine = (perEvent: Map<string, number>) => Uint8Array;

export class NatsSink {
  readonly stats: NatsStats = { published: 0, acked: 0, resent: 0, duplicates: 0, spooled: 0, dropped: 0, unacked: 0 };
  /** A problem that is the user's (stream missing, credentials refused after a restart). */
  failure: Error | null = null;
  private readonly run = randomBytes(9).toString("base64url");
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private connected = false;
  private held = false;
  private backoff = 100;
  private readonly q: Msg[] = [];
  private base = 0; // absolute index of q[0]
  private h = 0; // q[0 .. h) are acknowledged (dropped in bulk: no shift per acknowledgement)
  private next = 0; // absolute index from which a message may still wait to be sent
  private inflight = 0;
  private memBytes = 0;
  private onDisk = false; // newer messages are on disk only (spool)
  private lostSeq = 0;
  private readonly lost = new Map<string, number>();
  private lostTotal = 0;
  private idle: (() => void) | null = null;
  private lastSaid = "";

  private constructor(
    readonly cfg: NatsConfig,
    readonly host: string,
    private readonly spool: Spool | null,
    private readonly lostLine: LostLine,
    private readonly say: (line: string) => void,
  ) {
    if (spool?.leftOver) this.onDisk = true;
  }

  /**
   * Open the spool, connect and check the stream. A server that refuses the connection (not
   * started yet) is waited for in the background: events wait in memory or in the spool.
   * Anything else (unknown host, credentials, TLS, no stream) throws one line.
   */
  static async open(
    cfg: NatsConfig,
    lostLine: LostLine,
    say: (line: string) => void,
    host = hostToken(),
  ): Promise<NatsSink> {
    const opts = connectOptions(cfg, `tracer ${host}`);
    const spool = cfg.spool !== null ? Spool.open(cfg.spool, cfg.spoolSize) : null;
    const sink = new NatsSink(cfg, host, spool, lostLine, say);
    try {
      sink.attach(await natsConnect(opts, cfg.servers));
      await checkStream(sink.nc!, cfg.prefix, host, cfg.stream);
    } catch (e) {
      const cause = (e as Error).cause ?? e;
      if (sink.nc || !transient(cause)) {
        await sink.nc?.close().catch(() => {});
        spool?.close();
        throw e;
      }
      say(
        `tracer: ${(e as Error).message}; events wait ${spool ? `in the spool ${spool.dir}` : "in memory"} until it answers\n`,
      );
      natsConnect(opts, cfg.servers, true).then(
        async (nc) => {
          try {
            await checkStream(nc, cfg.prefix, host, cfg.stream);
          } catch (e2) {
            sink.failure = e2 as Error;
            say(`tracer: ${(e2 as Error).message}\n`);
            await nc.close().catch(() => {});
            return;
          }
          sink.attach(nc);
          sink.pump();
        },
        (e2) => {
          sink.failure = e2 as Error;
          say(`tracer: ${(e2 as Error).message}\n`);
        },
      );
    }
    if (spool?.leftOver) say(`tracer: sending what the spool ${spool.dir} kept from an earlier run\n`);
    return sink;
  }

  private attach(nc: NatsConnection): void {
    this.nc = nc;
    this.js = jetstream(nc, { timeout: ACK_TIMEOUT_MS });
    this.connected = true;
    (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect") this.connected = false;
        else if (s.type === "reconnect") {
          this.connected = true;
          this.held = false;
          this.pump();
        }
      }
    })().catch(() => {});
  }

  /** One event's JSON line (copied); seq: the record's, null for lost_events. */
  push(line: Uint8Array, event: string, seq: number | null): void {
    if (this.lostTotal > 0 && !this.admitLost()) {
      this.drop(event);
      return;
    }
    const id = seq === null ? `${this.run}.L${this.lostSeq++}` : `${this.run}.${seq}`;
    if (!this.admit(id, `${this.cfg.prefix}.${this.host}.${event}`, line)) this.drop(event);
  }

  /** Is there anything not yet acknowledged? (The poll loop then comes back soon.) */
  busy(): boolean {
    return this.q.length > this.h || this.onDisk || this.lostTotal > 0;
  }

  /** After a batch: the spool's bytes to the kernel first, then publish. */
  flush(): void {
    this.spool?.flush();
    this.pump();
  }

  /** Write-ahead: the spool first (the -o file's writes call this before theirs). */
  flushSpool(): void {
    this.spool?.flush();
  }

  /** Wait until everything is acknowledged, or `ms` passed; then close. What is left stays in
   * the spool for the next start (or, without one, is counted unacknowledged). */
  async close(ms: number): Promise<void> {
    this.flush();
    if (this.busy()) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        this.idle = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    this.idle = null;
    for (let i = this.h; i < this.q.length; i++) if (this.q[i]!.state !== 2) this.stats.unacked++;
    if (this.onDisk && this.spool) this.stats.unacked += this.countOnDisk();
    this.stats.unacked += this.lostTotal > 0 ? 1 : 0;
    if (this.spool) {
      if (!this.busy()) this.spool.clear();
      else this.spool.close();
    }
    await this.nc?.close().catch(() => {});
  }

  /** The exit line. */
  line(): string {
    const s = this.stats;
    let out = `tracer: nats: ${s.published} published, ${s.acked} acknowledged, ${s.resent} re-sent, ${s.duplicates} duplicates, ${s.spooled} spooled, ${s.dropped} dropped`;
    if (s.unacked)
      out += this.spool
        ? `; ${s.unacked} not acknowledged stay in ${this.spool.dir} for the next start`
        : `; ${s.unacked} not acknowledged are lost (no --spool)`;
    return out + "\n";
  }

  private admit(id: string, subject: string, data: Uint8Array): boolean {
    let seg = 0;
    if (this.spool) {
      if (!this.onDisk && this.memBytes + data.length > MEM_BYTES) {
        this.spool.readFromEnd(); // from this one on, messages wait on disk only
        this.onDisk = true;
      }
      seg = this.spool.append(id, subject, data);
      if (seg < 0) return false;
      if (this.onDisk) return true;
    } else if (this.memBytes + data.length > MEM_BYTES) return false;
    this.q.push({ id, subject, data: data.slice(), seg, state: 0, sent: false });
    this.memBytes += data.length;
    return true;
  }

  private drop(event: string): void {
    this.stats.dropped++;
    this.lostTotal++;
    this.lost.set(event, (this.lost.get(event) ?? 0) + 1);
  }

  /** The lost_events record for what was dropped, if there is room for it now. */
  private admitLost(): boolean {
    const line = this.lostLine(this.lost);
    if (!this.admit(`${this.run}.L${this.lostSeq}`, `${this.cfg.prefix}.${this.host}.${LOST_EVENT}`, line))
      return false;
    this.lostSeq++;
    this.lost.clear();
    this.lostTotal = 0;
    return true;
  }

  private pump(): void {
    if (!this.js || !this.connected || this.held) return;
    while (this.inflight < WINDOW) {
      if (this.next - this.base >= this.q.length) {
        if (!this.refill()) break;
        continue;
      }
      const i = this.next++;
      const m = this.q[i - this.base]!;
      if (m.state === 0) this.send(m, i);
    }
  }

  /** Bring back from the spool what memory did not keep (and a pending lost record). */
  private refill(): boolean {
    if (this.onDisk && this.spool && this.memBytes < MEM_BYTES / 2) {
      const recs = this.spool.read(WINDOW);
      if (recs.length === 0) {
        this.onDisk = false;
        return false;
      }
      for (const r of recs) {
        this.q.push({
          id: r.id,
          subject: r.subject,
          data: r.data,
          seg: r.seg,
          state: 0,
          sent: this.spool.isOld(r.seg),
        });
        this.memBytes += r.data.length;
        this.stats.spooled++;
      }
      return true;
    }
    if (!this.onDisk && this.lostTotal > 0 && this.admitLost()) return true;
    return false;
  }

  private send(m: Msg, i: number): void {
    m.state = 1;
    this.inflight++;
    if (m.sent) this.stats.resent++;
    else this.stats.published++;
    m.sent = true;
    this.js!.publish(m.subject, m.data, { msgID: m.id, timeout: ACK_TIMEOUT_MS }).then(
      (ack) => {
        m.state = 2;
        this.inflight--;
        this.stats.acked++;
        if (ack.duplicate) this.stats.duplicates++;
        this.backoff = 100;
        this.advance();
        this.pump();
      },
      (e) => {
        m.state = 0;
        this.inflight--;
        if (i < this.next) this.next = i;
        this.retry(e);
      },
    );
  }

  /** A publish failed: hold the others, try again after a pause (or when reconnected). A
   * failure that is not the connection's (no stream takes the subject any more) is said once. */
  private retry(e: unknown): void {
    const msg = String((e as Error)?.message);
    if (!transient(e) && !/timeout|connection|closed|disconnect|reconnect/i.test(msg) && msg !== this.lastSaid) {
      this.lastSaid = msg;
      this.say(`tracer: ${natsError(this.cfg.servers, e).message}; publishing again until it is accepted\n`);
    }
    if (this.held) return;
    this.held = true;
    setTimeout(() => {
      this.held = false;
      this.pump();
    }, this.backoff);
    this.backoff = Math.min(2000, this.backoff * 2);
  }

  /** Drop the acknowledged head of the queue; release spool segments behind it. */
  private advance(): void {
    const q = this.q;
    const from = this.h;
    while (this.h < q.length && q[this.h]!.state === 2) {
      const m = q[this.h++]!;
      this.memBytes -= m.data.length;
      m.data = EMPTY;
    }
    if (this.h === from) {
      this.checkIdle();
      return;
    }
    if (this.h >= 1024 && 2 * this.h >= q.length) {
      q.splice(0, this.h);
      this.base += this.h;
      this.h = 0;
    }
    // every message before the oldest one not acknowledged is: their segments can go
    if (this.spool)
      this.spool.release(q.length > this.h ? q[this.h]!.seg : this.onDisk ? this.spool.readSegment : Infinity);
    if (this.lostTotal > 0 && !this.onDisk) this.refill();
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.idle && !this.busy()) this.idle();
  }

  private countOnDisk(): number {
    let n = 0;
    for (;;) {
      const recs = this.spool!.read(4096);
      if (!recs.length) return n;
      n += recs.length;
    }
  }
}
