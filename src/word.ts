// A command-line word as the tracer got it: read by the CLI, opened by the sinks, named in
// messages and the attestation.

/** A command-line word: its text, or its exact bytes where they are not UTF-8. */
export type Word = string | Uint8Array;

/** Bytes of a word. */
export function wordBytes(w: Word): Uint8Array {
  return typeof w === "string" ? Buffer.from(w) : w;
}

/** A word for messages (bytes that are not UTF-8 shown as U+FFFD). */
export function wordText(w: Word): string {
  return typeof w === "string" ? w : Buffer.from(w).toString();
}
