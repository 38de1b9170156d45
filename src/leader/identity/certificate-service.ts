import { refusalStatus } from "../unary-handler.js";
import { X509Certificate } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import type { ClusterServer } from "../../gen/agent.js";
import { blockedRefusal, callerHost, callerNodeName, recordFailure, type AuthorizationOptions } from "../../shared/tls/authorize-calls.js";
import type { Clock } from "../../shared/clock.js";
import { GuessLimiter } from "../../shared/tls/guess-limiter.js";
import { NODE_NAME_PATTERN } from "../../shared/domain.js";
import { statusError } from "../../shared/grpc-server.js";
import { clientProof, InvalidShare, newNonce, NONCE_BYTES, proofsMatch, serverProof, sessionKey, startExchange } from "../../shared/tls/trust-proof.js";
import type { ClusterCa } from "./cluster-ca.js";
import type { ClusterIdentity } from "./cluster-identity.js";
import type { LeaderCertificate } from "./leader-certificate.js";
import type { NodeKeys } from "./node-keys.js";

/** How long an introduction may wait for its `Certify`, and how many may wait at once (the oldest are dropped). */
const INTRODUCTION_TTL_MS = 60_000;
const MAX_PENDING_INTRODUCTIONS = 10_000;
/** First contacts per address not followed by a node's valid proof (guesses): 30 a minute, then a minute of refusal. */
const INTRODUCTION_LIMITS = { maxGuesses: 30, windowMs: 60_000, blockMs: 60_000 };

export interface CertificateServiceDependencies {
  ca: ClusterCa;
  leaderCertificate: LeaderCertificate;
  /** The join token now (`cube token rotate` replaces it). */
  identity: Pick<ClusterIdentity, "joinToken">;
  adminPassword: string;
  keys: NodeKeys;
  clock: Clock;
  /** Lifetime of the node certificates issued. */
  certificateLifetimeMs: number;
  authorization: AuthorizationOptions;
}

interface Introduction {
  /** An introduction for the admin password proves nothing about the join token: it cannot lead to a certificate. */
  admin: boolean;
  clientNonce: Buffer;
  /** The key of this exchange: the client's confirmation must be made with it. */
  sessionKey: Buffer;
  expiresAt: number;
}

type CertificateHandlers = Pick<ClusterServer, "introduce" | "certify" | "renew">;

/**
 * The leader's side of the first contact and of node certificates. `Introduce` proves, to anyone who asks, that the
 * leader knows the join token, bound to the certificate the caller sees; `Certify` takes the caller's proof (checked
 * against an introduction this leader made, once) and issues a certificate naming the node for the key it holds;
 * `Renew` reissues it to the node's own certificate.
 */
