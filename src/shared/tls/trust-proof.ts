import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { ristretto255, ristretto255_hasher } from "@noble/curves/ed25519.js";

/**
 * The first contact's key exchange (see the README's "Security"): CPace, a password-authenticated key exchange, over
 * ristretto255. Each side hashes the shared secret (join token or admin password), the client's nonce and the digest
 * of the TLS certificate the client sees to a generator, sends its secret scalar times that generator, and multiplies
 * the other's share by its own scalar: both get the same point only if they used the same secret for the same
 * certificate. What crosses the wire (shares, nonces, confirmations) lets nobody test guesses of the secret offline: a
 * guess needs a live exchange (one per introduction, which the leader rate-limits). A relay with a certificate of
 * its own makes the client and the leader hash different certificates, so their keys differ and the client refuses.
 */

export const NONCE_BYTES = 32;
export type SecretRole = "join" | "admin";

const DST = "cube-cpace-ristretto255-sha512-v1";
const { Point } = ristretto255;

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/** Length-prefixed parts, so that no two different lists of parts hash alike. */
function framed(parts: (Buffer | Uint8Array | string)[]): Buffer {
  return Buffer.concat(
    parts.flatMap((part) => {
      const bytes = typeof part === "string" ? Buffer.from(part, "utf8") : Buffer.from(part);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      return [length, bytes];
    }),
  );
}

/** One side's part of an exchange: its secret scalar (kept) and its share (sent). */
export interface ExchangeStart {
  scalar: bigint;
  share: Buffer;
}

/** Starts an exchange for `secret` in its role, bound to the client's nonce and to the certificate of the connection. */
export function startExchange(secret: string, role: SecretRole, clientNonce: Buffer, certificateDigest: Buffer): ExchangeStart {
  const generator = ristretto255_hasher.hashToCurve(framed([role, secret, clientNonce, certificateDigest]), { DST });
  const scalar = ristretto255_hasher.hashToScalar(randomBytes(64));
  return { scalar, share: Buffer.from(generator.multiply(scalar).toBytes()) };
}

/** What both sides hash into the session key, besides the shared point. */
export interface Transcript {
  clientNonce: Buffer;
  serverNonce: Buffer;
  clientShare: Buffer;
  serverShare: Buffer;
  /** SHA-256 of the TLS certificate of the connection, as the client saw it (server side: its own). */
  certificateDigest: Buffer;
  caDigest: Buffer;
}

export class InvalidShare extends Error {}

/** The session key: the shared point (our scalar times the peer's share) and the transcript, hashed. */
export function sessionKey(scalar: bigint, peerShare: Uint8Array, transcript: Transcript): Buffer {
  let peer;
  try {
    peer = Point.fromBytes(Uint8Array.from(peerShare));
  } catch {
    throw new InvalidShare("the share is not a ristretto255 point");
  }
  const shared = peer.multiply(scalar);
  if (peer.is0() || shared.is0()) throw new InvalidShare("the share is the identity");
  const { clientNonce, serverNonce, clientShare, serverShare, certificateDigest, caDigest } = transcript;
  return createHash("sha512")
    .update(framed(["cube/session", clientNonce, serverNonce, clientShare, serverShare, certificateDigest, caDigest, shared.toBytes()]))
    .digest();
}

/** The leader's confirmation that it holds the same key (so the same secret, for the certificate the client sees). */
export function serverProof(key: Buffer): Buffer {
  return createHmac("sha256", key).update("cube/server").digest();
}

/** The client's confirmation, for the leader: a node that knows the join token. */
export function clientProof(key: Buffer): Buffer {
  return createHmac("sha256", key).update("cube/client").digest();
}

/** Constant-time comparison of two proofs. */
export function proofsMatch(presented: Buffer, expected: Buffer): boolean {
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
