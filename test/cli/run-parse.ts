// Test helper: parse argv as main.ts would, print the Config as JSON, or fail through fatal().

import { parseArgs } from "../../src/session/cli.ts";
import { fatal } from "../../src/errors.ts";

try {
  process.stdout.write(JSON.stringify(parseArgs(process.argv.slice(2))) + "\n");
} catch (err) {
  fatal(err);
}
