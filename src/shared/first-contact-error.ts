import type { status } from "@grpc/grpc-js";

/** The first contact with a leader failed: the message says why in one line (`code`: the leader's status, if it answered with one). */
export class FirstContactError extends Error {
  constructor(
    message: string,
    readonly code?: status,
  ) {
    super(message);
  }
}
