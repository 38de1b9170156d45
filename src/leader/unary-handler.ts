import * as grpc from "@grpc/grpc-js";
import { statusError } from "../shared/grpc-server.js";
import type { Logger } from "../shared/logger.js";
import { UserMistake } from "./deployment-controller.js";
import { PodBeingDeleted } from "./leader-store.js";

/** Turns a handler's failure into the status the CLI shows: a user's mistake keeps its message, anything else is INTERNAL. */
export function toStatus(error: unknown, log: Logger): grpc.ServerErrorResponse {
  if (error instanceof PodBeingDeleted || error instanceof UserMistake) return statusError(grpc.status.FAILED_PRECONDITION, error.message);
  if (typeof error === "object" && error !== null && "code" in error) return error as grpc.ServerErrorResponse;
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
