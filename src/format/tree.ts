// --tree: collects fork/exec/exit events into the process tree of what was traced and renders it
// (parent → children, each process with the command lines it exec'd and how it ended).
import type { TraceEvent } from "../event";
import { shellQuote } from "./table";

interface Node {
  id: number; // processEntityId
  pid: number;
  parent: number; // parent's processEntityId
  comm: string;
  execs: string[];
  failed: Map<string, { count: number; error: string }>; // failed exec attempts by command line
  exit: string;
  children: number[];
}

/** One argv as a shell-like line, quoted and escaped as the table does it. */
export function commandLine(argv: string[]): string {
  return argv.map(shellQuote).join(" ");
}

export class ProcessTree {
  private nodes = new Map<number, Node>();
  private order: number[] = [];

  private node(id: number, pid: number, parent: number, comm: string): Node {
    let n = this.nodes.get(id);
    if (!n) {
      n = { id, pid, parent, comm, execs: [], failed: new Map(), exit: "", children: [] };
      this.nodes.set(id, n);
      this.order.push(id);
      this.nodes.get(parent)?.children.push(id);
    }
    return n;
  }

  add(e: TraceEvent): void {
    const a = (name: string) => e.args.find((x) => x.name === name)?.value;
    switch (e.eventName) {
      case "sched_process_fork": {
        if (a("is_thread")) return;
        this.node(e.processEntityId, e.hostProcessId, e.parentEntityId, e.processName);
        this.node(a("child_process_entity_id") as number, a("child_pid") as number, a("child_parent_entity_id") as number, e.processName);
        return;
      }
      case "sched_process_exec": {
        const n = this.node(e.processEntityId, e.hostProcessId, e.parentEntityId, e.processName);
        n.comm = e.processName;
        n.execs.push(commandLine(a("argv") as string[]));
        return;
      }
      case "process_execute_failed": {
        const n = this.node(e.processEntityId, e.hostProcessId, e.parentEntityId, e.processName);
        // a PATH search fails once per directory: one line per command line, with the count
        const line = commandLine(a("arguments") as string[]);
        const f = n.failed.get(line);
        if (f) f.count++;
        else n.failed.set(line, { count: 1, error: a("error") as string });
        return;
      }
      case "sched_process_exit": {
        if (!a("process_group_exit")) return;
        const n = this.node(e.processEntityId, e.hostProcessId, e.parentEntityId, e.processName);
        const sig = a("signal_code") as number;
        n.exit = sig ? `killed by signal ${sig}${a("core_dumped") ? ", core dumped" : ""}` : `exit ${a("exit_code")}`;
        return;
      }
    }
  }

  render(): string {
    const out: string[] = [];
    const walk = (id: number, prefix: string, last: boolean, root: boolean) => {
      const n = this.nodes.get(id)!;
      const failed = [...n.failed]
        .filter(([line]) => !n.execs.includes(line)) // attempts that a later exec of the same line made good
        .map(([line, f]) => `${line} [exec failed: ${f.error}${f.count > 1 ? ` ×${f.count}` : ""}]`);
      const all = [...n.execs, ...failed];
      const what = all.length ? all.join(" ⟶ ") : `(${n.comm})`;
      const end = n.exit ? ` [${n.exit}]` : "";
      out.push((root ? "" : prefix + (last ? "└─ " : "├─ ")) + `${n.pid} ${what}${end}`);
      const kids = n.children;
      const next = root ? "" : prefix + (last ? "   " : "│  ");
      kids.forEach((k, i) => walk(k, next, i === kids.length - 1, false));
    };
    for (const id of this.order) {
      const n = this.nodes.get(id)!;
      if (!this.nodes.has(n.parent) || n.parent === n.id) walk(id, "", true, true);
    }
    return out.length ? out.join("\n") + "\n" : "";
  }
}
