// The kernel tests' JSON reader: integers beyond 2^53 exact, strings never touched.
import { expect, test } from "bun:test";
import { parseLine } from "./harness";

test("parseLine: long integers as bigint wherever they are values; look-alikes inside strings stay text", () => {
  const ts = "1796629700279115263"; // jq 1.6 and JSON.parse round it to ...300
  const tricky = ['k":12345678901234567890,', '"x":18446744073709551615}', "a\\", ':"9999999999999999"'];
  const line = JSON.stringify({
    timestamp: 0,
    processId: 42,
    args: [
      { name: "argv", type: "const char**", value: tricky },
      { name: "ctime", type: "unsigned long", value: 1 },
    ],
  })
    .replace('"timestamp":0', `"timestamp":${ts}`)
    .replace('"value":1}', '"value":-9223372036854775807}');
  const e = parseLine(line);
  expect(e.timestamp).toBe(BigInt(ts));
  expect(e.processId).toBe(42);
  expect(e.args[0].value).toEqual(tricky);
  expect(e.args[1].value).toBe(-(2n ** 63n) + 1n);
});
