// The CI outputs of one -- COMMAND run, as run.ts sees them: open (files checked before COMMAND
// starts), add (every delivered event), begin (COMMAND released), finish (write; exit status).
import { closeSync, constants, openSync, writeSync } from "node:fs";
import type { Config } from "../session/config";
import { ciWanted, EVENT_NAMES } from "../session/config";
import { VERSION } from "../session/cli";
import type { RecordEvent } from "../decode/event";
import { ProcessTree } from "../format/tree";
import { Writer } from "../sink/writer";
import { wordText } from "../session/startup";
import { wrap } from "../errors";
import { TraceLog } from "./collect";
import { subjectsOf, writeStatement } from "./attest";
import { buildProfile, compareProfiles, diffLines, profileText, readProfile, type Program } from "./profile";
import { summaryMarkdown } from "./summary";

/** What run.ts knows at the end about events the log did not get. */
export interface RunEnd {
  malformed: number;
  excluded: number;
  /** The loop stopped reading before COMMAND ended (the output failed or went away). */
  unread: boolean;
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/** The step summary file: appended to (the CI system owns it and other steps write to it too). */
function openAppend(path: string): number {
  try {
    return openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    throw wrap(`open GITHUB_STEP_SUMMARY ${path}`, e);
  }
}

export class CiSession {
  private readonly tree = new ProcessTree();
  private started = 0n;

  private constructor(
    /** The run's per-process record, which the caller fills (run.ts: it serves more than CI). */
    readonly log: TraceLog,
    private readonly cfg: Config,
    private readonly env: Record<string, string | undefined>,
    private readonly attestOut: Writer | null,
    private readonly profileOut: Writer | null,
    private readonly baseline: Program[] | null,
    private readonly summaryFd: number | null,
  ) {}

  /** Null when nothing CI is asked for; throws (one line) for a file that cannot be used. */
  static open(cfg: Config, log: TraceLog | null, env: Record<string, string | undefined> = process.env): CiSession | null {
    const summary = env.GITHUB_STEP_SUMMARY;
    if (cfg.command.length === 0 || log === null || (!ciWanted(cfg.ci) && !summary)) return null;
    const { attest, profile, baseline, baselineIgnore } = cfg.ci;
    const base = baseline !== null ? buildProfile(readProfile(baseline), baselineIgnore) : null;
    const attestOut = attest !== null ? Writer.open(attest) : null;
    const profileOut = profile !== null ? Writer.open(profile) : null;
    return new CiSession(log, cfg, env, attestOut, profileOut, base, summary ? openAppend(summary) : null);
  }

  add(ev: RecordEvent): void {
    this.tree.add(ev);
  }

  /** COMMAND starts now. */
  begin(): void {
    this.started = nowNs();
  }

  /** Write every output; the tracer's exit status given COMMAND's. */
  finish(status: number, end: RunEnd): number {
    const finished = nowNs();
    const { cfg, log } = this;
    const lines: string[] = [];
    let exit = status;
    const fail = (code: number, line: string) => {
      lines.push(line);
      if (exit === 0) exit = code;
    };
    const programs = buildProfile(log.programs(), cfg.ci.baselineIgnore);
    const complete = log.lost === 0 && end.malformed === 0 && !end.unread && end.excluded === 0 && cfg.events.length === EVENT_NAMES.length;
    let diff = null;
    if (this.baseline) {
      const result = compareProfiles(this.baseline, programs);
      diff = { baseline: cfg.ci.baseline!, result };
      const said = diffLines(cfg.ci.baseline!, result);
      for (const line of said.added) {
        if (cfg.ci.failOnNew !== null) fail(cfg.ci.failOnNew, line);
        else lines.push(line);
      }
      lines.push(...said.gone);
    }
    if (this.profileOut) {
      this.profileOut.write(profileText(programs));
      this.profileOut.close();
    }
    if (this.attestOut) {
      try {
        const subjects = subjectsOf(cfg.ci.subjects);
        writeStatement(this.attestOut, log, subjects, {
          version: VERSION, cfg, status, startedOn: this.started || finished, finishedOn: finished,
          complete, lost: log.lost, malformed: end.malformed, unread: end.unread, excluded: end.excluded, env: this.env,
        });
      } catch (e) {
        fail(1, `tracer: ${(e as Error).message}; ${wordText(cfg.ci.attest!)} not written`);
      }
      this.attestOut.close();
    }
    if (this.summaryFd !== null) {
      const md = summaryMarkdown(log, {
        command: cfg.command.map(wordText), status, durationNs: finished - (this.started || finished), complete, diff, tree: this.tree.render(),
      });
      try {
        writeSync(this.summaryFd, md);
      } catch (e) {
        fail(1, `tracer: ${wrap("write GITHUB_STEP_SUMMARY", e).message}`);
      }
      closeSync(this.summaryFd);
    }
    for (const w of [this.attestOut, this.profileOut]) if (w?.failure) fail(1, `tracer: ${w.failure.message}`);
    if (lines.length) process.stderr.write(lines.join("\n") + "\n");
    return exit;
  }
}
