// Entity ids are Tracee's HashTaskID (Murmur3 x86 32-bit over tid and start, big-endian, the start
// rounded down to 100 ms): the check values of shared/tracee-json.md, and a textbook Murmur3.
import { expect, test } from "bun:test";
import { hashTaskId, murmur32 } from "../../src/decode/entity";

const halves = (t: bigint): [number, number] => [Number(t >> 32n), Number(t & 0xffffffffn)];

test("Murmur32 and HashTaskID give Tracee's check values", () => {
  expect(murmur32(new TextEncoder().encode("abc"), 3, 0x18273645)).toBe(2750094133);
  expect(hashTaskId(1, 0, 0)).toBe(2241331610);
  expect(hashTaskId(12345, ...halves(1795421535591606288n))).toBe(3128866282);
});

test("the start time counts only to 100 ms: the same id within a window, another across it", () => {
  const t = 1795421535500000000n;
  expect(hashTaskId(7, ...halves(t))).toBe(hashTaskId(7, ...halves(t + 99_999_999n)));
  expect(hashTaskId(7, ...halves(t))).not.toBe(hashTaskId(7, ...halves(t + 100_000_000n)));
  // a window that spans a carry between the two 32-bit halves
  const carry = (1n << 32n) * 418_000_000n + 50n;
  expect(hashTaskId(7, ...halves(carry))).toBe(hashTaskId(7, ...halves(carry - (carry % 100_000_000n))));
});