export function createCertificateHandlers(deps: CertificateServiceDependencies): CertificateHandlers {
  const { ca, leaderCertificate, keys, clock, authorization } = deps;
  const pending = new Map<string, Introduction>();
  const introductions = new GuessLimiter(clock, INTRODUCTION_LIMITS);

  function forgetExpired(now: number): void {
    for (const [nonce, introduction] of pending) {
      if (introduction.expiresAt > now && pending.size < MAX_PENDING_INTRODUCTIONS) break;
      pending.delete(nonce);
    }
  }

  async function issue(name: string, request: string): Promise<string> {
    const now = new Date(clock.now());
    const { certificate, keyDigest } = await deps.ca.issueNode(name, request, now, deps.certificateLifetimeMs);
    await keys.bind(name, keyDigest, now, new Date(new X509Certificate(certificate).validTo));
    return certificate;
  }

  function refuse(error: unknown): grpc.ServerErrorResponse {
    return refusalStatus(error) ?? statusError(grpc.status.INVALID_ARGUMENT, (error as Error).message);
  }

  return {
    introduce: (call, callback) => {
      // Each introduction is one live guess of the secret for whoever asks: a bounded number per address.
      const host = callerHost(call);
      if (introductions.count(host)) authorization.log.warn(`too many first contacts from ${host || "an unknown peer"}; refusing more for a while`);
      const wait = introductions.blockedFor(host);
      if (wait > 0)
        return callback(statusError(grpc.status.RESOURCE_EXHAUSTED, `too many first contacts from your address: try again in ${Math.ceil(wait / 1000)}s`));
      const { clientNonce, certificateDigest, admin, clientShare } = call.request;
      if (clientNonce.length !== NONCE_BYTES) return callback(statusError(grpc.status.INVALID_ARGUMENT, `the client nonce must be ${NONCE_BYTES} bytes`));
      if (!leaderCertificate.isOwn(Buffer.from(certificateDigest))) {
        return callback(
          statusError(grpc.status.FAILED_PRECONDITION, "the certificate you see is not the leader's: something between you and the leader presents its own"),
        );
      }
      const now = clock.now();
      forgetExpired(now);
      const serverNonce = newNonce();
      const secret = admin ? deps.adminPassword : deps.identity.joinToken;
      const { scalar, share: serverShare } = startExchange(secret, admin ? "admin" : "join", Buffer.from(clientNonce), Buffer.from(certificateDigest));
      let key: Buffer;
      try {
        key = sessionKey(scalar, clientShare, {
          clientNonce: Buffer.from(clientNonce),
          serverNonce,
          clientShare: Buffer.from(clientShare),
          serverShare,
          certificateDigest: Buffer.from(certificateDigest),
          caDigest: ca.digest,
        });
      } catch (error) {
        if (error instanceof InvalidShare) return callback(statusError(grpc.status.INVALID_ARGUMENT, `client share: ${error.message}`));
        throw error;
      }
      pending.set(serverNonce.toString("hex"), { admin, clientNonce: Buffer.from(clientNonce), sessionKey: key, expiresAt: now + INTRODUCTION_TTL_MS });
      callback(null, { caCertificate: ca.certificate, serverNonce, serverShare, serverProof: serverProof(key) });
    },

    certify: (call, callback) => {
      const host = callerHost(call);
      const blocked = blockedRefusal(authorization, host);
      if (blocked) return callback(statusError(blocked.code, blocked.details));
      const { nodeName, certificateRequest, clientNonce, serverNonce, clientProof: presented } = call.request;
      const introduction = pending.get(Buffer.from(serverNonce).toString("hex"));
      pending.delete(Buffer.from(serverNonce).toString("hex"));
      const fail = (code: grpc.status, details: string) => {
        recordFailure(authorization, host, details);
        callback(statusError(code, details));
      };
      if (!introduction || introduction.admin || introduction.expiresAt <= clock.now() || !introduction.clientNonce.equals(Buffer.from(clientNonce))) {
        return fail(grpc.status.FAILED_PRECONDITION, "no introduction of ours matches: call Introduce first, on the same connection");
      }
      if (!NODE_NAME_PATTERN.test(nodeName)) {
        return callback(statusError(grpc.status.INVALID_ARGUMENT, `invalid node name "${nodeName}": use lowercase letters, digits, "-" and "."`));
      }
      if (!proofsMatch(Buffer.from(presented), clientProof(introduction.sessionKey))) return fail(grpc.status.UNAUTHENTICATED, "wrong join token");
      introductions.refund(host); // its introduction was no wrong guess: a crowd of nodes joining at once is not blocked
      issue(nodeName, certificateRequest)
        .then((certificate) => {
          authorization.log.info(`certified node ${nodeName} (${host})`);
          callback(null, { certificate });
        })
        .catch((error: Error) => callback(refuse(error)));
    },

    renew: (call, callback) => {
      // The authorization interceptor has checked that the certificate is the name's bound key.
      const name = callerNodeName(call)!;
      issue(name, call.request.certificateRequest).then(
        (certificate) => callback(null, { certificate }),
        (error: Error) => callback(refuse(error)),
      );
    },
  };
}
