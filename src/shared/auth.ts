import { createHash, timingSafeEqual } from "node:crypto";
import * as grpc from "@grpc/grpc-js";

const AUTHORIZATION = "authorization";

/** Constant-time comparison: both sides are hashed first so neither content nor length leaks through timing. */
export function secretMatches(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

function presentedSecret(metadata: grpc.Metadata): string | undefined {
  const [value] = metadata.get(AUTHORIZATION);
  if (typeof value !== "string" || !value.startsWith("Bearer ")) return undefined;
  return value.slice("Bearer ".length);
}

/** Refuses every call, of every service, whose bearer secret is not the cluster token. */
export function requireToken(token: string): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, forward) => {
            const secret = presentedSecret(metadata);
            if (secret !== undefined && secretMatches(secret, token)) {
              forward(metadata);
              return;
            }
            call.sendStatus({
              code: grpc.status.UNAUTHENTICATED,
              details: secret === undefined ? "missing cluster token" : "wrong cluster token",
              metadata: new grpc.Metadata(),
            });
          },
        }),
    });
}

/** Adds the bearer secret to every call of a client. */
export function presentToken(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        metadata.set(AUTHORIZATION, `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}
