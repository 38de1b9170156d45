import * as grpc from "@grpc/grpc-js";
import { statusError } from "../shared/grpc-server.js";
import type { Logger } from "../shared/logger.js";
import { STANDING_BY } from "../shared/unavailable-reason.js";
import { FencedOut } from "./election/postgres-lease.js";
import { Refusal, type RefusalKind } from "./refusals.js";

/** Each kind of refusal's one status code. */
const REFUSAL_CODES: Record<RefusalKind, grpc.status> = {
  NotFound: grpc.status.NOT_FOUND,
  Conflict: grpc.status.FAILED_PRECONDITION,
  Invalid: grpc.status.INVALID_ARGUMENT,
  AlreadyExists: grpc.status.ALREADY_EXISTS,
};

/** The status of a refusal, with its message; undefined for anything else. */
export function refusalStatus(error: unknown): grpc.ServerErrorResponse | undefined {
  return error instanceof Refusal ? statusError(REFUSAL_CODES[error.kind], error.message) : undefined;
}

/** Turns a handler's failure into the status the CLI shows: a refusal keeps its message, anything else is INTERNAL. */
export function toStatus(error: unknown, log: Logger): grpc.ServerErrorResponse {
  const refused = refusalStatus(error);
  if (refused) return refused;
  // A write of a leader whose term ended: the client tries another leader.
  if (error instanceof FencedOut) return statusError(grpc.status.UNAVAILABLE, `${STANDING_BY}: ${error.message}`);
  if (typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "number") return error as grpc.ServerErrorResponse;
  log.error(`request failed: ${(error as Error).stack ?? String(error)}`);
  return statusError(grpc.status.INTERNAL, `the leader failed: ${(error as Error).message}`);
}

/** Adapts an async handler body to grpc-js's callback. */
export function unary<Request, Response>(log: Logger, body: (request: Request) => Promise<Response>): grpc.handleUnaryCall<Request, Response> {
  return (call, callback) => {
    body(call.request).then(
      (response) => callback(null, response),
      (error) => callback(toStatus(error, log)),
    );
  };
}
