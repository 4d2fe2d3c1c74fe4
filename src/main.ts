// Entry point: parse options, run (or show a saved trace), exit with the right status; errors
// become one line on stderr.
// passed-fds first: it notes the descriptors the tracer was given before anything opens one.
import "./sink/passed-fds";
import "./session/glibc-check"; // below the glibc floor, one line before anything else runs
import { parseArgs, parseShowArgs } from "./session/cli";
import { fatal } from "./errors";
import { exactArgs } from "./session/startup";

const argv = process.argv.slice(2);
main().then(
  (code) => process.exit(code),
  (e) => fatal(e),
);

// Each command loads only its own modules: a trace never loads `show`'s readers (the NATS client
// with them: ~10 ms of CPU at start-up, measured 2026-12-07), nor `show` the loader.
async function main(): Promise<number> {
  if (argv[0] === "show") {
    const cfg = parseOrExit(() => parseShowArgs(argv.slice(1)));
    return (await import("./session/show")).show(cfg);
  }
  const cfg = parseOrExit(() => parseArgs(argv, exactArgs(argv)));
  return (await import("./session/run")).run(cfg);
}

function parseOrExit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    fatal(e);
  }
}
