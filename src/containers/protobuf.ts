// The few protobuf wire-format pieces containerd's messages need: strings and sub-messages out,
// fields (varint / length-delimited, others skipped) and string maps in. No schema compiler.

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** A message of string fields, in the order given: [[fieldNumber, value], ...]. Empty strings are
 * left out, as proto3 does. */
export function encodeStrings(fields: readonly (readonly [number, string])[]): Uint8Array {
  const parts: number[] = [];
  for (const [field, value] of fields) {
    if (value === "") continue;
    const bytes = utf8.encode(value);
    pushVarint(parts, (field << 3) | 2);
    pushVarint(parts, bytes.length);
    for (const b of bytes) parts.push(b);
  }
  return Uint8Array.from(parts);
}

function pushVarint(out: number[], v: number): void {
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** One field of a message: a varint as a number (exact to 2^53), or the bytes of a
 * length-delimited value (a view into the message, not a copy). */
export type Field =
  | { field: number; varint: number; bytes?: undefined }
  | { field: number; bytes: Uint8Array; varint?: undefined };

export class ProtobufError extends Error {
  override name = "ProtobufError";
}

/** The fields of a message in wire order; fixed32/fixed64 fields are skipped. */
export function* fields(msg: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): number => {
    let v = 0;
    for (let mul = 1; ; mul *= 128) {
      if (at >= msg.length) throw new ProtobufError("protobuf: message ends inside a varint");
      const b = msg[at++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      if (mul > 2 ** 63) throw new ProtobufError("protobuf: varint longer than 10 bytes");
    }
  };
  while (at < msg.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        yield { field, varint: varint() };
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const len = varint();
        if (at + len > msg.length) throw new ProtobufError(`protobuf: field ${field} runs past the end of the message`);
        yield { field, bytes: msg.subarray(at, at + len) };
        at += len;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        throw new ProtobufError(`protobuf: field ${field} has unsupported wire type ${key & 7}`);
    }
    if (at > msg.length) throw new ProtobufError("protobuf: message ends inside a fixed-size field");
  }
}

/** A length-delimited field as UTF-8 text. */
export function str(f: Field): string {
  return f.bytes ? text.decode(f.bytes) : "";
}

/** The first length-delimited field numbered `field`, or undefined. */
export function sub(msg: Uint8Array, field: number): Uint8Array | undefined {
  for (const f of fields(msg)) if (f.field === field && f.bytes) return f.bytes;
  return undefined;
}

/** The string fields of a message by number (the last occurrence wins, as in proto3). */
export function strings(msg: Uint8Array): Map<number, string> {
  const out = new Map<number, string>();
  for (const f of fields(msg)) if (f.bytes) out.set(f.field, str(f));
  return out;
}

/** A map<string,string> entry (key = 1, value = 2) added to `into`. */
export function mapEntry(entry: Uint8Array, into: Record<string, string>): void {
  const kv = strings(entry);
  into[kv.get(1) ?? ""] = kv.get(2) ?? "";
}
