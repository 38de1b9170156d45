import type { status } from "@grpc/grpc-js";

/**
 * The first contact with a leader failed: the message says why in one line (`code`: a gRPC status; `answered`: the
 * server itself ended the call with it, rather than the connection failing).
 */
export class FirstContactError extends Error {
  constructor(
    message: string,
    readonly code?: status,
    readonly answered = false,
  ) {
    super(message);
  }
}
