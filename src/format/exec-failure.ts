// Why an exec failed, in words, the same in the table, --tree, the summary and the job summary:
// the errno's name, except for the classic confusing ENOENT of a file that exists: its `#!` line
// (or an ELF's PT_INTERP) names an interpreter that does not.
import { accessor, type EventView } from "../decode/event";
import { EXEC_FAILED } from "../decode/index";
import { escapeDisplay } from "./quote";

const error = accessor(EXEC_FAILED, "error");
const binary = accessor(EXEC_FAILED, "binary");
const interpreter = accessor(EXEC_FAILED, "interpreter_path");

/** The reason from plain values: `exists` is whether the path named a file (binary resolved). */
export function failureReason(errno: string, exists: boolean, interpreterPath: string): string {
  if (errno === "ENOENT" && exists && interpreterPath !== "")
    return `interpreter ${escapeDisplay(interpreterPath)} not found`;
  return escapeDisplay(errno);
}

/** The reason a failed exec event gives. */
export function failedExecReason(ev: EventView<typeof EXEC_FAILED>): string {
  return failureReason(error(ev), Number(binary(ev).inode_number) !== 0, interpreter(ev));
}

/** A PATH search that found nothing: how many directories, and the errors. */
export function searchReason(errors: readonly string[], count: number): string {
  return `not found in PATH (${errors.map(escapeDisplay).join("/")} ×${count})`;
}
