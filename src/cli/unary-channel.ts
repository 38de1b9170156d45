import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from "node:http2";
// The status codes alone: grpc-js's index loads all of grpc-js (~40 ms), which a unary call over HTTP/2 does not need.
import { Status } from "@grpc/grpc-js/build/src/constants.js";
import { MAX_MESSAGE_BYTES } from "../shared/manifest-limits.js";
import { serverIdentityCheck } from "../shared/tls/server-identity.js";
import { parseHostPort } from "../shared/host-port.js";

/** A unary method as the generated service definition describes it (`CubeService.list`, …). */
export interface UnaryMethod<Request, Response> {
  path: string;
  requestSerialize(request: Request): Buffer;
  responseDeserialize(bytes: Buffer): Response;
}

/** A call that failed, as grpc-js reports one (`code`, `details`), with the answer's metadata (headers and trailers). */
export class CallError extends Error {
  constructor(
    readonly code: Status,
    readonly details: string,
    readonly metadata: IncomingHttpHeaders = {},
  ) {
    super(`${code} ${Status[code]}: ${details}`);
  }
}

/** What the leader's answer said beside its message: its headers (grpc-js's initial metadata). */
export interface Answer<Response> {
  response: Response;
  headers: IncomingHttpHeaders;
}

/** grpc-js's reading of an HTTP status that is not 200 (a proxy's, or not a gRPC server). */
const HTTP_STATUS_CODES: Record<number, Status> = {
  400: Status.INTERNAL,
  401: Status.UNAUTHENTICATED,
  403: Status.PERMISSION_DENIED,
  404: Status.UNIMPLEMENTED,
  429: Status.UNAVAILABLE,
  502: Status.UNAVAILABLE,
  503: Status.UNAVAILABLE,
  504: Status.UNAVAILABLE,
};

/**
 * The CLI's unary calls to one leader, made over Node's own HTTP/2 and TLS: gRPC's unary protocol is one framed
 * message each way and a status in the trailers, and grpc-js's setup cost a command more than its whole call. Verifies
 * the leader as grpc-js did (the pinned CA, the leader's identity, the dialled address). Streams stay on grpc-js.
 */
export class UnaryChannel {
  private session?: ClientHttp2Session;
  private connecting?: Promise<ClientHttp2Session>;

  constructor(
    private readonly address: string,
    private readonly ca: string,
  ) {}

  /**
   * The connection, made once; rejects UNAVAILABLE when it fails (refused, refused by TLS) or is not made within
   * `timeoutMs`, and a failed one is made anew next time (a standby taking over is found at once).
   */
  connected(timeoutMs: number): Promise<ClientHttp2Session> {
    if (this.session && !this.session.closed && !this.session.destroyed) return Promise.resolve(this.session);
    this.connecting ??= new Promise<ClientHttp2Session>((resolve, reject) => {
      const { host } = parseHostPort(this.address, "address");
      // The server name is Node's choice (the host, unless an address): Cube's servers ignore it, and what is checked is
      // the identity the leader's certificate proves (and telling "cube" alone costs a first IPv6 parse, 10 ms).
      // Windows as large as an answer may be: a list of 10 000 pods (400 KB) comes in one go, not 64 KB per round trip.
      const session = connect(`https://${this.address}`, {
        ca: this.ca,
        checkServerIdentity: serverIdentityCheck({ role: "leader" }, host),
        settings: { initialWindowSize: MAX_MESSAGE_BYTES + 5 },
      });
      const fail = (why: string) => {
        clearTimeout(timer);
        session.destroy();
        reject(new CallError(Status.UNAVAILABLE, why));
      };
      const timer = setTimeout(() => fail(`cannot reach the leader at ${this.address} within ${timeoutMs / 1000} s`), timeoutMs);
      session.once("error", (error: Error) => fail(error.message));
      session.once("connect", () => {
        clearTimeout(timer);
        session.setLocalWindowSize(MAX_MESSAGE_BYTES + 5);
        // Later failures end the calls under way (each sees its stream fail); the next call connects anew.
        session.on("error", () => session.destroy());
        this.session = session;
        resolve(session);
      });
    }).finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** One call, its deadline `timeoutMs` from now (the connection's making included). */
  async call<Request, Response>(
    method: UnaryMethod<Request, Response>,
    request: Request,
    timeoutMs: number,
    metadata: Record<string, string>,
  ): Promise<Answer<Response>> {
    const deadline = Date.now() + timeoutMs;
    const session = await this.connected(timeoutMs);
    return new Promise((resolve, reject) => {
      const message = method.requestSerialize(request);
      const framed = Buffer.alloc(5 + message.length);
      framed.writeUInt32BE(message.length, 1);
      message.copy(framed, 5);
      const left = Math.max(1, deadline - Date.now());
      const stream = session.request({
        ":method": "POST",
        ":path": method.path,
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": `${left}m`,
        ...metadata,
      });
      let headers: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      let received = 0;
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const fail = (code: Status, details: string) => settle(() => reject(new CallError(code, details, { ...headers, ...trailers })));
      const timer = setTimeout(() => {
        stream.close(constants.NGHTTP2_CANCEL);
        fail(Status.DEADLINE_EXCEEDED, "Deadline exceeded");
      }, left);
      stream.on("response", (answered) => (headers = answered));
      stream.on("trailers", (answered) => (trailers = answered));
      stream.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_MESSAGE_BYTES + 5) {
          stream.close(constants.NGHTTP2_CANCEL);
          fail(Status.RESOURCE_EXHAUSTED, `Received message larger than max (${received} vs ${MAX_MESSAGE_BYTES})`);
        } else chunks.push(chunk);
      });
      // A connection lost, or the stream reset: the call may not have run (the client asks the next leader, if any).
      stream.on("error", (error: Error) => fail(Status.UNAVAILABLE, error.message));
      stream.on("close", () => {
        const httpStatus = Number(headers[":status"] ?? 0);
        if (httpStatus !== 200)
          return fail(
            HTTP_STATUS_CODES[httpStatus] ?? (httpStatus ? Status.UNKNOWN : Status.UNAVAILABLE),
            httpStatus ? `Received HTTP status code ${httpStatus}` : "Connection dropped",
          );
        // A status alone comes in the headers (trailers-only), else in the trailers.
        const code = Number(trailers["grpc-status"] ?? headers["grpc-status"] ?? Status.UNKNOWN) as Status;
        if (code !== Status.OK) return fail(code, decodedMessage(trailers["grpc-message"] ?? headers["grpc-message"]));
        const body = Buffer.concat(chunks);
        if (body.length < 5 || body[0] !== 0 || body.readUInt32BE(1) !== body.length - 5)
          return fail(Status.INTERNAL, "the leader's answer is not one uncompressed message");
        try {
          const response = method.responseDeserialize(body.subarray(5));
          settle(() => resolve({ response, headers }));
        } catch (error) {
          fail(Status.INTERNAL, `the leader's answer cannot be read: ${(error as Error).message}`);
        }
      });
      stream.end(framed);
    });
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }
}

/** grpc-message is percent-encoded. */
function decodedMessage(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(",") : (value ?? "");
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
