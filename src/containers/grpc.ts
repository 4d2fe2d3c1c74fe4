// A minimal gRPC client over HTTP/2 on a unix socket (node:http2): unary and server-streaming
// calls with length-prefixed messages, status from the trailers (or a trailers-only answer).
import type http2 from "node:http2";
import type { ClientHttp2Session } from "node:http2";

// node:http2 and node:net are loaded at the first call, not with this module: every run imports
// it (the container stage), most never meet a container runtime, and loading them cost ~3 ms of
// CPU before `ready` (2026-12-07).
const http2Module = () => process.getBuiltinModule("node:http2");

/** A call that the server answered with a non-OK status (code as in grpc/status.h). */
export class GrpcError extends Error {
  override name = "GrpcError";
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
export const GRPC_NOT_FOUND = 5;

export class GrpcUnixClient {
  private session: ClientHttp2Session | null = null;
  private sessionError: Error | null = null;

  constructor(readonly socket: string) {}

  /** One request, one answer. */
  async unary(
    path: string,
    request: Uint8Array,
    metadata: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Uint8Array> {
    const answers: Uint8Array[] = [];
    await this.call(path, request, metadata, signal, (m) => answers.push(m));
    if (answers.length !== 1) throw new GrpcError(12, `${path}: ${answers.length} answers to a unary call`);
    return answers[0]!;
  }

  /** A call whose answers go to onMessage as they arrive; resolves when the server ends it. */
  call(
    path: string,
    request: Uint8Array,
    metadata: Record<string, string>,
    signal: AbortSignal,
    onMessage: (m: Uint8Array) => void,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      let session: ClientHttp2Session;
      try {
        session = this.connect();
      } catch (e) {
        return reject(e);
      }
      const req = session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
        ...metadata,
      });
      let status: string | undefined;
      let message = "";
      const takeStatus = (h: http2.IncomingHttpHeaders) => {
        if (h["grpc-status"] !== undefined) {
          status = String(h["grpc-status"]);
          message = decodeURIComponent(String(h["grpc-message"] ?? ""));
        }
      };
      let pending: Uint8Array = new Uint8Array(0);
      let failed: unknown = null;
      const onAbort = () => req.close(http2Module().constants.NGHTTP2_CANCEL);
      signal.addEventListener("abort", onAbort, { once: true });
      req.on("response", takeStatus);
      req.on("trailers", takeStatus);
      req.on("data", (chunk: Buffer) => {
        pending = pending.length === 0 ? new Uint8Array(chunk) : concat(pending, chunk);
        while (pending.length >= 5) {
          const len = new DataView(pending.buffer, pending.byteOffset, 5).getUint32(1);
          if (pending.length < 5 + len) break;
          if (pending[0] !== 0) {
            failed ??= new GrpcError(12, `${path}: compressed answer (we asked for none)`);
          } else {
            try {
              onMessage(pending.slice(5, 5 + len));
            } catch (e) {
              failed ??= e;
            }
          }
          pending = pending.subarray(5 + len);
        }
      });
      req.on("error", (e) => (failed ??= e));
      req.on("close", () => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) return reject(signal.reason);
        if (failed) return reject(failed);
        if (status === undefined)
          return reject(this.sessionError ?? new Error(`${path}: the stream ended without a gRPC status`));
        if (status !== "0") return reject(new GrpcError(Number(status), message || `gRPC status ${status}`));
        resolve();
      });
      req.end(frame(request));
    });
  }

  close(): void {
    this.session?.close();
    this.session = null;
  }

  private connect(): ClientHttp2Session {
    const live = this.session;
    if (live && !live.closed && !live.destroyed) return live;
    this.sessionError = null;
    const net = process.getBuiltinModule("node:net");
    const s = http2Module().connect("http://localhost", { createConnection: () => net.connect(this.socket) });
    s.on("error", (e) => (this.sessionError = e));
    s.on("close", () => {
      if (this.session === s) this.session = null;
    });
    this.session = s;
    return s;
  }
}

function frame(msg: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + msg.length);
  new DataView(out.buffer).setUint32(1, msg.length);
  out.set(msg, 5);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
