import { createHash, timingSafeEqual } from "node:crypto";
import * as http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import type { PeerCertificate } from "node:tls";
import { hasIdentity, nodeNameIn, publicKeyDigest } from "./certificate-facts.js";
import { DEVICE_METADATA, deviceKey, deviceOf, makeDeviceCookie } from "./device-cookie.js";
import type { GuessLimiter } from "./guess-limiter.js";
import { parseHostPort } from "../host-port.js";
import type { Logger } from "../logger.js";
import { removedCertificate } from "../node-removal.js";
import { UNAUTHENTICATED_LIMITS, UnauthenticatedCalls } from "./unauthenticated-calls.js";
import { AUTHORIZATION, bearer, type DeviceCookieStore } from "./call-credentials.js";

/** Who may call a method: the admin (password), anyone (the first contact, whose proof its handler checks), a node or the leader (their certificates). */
export type CallerRule = "admin" | "anyone" | "node" | "leader";

const RULES: [prefix: string, rule: CallerRule][] = [
  ["/cube.v1.Cube/", "admin"],
  ["/cube.agent.v1.Cluster/Introduce", "anyone"],
  ["/cube.agent.v1.Cluster/Certify", "anyone"],
  ["/cube.agent.v1.Cluster/", "node"],
  ["/cube.agent.v1.Agent/", "leader"],
];

export function ruleFor(path: string): CallerRule | undefined {
  return RULES.find(([prefix]) => path.startsWith(prefix))?.[1];
}

/** Constant-time comparison: both sides are hashed first so neither content nor length leaks through timing. */
export function secretMatches(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

interface CallWithAuth {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null;
  getPeer(): string;
}

/** The caller's certificate, when it presented one the cluster CA signed (TLS checked the chain and dates). */
export function callerCertificate(call: CallWithAuth): PeerCertificate | undefined {
  return call.getAuthContext()?.sslPeerCertificate;
}

/** The node a call speaks for, from its certificate: never from what the message says. */
export function callerNodeName(call: CallWithAuth): string | undefined {
  return nodeNameIn(callerCertificate(call)?.subjectaltname);
}

/** The host a call came from ("1.2.3.4", "::1"), or "" when grpc-js cannot tell. */
export function callerHost(call: CallWithAuth): string {
  try {
    return parseHostPort(call.getPeer(), "peer").host;
  } catch {
    return "";
  }
}

export interface AuthorizationOptions {
  /** The password of the admin API; absent where the admin API is not served (a follower). */
  adminPassword?: string;
  failures: GuessLimiter;
  log: Logger;
  /** Whether a node's certificate carries the key its name is bound to (on the leader: a removed node's certificate is no longer valid). */
  nodeKeyBound?: (name: string, keyDigest: string) => boolean;
  /** Set once the server stops: every call is refused from then on (a node re-joining a stopping leader would keep it busy). */
  stopping?: boolean;
  /** Told of each call it refuses (the metrics: a refused call never reaches the interceptors after this one). */
  refused?: (path: string, code: grpc.status) => void;
}

function presentedSecret(metadata: grpc.Metadata): string | undefined {
  const [value] = metadata.get(AUTHORIZATION);
  if (typeof value !== "string" || !value.startsWith("Bearer ")) return undefined;
  return value.slice("Bearer ".length);
}

type Refusal = { code: grpc.status; details: string } | undefined;

/** Records a failed authentication of `host`; says so once when the host gets refused for a while. */
export function recordFailure(options: AuthorizationOptions, host: string, what: string): void {
  if (options.failures.count(host))
    options.log.warn(`too many failed authentications from ${host || "an unknown peer"} (last: ${what}); refusing it for a while`);
}

export function blockedRefusal(options: AuthorizationOptions, host: string): Refusal {
  const wait = options.failures.blockedFor(host);
  return wait > 0 ? { code: grpc.status.RESOURCE_EXHAUSTED, details: `too many failed authentications: try again in ${Math.ceil(wait / 1000)}s` } : undefined;
}

function judge(rule: CallerRule | undefined, call: CallWithAuth, metadata: grpc.Metadata, options: AuthorizationOptions): Refusal {
  if (options.stopping) return { code: grpc.status.UNAVAILABLE, details: "the server is stopping" };
  const certificate = callerCertificate(call);
  switch (rule) {
    case undefined:
      return { code: grpc.status.UNIMPLEMENTED, details: "no such method" };
    case "anyone":
      return undefined;
    case "leader":
      return hasIdentity(certificate?.subjectaltname, { role: "leader" })
        ? undefined
        : { code: grpc.status.PERMISSION_DENIED, details: "only the cluster's leader may call a node's Agent service" };
    case "node": {
      const name = nodeNameIn(certificate?.subjectaltname);
      if (!certificate || name === undefined) return { code: grpc.status.UNAUTHENTICATED, details: "this call needs a node certificate of the cluster" };
      if (options.nodeKeyBound && !options.nodeKeyBound(name, publicKeyDigest(certificate.raw))) {
        return { code: grpc.status.PERMISSION_DENIED, details: removedCertificate(name) };
      }
      return undefined;
    }
    case "admin": {
      if (certificate && !hasIdentity(certificate.subjectaltname, { role: "leader" })) {
        return { code: grpc.status.PERMISSION_DENIED, details: "a node's certificate cannot call the admin API" };
      }
      if (options.adminPassword === undefined) return { code: grpc.status.UNIMPLEMENTED, details: "this server does not serve the admin API: call the leader" };
      // Counted per device cookie when a valid one comes with the call, else per address (see device-cookie).
      const device = deviceOf(metadata.get(DEVICE_METADATA)[0] as string | undefined, deviceKey(options.adminPassword));
      const guesser = device === undefined ? callerHost(call) : `device ${device}`;
      const blocked = blockedRefusal(options, guesser);
      if (blocked) return blocked;
      const secret = presentedSecret(metadata);
      if (secret !== undefined && secretMatches(secret, options.adminPassword)) return undefined;
      const what = secret === undefined ? "missing admin password" : "wrong admin password";
      recordFailure(options, guesser, what);
      return { code: grpc.status.UNAUTHENTICATED, details: what };
    }
  }
}

/**
 * Refuses every call whose caller the method's rule does not admit, before its handler sees it. A call anyone may make
 * gets a place among a bounded few (UNAUTHENTICATED_LIMITS), a deadline, and a small message size.
 */
export function authorizeCalls(options: AuthorizationOptions): grpc.ServerInterceptor {
  const unauthenticated = new UnauthenticatedCalls();
  return (method, call) => {
    const rule = ruleFor(method.path);
    let release = () => {};
    let deadline: NodeJS.Timeout | undefined;
    /** A device cookie for an admin who had none (sent with the answer's metadata). */
    let cookie: string | undefined;
    const end = () => {
      clearTimeout(deadline);
      release();
    };
    /** Ends the call with `refusal`, and drops what the caller sends after it (it would wait in memory otherwise). */
    const refuse = (refusal: { code: grpc.status; details: string }) => {
      options.refused?.(method.path, refusal.code);
      call.sendStatus({ ...refusal, metadata: new grpc.Metadata() });
      dropRequest(call);
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, forward) => {
            const refusal = judge(rule, call, metadata, options);
            if (refusal) return refuse(refusal);
            if (rule === "admin" && options.adminPassword !== undefined) {
              const key = deviceKey(options.adminPassword);
              if (deviceOf(metadata.get(DEVICE_METADATA)[0] as string | undefined, key) === undefined) cookie = makeDeviceCookie(key);
            }
            if (rule === "anyone") {
              const place = unauthenticated.admit(callerHost(call));
              if (!place) return refuse({ code: grpc.status.RESOURCE_EXHAUSTED, details: "too many first contacts under way: try again shortly" });
              release = place;
              limitMessageSize(call, UNAUTHENTICATED_LIMITS.maxMessageBytes);
              deadline = setTimeout(
                () => refuse({ code: grpc.status.DEADLINE_EXCEEDED, details: "the first contact took too long" }),
                UNAUTHENTICATED_LIMITS.deadlineMs,
              );
            }
            forward(metadata);
          },
          onCancel: end,
        }),
      sendMetadata: (metadata, next) => {
        if (cookie) metadata.set(DEVICE_METADATA, cookie);
        next(metadata);
      },
      sendStatus: (status, next) => {
        end();
        next(status);
      },
    });
  };
}

