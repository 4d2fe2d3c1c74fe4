// --nats in a run: the sink (sink/nats.ts) fed with each event's JSON line as the encoder wrote
// it, keyed by the record's seq; the sink's own losses as lost_events lines made the same way.
import type { NatsSink } from "../sink/nats";
import type { LineTap } from "../format/output";
import { JsonEncoder } from "../format/json";
import { ByteBuf } from "../format/bytes";
import { createPipeline } from "../pipeline";
import { EpochClock } from "../decode/clock";
import { kernelSeq } from "../decode/seq";
import { LOST, TRACED } from "../decode/index";
import { lostRecord } from "../load/counters";
import type { Config } from "./config";
import { say } from "../errors";

export interface Publisher {
  sink: NatsSink;
  tap: LineTap;
}

/** Connect (or wait for the server in the background) and check the stream; null without --nats. */
export async function openPublisher(cfg: Config, bootToEpochNs: bigint): Promise<Publisher | null> {
  if (!cfg.nats) return null;
  // lost_events lines for what the sink could not keep: a record as the kernel's losses make
  // them, through a pipeline of its own and the one JSON encoder
  const out = new ByteBuf(1024);
  const json = new JsonEncoder(false, false);
  const own = createPipeline(
    { clock: new EpochClock(bootToEpochNs), captureEnv: false, hash: false },
    (ev) => {
      out.pos = 0;
      json.encode(out, ev);
    },
    { decoded: 0, malformed: 0, excluded: 0, lastError: "" },
  );
  const lostLine = (perEvent: Map<string, number>): Uint8Array => {
    const perKind: number[] = [];
    for (const d of TRACED) perKind[d.kind] = perEvent.get(d.name) ?? 0;
    own.onOwnRecord(lostRecord(BigInt(Date.now()) * 1_000_000n - bootToEpochNs, perKind));
    return out.buf.slice(0, out.pos - 1);
  };
  // The NATS client (7–10 ms of CPU to load, measured 2026-12-07) only for runs with --nats.
  const { NatsSink } = await import("../sink/nats");
  const sink = await NatsSink.open(cfg.nats, lostLine, say);
  return {
    sink,
    tap: (line, ev) =>
      sink.push(line, ev.def.name, ev.def === LOST ? null : ev.x.seq >= 0 ? ev.x.seq : kernelSeq(ev.r.dv, ev.r.off)),
  };
}
