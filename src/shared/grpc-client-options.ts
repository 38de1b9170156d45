import type { ClientOptions } from "@grpc/grpc-js";
import { presentPassword } from "./tls/authorize-calls.js";
import type { DeviceCookieStore } from "./tls/call-credentials.js";
import { MAX_MESSAGE_BYTES } from "./manifest-limits.js";
import { SERVER_NAME } from "./tls/server-identity.js";

/**
 * Options of every client Cube makes: a reconnect backoff capped at 5 s (grpc-js defaults to 120 s, which would keep
 * a node from noticing for minutes that its leader is back), keepalive pings, bounded messages, and the admin
 * password (with the device cookie in `devices`) on each call when one is given (the CLI; nodes and the leader prove
 * who they are with certificates).
 */
export function grpcClientOptions(password?: string, devices?: DeviceCookieStore): Partial<ClientOptions> {
  return {
    ...(password === undefined ? {} : { interceptors: [presentPassword(password, devices)] }),
    "grpc.initial_reconnect_backoff_ms": 250,
    "grpc.max_reconnect_backoff_ms": 5000,
    "grpc.keepalive_time_ms": 10_000,
    "grpc.keepalive_timeout_ms": 5_000,
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.ssl_target_name_override": SERVER_NAME,
  };
}
