// Enrichment: what user space adds to decoded events (or, on the direct JSON path, to records)
// before filters and formatters see them.
import { exec_record as E, rec_header as H, record_kind as K } from "../decode/layout.gen";
import type { TraceEvent } from "../event";
import type { FailedExecEvent } from "../decode/exec-failed";
import { spanText, type Rec } from "../decode/record";
import { forkChildIsThread, forkChildPid } from "../decode/fork";
import { exitIsGroup } from "../decode/exit";
import { resolveFailedBinary } from "./binary";
import { ProcessTable } from "./process-table";

export function createEnricher(table = new ProcessTable()): (e: TraceEvent) => void {
  return (e) => {
    if (e.eventName === "process_execute_failed") resolveFailedBinary(e as FailedExecEvent);
    table.enrich(e);
  };
}

/** For an exec, fork or exit record (fixed part checked): its executable.path, with the
 * process table updated as enrich() would for the decoded event. */
export function createRecordEnricher(table: ProcessTable): (r: Rec, kind: number) => string {
  return (r, kind) => {
    const pid = r.dv.getUint32(r.off + H.host_pid, true);
    if (kind === K.KIND_EXEC) {
      const path = spanText(r, E.pathname);
      table.exec(pid, path);
      return path;
    }
    if (kind === K.KIND_FORK) return table.fork(pid, forkChildPid(r), forkChildIsThread(r));
    return table.exit(pid, exitIsGroup(r));
  };
}
