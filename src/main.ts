// Entry point: parse options, run (or show a saved trace), exit with the right status; errors
// become one line on stderr.
// passed-fds first: it notes the descriptors the tracer was given before anything opens one.
import "./sink/passed-fds";
import "./session/glibc-check"; // below the glibc floor, one line before anything else runs
import { parseArgs, parseShowArgs } from "./session/cli";
import { fatal } from "./errors";
import { run } from "./session/run";
import { show } from "./session/show";
import { exactArgs } from "./session/startup";

const argv = process.argv.slice(2);
main().then(
  (code) => process.exit(code),
  (e) => fatal(e),
);

async function main(): Promise<number> {
  if (argv[0] === "show") return show(parseOrExit(() => parseShowArgs(argv.slice(1))));
  return run(parseOrExit(() => parseArgs(argv, exactArgs(argv))));
}

function parseOrExit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    fatal(e);
  }
}
