// README's field reference is what scripts/gen-fields.ts makes from the schema (run it after
// changing a field): the schema is the only place a field is named.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { README, withFieldReference } from "../scripts/gen-fields";

test("README's field reference is generated from the schema and up to date", () => {
  const readme = readFileSync(README, "utf8");
  expect(readme).toBe(withFieldReference(readme));
});
