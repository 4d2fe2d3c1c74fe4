// The protobuf wire pieces against the encoding guide's own examples (protobuf.dev,
// "Encoding": 150 in field 1 is 08 96 01, "testing" in field 2 is 12 07 74 65 73 74 69 6e 67),
// and broken messages rejected with one clear error.
import { describe, expect, test } from "bun:test";
import { encodeStrings, fields, mapEntry, ProtobufError, str, strings } from "../../src/containers/protobuf";

const hex = (s: string) => Uint8Array.from(s.split(" ").map((b) => parseInt(b, 16)));

describe("protobuf", () => {
  test("the encoding guide's examples", () => {
    expect(encodeStrings([[2, "testing"]])).toEqual(hex("12 07 74 65 73 74 69 6e 67"));
    expect([...fields(hex("08 96 01"))]).toEqual([{ field: 1, varint: 150 }]);
    expect(strings(hex("12 07 74 65 73 74 69 6e 67")).get(2)).toBe("testing");
  });

  test("a 300-byte string: two-byte length; fixed32/64 fields skipped", () => {
    const long = "x".repeat(300);
    const msg = encodeStrings([[1, long]]);
    expect([...msg.subarray(0, 3)]).toEqual([0x0a, 0xac, 0x02]);
    const withFixed = new Uint8Array([0x0d, 1, 2, 3, 4, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, ...msg]);
    const got = [...fields(withFixed)];
    expect(got.length).toBe(1);
    expect(str(got[0]!)).toBe(long);
  });

  test("map<string,string> entries", () => {
    const labels: Record<string, string> = {};
    mapEntry(
      encodeStrings([
        [1, "io.kubernetes.pod.name"],
        [2, "web-0"],
      ]),
      labels,
    );
    mapEntry(encodeStrings([[1, "empty"]]), labels);
    expect(labels).toEqual({ "io.kubernetes.pod.name": "web-0", empty: "" });
  });

  test("broken messages: one named error", () => {
    expect(() => [...fields(hex("12 07 74 65"))]).toThrow(
      new ProtobufError("protobuf: field 2 runs past the end of the message"),
    );
    expect(() => [...fields(hex("08 96"))]).toThrow(new ProtobufError("protobuf: message ends inside a varint"));
    expect(() => [...fields(hex("0b"))]).toThrow(new ProtobufError("protobuf: field 1 has unsupported wire type 3"));
    expect(() => [...fields(hex("0d 01 02"))]).toThrow(
      new ProtobufError("protobuf: message ends inside a fixed-size field"),
    );
  });
});
