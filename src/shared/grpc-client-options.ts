import type { ClientOptions } from "@grpc/grpc-js";
import { presentToken } from "./auth.js";

/**
 * Options of every client Cube makes: the token on each call, and a reconnect backoff capped at 5 s (grpc-js
 * defaults to 120 s, which would keep a node from noticing for minutes that its leader is back).
 */
export function grpcClientOptions(token: string): Partial<ClientOptions> {
  return {
    interceptors: [presentToken(token)],
    "grpc.initial_reconnect_backoff_ms": 250,
    "grpc.max_reconnect_backoff_ms": 5000,
    "grpc.keepalive_time_ms": 10_000,
    "grpc.keepalive_timeout_ms": 5_000,
  };
}