/**
 * Resets the request side of a refused call once its status is out (HTTP/2 RST_STREAM, NO_ERROR: "stop sending"), so
 * that what the caller sends after it is dropped rather than kept. grpc-js 1.14 keeps the HTTP/2 stream on the call an
 * interceptor is given first.
 */
function dropRequest(call: unknown): void {
  const stream = (call as { stream?: { close?(code: number): void; closed?: boolean } }).stream;
  if (stream?.close) setImmediate(() => !stream.closed && stream.close!(http2.constants.NGHTTP2_NO_ERROR));
}

/**
 * Refuses, as soon as its size is announced, a message larger than `bytes` on this call (grpc-js has one limit for a
 * whole server; a first contact's messages are small, and a stranger's 4 MiB would sit in memory while it trickles).
 * grpc-js 1.14 reads messages through the decoder of the call an interceptor is given first.
 */
function limitMessageSize(call: unknown, bytes: number): void {
  const decoder = (call as { decoder?: { maxReadMessageLength?: number } }).decoder;
  if (decoder && typeof decoder.maxReadMessageLength === "number") decoder.maxReadMessageLength = bytes;
}

/** Adds the admin password to every call of a client, with its device cookie; keeps a new cookie the leader gives. */
export function presentPassword(password: string, devices?: DeviceCookieStore): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        metadata.set(AUTHORIZATION, bearer(password));
        const cookie = devices?.read();
        if (cookie) metadata.set(DEVICE_METADATA, cookie);
        next(metadata, {
          ...listener,
          onReceiveMetadata: (received, forward) => {
            const given = received.get(DEVICE_METADATA)[0];
            if (devices && typeof given === "string" && given !== cookie) devices.write(given);
            forward(received);
          },
        });
      },
    });
}
