// Enrichment: what user space adds to an event (ev.x) before filters and formatters see it.
import type { RecordEvent } from "../decode/event";
import { EXEC, EXEC_FAILED } from "../decode/index";
import { resolveFailedBinary } from "./binary";
import type { FileHasher } from "./hash";
import { ProcessTable } from "./process-table";

export function createEnricher(
  hasher: FileHasher | null = null,
  table = new ProcessTable(),
): (ev: RecordEvent) => void {
  return (ev) => {
    if (ev.is(EXEC_FAILED)) resolveFailedBinary(ev);
    else if (hasher !== null && ev.is(EXEC)) hasher.hashExec(ev);
    table.enrich(ev);
  };
}
