// Ring record → TraceEvent, by kind. A record that cannot be decoded throws DecodeError.
import { rec_header as H, record_kind as K } from "./layout.gen";
import { decodeExec } from "./exec";
import { decodeFork } from "./fork";
import { decodeExecFailed } from "./exec-failed";
import { decodeExit } from "./exit";
import { DecodeError, type DecodeContext, type Rec } from "./record";
import type { TraceEvent } from "../event";

export { DecodeError } from "./record";
export type { DecodeContext, Rec } from "./record";

export interface DecoderOptions extends DecodeContext {
  captureEnv: boolean;
}

export function decodeRecord(r: Rec, o: DecoderOptions): TraceEvent {
  if (r.len < H.$size) throw new DecodeError(`record of ${r.len} bytes is shorter than its header (${H.$size})`);
  const kind = r.dv.getUint32(r.off + H.kind, true);
  switch (kind) {
    case K.KIND_EXEC:
      return decodeExec(r, o, o.captureEnv);
    case K.KIND_EXEC_FAILED:
      return decodeExecFailed(r, o, o.captureEnv);
    case K.KIND_FORK:
      return decodeFork(r, o);
    case K.KIND_EXIT:
      return decodeExit(r, o);
    default:
      throw new DecodeError(`unknown record kind ${kind}`);
  }
}
