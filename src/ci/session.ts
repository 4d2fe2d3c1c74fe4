// The CI outputs of one -- COMMAND run, as run.ts sees them: open (files checked before COMMAND
// starts), add (every delivered event), begin (COMMAND released), finish (write; exit status).
import { closeSync, constants, openSync, writeSync } from "node:fs";
import type { RecordEvent } from "../decode/event";
import { ProcessTree } from "../format/tree";
import { RunSummary } from "../format/summary";
import { Writer } from "../sink/writer";
import { type Word, wordText } from "../word";
import { forOption, wrap } from "../errors";
import type { TraceLog } from "./collect";
import { subjectsOf, writeStatement, type TracePolicy } from "./attest";
import { buildProfile, compareProfiles, diffLines, profileText, readProfile, type Program } from "./profile";
import { summaryMarkdown } from "./summary";

/** --attest, --subject, --profile, --baseline, --fail-on-new, --baseline-ignore. */
export interface CiConfig {
  /** Write an in-toto Statement (runtime-trace predicate) to this file after COMMAND. */
  attest: Word | null;
  /** Files (globs) named as the Statement's subjects. */
  subjects: string[];
  /** Write the programs executed ({path, sha256}) to this file. */
  profile: Word | null;
  /** Compare the programs executed with this profile. */
  baseline: string | null;
  /** Exit with this status when COMMAND succeeded but a program new to the baseline ran. */
  failOnNew: number | null;
  /** Program paths matching these globs are recorded as the glob, without a hash. */
  baselineIgnore: string[];
}

export const ciWanted = (ci: CiConfig) => ci.attest !== null || ci.profile !== null || ci.baseline !== null;

/** What CI outputs need of the run (session/config.ts's ciRun makes it from the Config). */
export interface CiRun {
  ci: CiConfig;
  command: readonly Word[];
  version: string;
  /** Every traced event was selected (fewer make the record incomplete). */
  allEvents: boolean;
  policy: TracePolicy;
}

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
  /** The counts and failures, as the summary line defines them. */
  private readonly summary = new RunSummary({ failures: true });
  private started = 0n;

  private constructor(
    /** The run's per-process record, which the caller fills (run.ts: it serves more than CI). */
    readonly log: TraceLog,
    private readonly cfg: CiRun,
    private readonly env: Record<string, string | undefined>,
    private readonly attestOut: Writer | null,
    private readonly profileOut: Writer | null,
    private readonly baseline: Program[] | null,
    private readonly summaryFd: number | null,
  ) {}

  /** Null when nothing CI is asked for; throws (one line) for a file that cannot be used. */
  static open(
    cfg: CiRun,
    log: TraceLog | null,
    env: Record<string, string | undefined> = process.env,
  ): CiSession | null {
    const summary = env.GITHUB_STEP_SUMMARY;
    if (cfg.command.length === 0 || log === null || (!ciWanted(cfg.ci) && !summary)) return null;
    const { attest, profile, baseline, baselineIgnore } = cfg.ci;
    const base = baseline !== null ? buildProfile(readProfile(baseline), baselineIgnore) : null;
    const attestOut = attest !== null ? forOption("--attest", () => Writer.open(attest)) : null;
    const profileOut = profile !== null ? forOption("--profile", () => Writer.open(profile)) : null;
    return new CiSession(log, cfg, env, attestOut, profileOut, base, summary ? openAppend(summary) : null);
  }

  add(ev: RecordEvent): void {
    this.tree.add(ev);
    this.summary.add(ev);
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
    const complete = log.lost === 0 && end.malformed === 0 && !end.unread && end.excluded === 0 && cfg.allEvents;
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
          version: cfg.version,
          policy: cfg.policy,
          command: cfg.command,
          status,
          startedOn: this.started || finished,
          finishedOn: finished,
          complete,
          lost: log.lost,
          malformed: end.malformed,
          unread: end.unread,
          excluded: end.excluded,
          env: this.env,
        });
      } catch (e) {
        fail(1, `tracer: ${(e as Error).message}; ${wordText(cfg.ci.attest!)} not written`);
      }
      this.attestOut.close();
    }
    if (this.summaryFd !== null) {
      const md = summaryMarkdown(log, this.summary, {
        command: cfg.command.map(wordText),
        status,
        durationNs: finished - (this.started || finished),
        complete,
        diff,
        tree: this.tree.render(),
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
