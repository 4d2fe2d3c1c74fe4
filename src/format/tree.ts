// --tree: collects fork/exec/exit events into the process tree of what was traced and renders it
// (parent → children, each process with the command lines it exec'd and how it ended).
import { dfgOnly } from "../jit";
import { accessor, type EventView } from "../decode/event";
import { EXEC, EXEC_FAILED, EXIT, FORK } from "../decode/index";
import { topAccessor } from "../decode/top";
import { argvText as commandLine, endText, escapeDisplay } from "./quote";
import { failedExecReason } from "./exec-failure";
import { fit, wrapWords } from "./human";

/** Where the tree goes: a terminal's columns (lines cut with …, a failed process's broken to
 * following lines) and colour, as the table's. */
export interface TreeOptions {
  width: number | null;
  color: boolean;
}
const NO_LINES: string[] = [];
/** Less room than this for a failed node's text (a deep tree on a narrow terminal): cut as others. */
const MIN_WRAP = 10;
const SGR = { failure: "\x1b[31m", signal: "\x1b[1;31m", reset: "\x1b[0m" };

const T = {
  hostProcessId: topAccessor("hostProcessId"),
  processEntityId: topAccessor("processEntityId"),
  parentEntityId: topAccessor("parentEntityId"),
  processName: topAccessor("processName"),
};
const A = {
  isThread: accessor(FORK, "is_thread"),
  childPid: accessor(FORK, "child_pid"),
  childProcess: accessor(FORK, "child_process_entity_id"),
  childParent: accessor(FORK, "child_parent_entity_id"),
  argv: accessor(EXEC, "argv"),
  arguments: accessor(EXEC_FAILED, "arguments"),
  groupExit: accessor(EXIT, "process_group_exit"),
  exitCode: accessor(EXIT, "exit_code"),
  signal: accessor(EXIT, "signal_code"),
  core: accessor(EXIT, "core_dumped"),
};

interface Node {
  id: number; // processEntityId
  pid: number;
  parent: number; // parent's processEntityId
  comm: string;
  execs: string[];
  failed: Map<string, { count: number; error: string }>; // failed exec attempts by command line
  exit: string;
  /** How it ended, for colour: a death by signal, a non-zero exit. */
  tone: "plain" | "failure" | "signal";
  children: number[];
}

export class ProcessTree {
  private nodes = new Map<number, Node>();
  private order: number[] = [];

  private node(id: number, pid: number, parent: number, comm: string): Node {
    const n: Node = { id, pid, parent, comm, execs: [], failed: new Map(), exit: "", tone: "plain", children: [] };
    this.nodes.set(id, n);
    this.order.push(id);
    this.nodes.get(parent)?.children.push(id);
    return n;
  }

  /** The event's process, its node made when it is new. */
  private own(ev: EventView): Node {
    const id = T.processEntityId(ev);
    return this.nodes.get(id) ?? this.node(id, T.hostProcessId(ev), T.parentEntityId(ev), T.processName(ev));
  }

  /** What a line's event adds; a field is read only when it is used (tracer show reads ~250,000
   * lines, two in three a thread's start or end, which add nothing: reading a process's pid,
   * parent and name from every line was ~40% of show --tree's CPU). */
  add(ev: EventView): void {
    if (ev.is(FORK)) {
      if (A.isThread(ev)) return;
      this.own(ev);
      const child = A.childProcess(ev);
      if (!this.nodes.has(child)) this.node(child, A.childPid(ev), A.childParent(ev), T.processName(ev));
    } else if (ev.is(EXEC)) {
      const n = this.own(ev);
      n.comm = T.processName(ev);
      n.execs.push(commandLine(A.argv(ev)));
    } else if (ev.is(EXEC_FAILED)) {
      const n = this.own(ev);
      // a PATH search fails once per directory: one line per command line, with the count
      const line = commandLine(A.arguments(ev));
      const f = n.failed.get(line);
      if (f) f.count++;
      else n.failed.set(line, { count: 1, error: failedExecReason(ev) });
    } else if (ev.is(EXIT)) {
      if (!A.groupExit(ev)) return;
      const n = this.own(ev);
      n.exit = endText(A.exitCode(ev), A.signal(ev), A.core(ev));
      n.tone = A.signal(ev) !== 0 ? "signal" : A.exitCode(ev) !== 0 ? "failure" : "plain";
    }
  }

  /** The tree as text; on a terminal (o) each line is cut to its width, but a process that failed
   * (a failed exec, a non-zero exit, a signal) goes on to up to 4 lines, and is red, one killed by a
   * signal bold red, as in the table. */
  render(o: TreeOptions = { width: null, color: false }): string {
    const out: string[] = [];
    for (const id of this.order) {
      const n = this.nodes.get(id)!;
      if (!this.nodes.has(n.parent) || n.parent === n.id) this.walk(out, o, id, "", true, true);
    }
    return out.length ? out.join("\n") + "\n" : "";
  }

  /** Process id's line, then its children's, into out. */
  private walk(out: string[], o: TreeOptions, id: number, prefix: string, last: boolean, root: boolean): void {
    const n = this.nodes.get(id)!;
    // most processes have no failed exec: no arrays made for them
    const failed =
      n.failed.size === 0
        ? NO_LINES
        : [...n.failed]
            .filter(([line]) => !n.execs.includes(line)) // attempts that a later exec of the same line made good
            .map(([line, f]) => `${line} [exec failed: ${f.error}${f.count > 1 ? ` ×${f.count}` : ""}]`);
    const all = failed.length === 0 ? n.execs : [...n.execs, ...failed];
    const what = all.length ? (all.length === 1 ? all[0]! : all.join(" ⟶ ")) : `(${escapeDisplay(n.comm)})`;
    const end = n.exit ? ` [${n.exit}]` : "";
    const branch = root ? "" : prefix + (last ? "└─ " : "├─ ");
    const head = `${n.pid} `;
    const tone = n.tone !== "plain" ? n.tone : failed.length ? "failure" : "plain";
    const kids = n.children;
    const next = root ? "" : prefix + (last ? "   " : "│  ");
    const room = o.width === null || tone === "plain" ? 0 : o.width - Bun.stringWidth(branch + head);
    if (o.width === null || tone === "plain" || room < MIN_WRAP) {
      let line = branch + head + what + end;
      if (o.width !== null) line = fit(line, o.width);
      if (o.color && tone !== "plain") line = branch + SGR[tone] + line.slice(branch.length) + SGR.reset;
      out.push(line);
    } else {
      // a failed process's line goes on under its text, not cut (its reason is at the end), with
      // the tree's bars left of it and this node's own bar down to its children
      const under = next + (kids.length ? "│" : " ") + " ".repeat(head.length - 1);
      const texts = wrapWords(what + end, room, 4);
      for (let k = 0; k < texts.length; k++) {
        const [left, text] = k === 0 ? [branch, head + texts[k]] : [under, texts[k]];
        out.push(o.color ? left + SGR[tone] + text + SGR.reset : left + text);
      }
    }
    for (let i = 0; i < kids.length; i++) this.walk(out, o, kids[i]!, next, i === kids.length - 1, false);
  }
}
dfgOnly(ProcessTree); // src/jit.ts: tracer show
