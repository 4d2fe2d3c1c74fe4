// Enrichment: what user space adds to decoded events before filters and formatters see them.
import type { TraceEvent } from "../event";
import type { FailedExecEvent } from "../decode/exec-failed";
import { resolveFailedBinary } from "./binary";
import { ProcessTable } from "./process-table";

export function createEnricher(table = new ProcessTable()): (e: TraceEvent) => void {
  return (e) => {
    if (e.eventName === "process_execute_failed") resolveFailedBinary(e as FailedExecEvent);
    table.enrich(e);
  };
}
