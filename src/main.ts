// Entry point: parse options, run, exit with the right status; errors become one line on stderr.
import { parseArgs } from "./cli";
import { fatal } from "./errors";
import { run } from "./run";
import { exactArgs } from "./startup";

run(parseArgsOrExit(process.argv.slice(2))).then(
  (code) => process.exit(code),
  (e) => fatal(e),
);

function parseArgsOrExit(argv: string[]) {
  try {
    return parseArgs(argv, exactArgs(argv));
  } catch (e) {
    fatal(e);
  }
}
