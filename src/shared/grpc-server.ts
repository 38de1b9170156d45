import * as grpc from "@grpc/grpc-js";
import { formatHostPort, type HostPort } from "./host-port.js";
import { authorizeCalls, type AuthorizationOptions } from "./tls/authorize-calls.js";
import type { CallMetrics } from "./metrics.js";
import { MAX_MESSAGE_BYTES } from "./manifest-limits.js";

/**
 * A gRPC server whose every call is checked against its method's rule (see authorize-calls). Not yet listening: see
 * `listen`. It pings its peers every 10 s and drops a connection that has not answered in 5 s: a peer cut off the
 * network sends no FIN, and its streams would otherwise linger until TCP gives up, minutes later.
 */
export function createAuthorizingServer(options: AuthorizationOptions, metrics?: CallMetrics): grpc.Server {
  return new grpc.Server({
    // The authorization is given the call nearest the wire (it reaches the HTTP/2 stream and the decoder through it):
    // the calls it refuses are counted by its callback, those it admits by the metrics' interceptor.
    interceptors: [authorizeCalls({ ...options, refused: metrics?.refused }), ...(metrics ? [metrics.interceptor] : [])],
    "grpc.keepalive_time_ms": 10_000,
    "grpc.keepalive_timeout_ms": 5_000,
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    // Per connection: streams at once (a CLI's or a node's need a few; the leader's to a node, one per exec or logs),
    // and the time a connection with no stream stays open.
    "grpc.max_concurrent_streams": 256,
    "grpc.max_connection_idle_ms": 5 * 60_000,
  });
}

/** Binds and starts `server` with TLS credentials; resolves with the port actually bound (port 0 picks a free one). */
export function listen(server: grpc.Server, address: HostPort, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(formatHostPort(address), credentials, (error, port) => {
      if (error) reject(new Error(`cannot listen on ${formatHostPort(address)}: ${error.message}`));
      else resolve(port);
    });
  });
}

/** An error for a handler to return or emit, with the gRPC status the client will see. */
export function statusError(code: grpc.status, details: string): grpc.ServerErrorResponse {
  return Object.assign(new Error(details), { code, details });
}

/** How long a stopping server lets the calls under way go on before it cuts them: a stop is over within a second. */
const STOP_GRACE_MS = 300;

/**
 * Stops accepting calls; ends the ones in flight after `graceMs`. Done once forced, too: a connection to a peer that
 * is cut off cannot close gracefully, and grpc-js then never calls tryShutdown's callback.
 */
export function shutdown(server: grpc.Server, graceMs = STOP_GRACE_MS): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
