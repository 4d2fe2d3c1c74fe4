// Child of daemons.test.ts: up() with a podman that cannot start (a stand-in first in PATH).
import { up } from "./daemons";

try {
  await up();
  console.log("up");
} catch (e) {
  console.log(`threw: ${(e as Error).message.split("\n")[0]}`);
}
process.exit(0); // daemons it left running would otherwise keep this process alive
