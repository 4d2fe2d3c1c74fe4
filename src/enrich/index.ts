// Enrichment: what user space adds to an event (ev.x) before filters and formatters see it.
import type { RecordEvent } from "../decode/event";
import { EXEC_FAILED } from "../decode/index";
import { resolveFailedBinary } from "./binary";
import { ProcessTable } from "./process-table";

export function createEnricher(table = new ProcessTable()): (ev: RecordEvent) => void {
  return (ev) => {
    if (ev.is(EXEC_FAILED)) resolveFailedBinary(ev);
    table.enrich(ev);
  };
}
