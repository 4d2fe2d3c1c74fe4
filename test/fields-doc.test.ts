// docs/fields.md's field reference is what scripts/gen-fields.ts makes from the schema (run it
// after changing a field): the schema is the only place a field is named.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { FIELDS_DOC, withFieldReference } from "../scripts/gen-fields";

test("docs/fields.md's field reference is generated from the schema and up to date", () => {
  const doc = readFileSync(FIELDS_DOC, "utf8");
  expect(doc).toBe(withFieldReference(doc));
});
