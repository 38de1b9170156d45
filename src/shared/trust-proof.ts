import { createHmac, randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/**
 * The proofs of the first contact (see the README's "Security"): each side shows it knows the join token without
 * sending it. The key is scrypt(token, sha256(CA)), slow on purpose: a captured exchange costs an attacker one scrypt
 * per guessed token. Each proof covers both nonces (no replay) and the digest of the certificate the client sees on
 * its connection (a relay with a certificate of its own cannot pass the server's proof on). Labels keep the server's
 * proof from serving as the client's.
 */

// N = 2^15, r = 8: 32 MiB and about 0.1 s of one core per derivation (125 ms measured on a 2-core AMD EPYC).
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
export const NONCE_BYTES = 32;

const derived = new Map<string, Promise<Buffer>>();

/** The proof key for a token under a cluster's CA (its digest is the salt); derived once per process for a pair. */
export function proofKey(token: string, caDigest: Buffer): Promise<Buffer> {
  const cacheKey = `${caDigest.toString("hex")}:${token}`;
  let key = derived.get(cacheKey);
  if (!key) {
    key = new Promise<Buffer>((resolve, reject) => scrypt(token, caDigest, 32, SCRYPT, (error, out) => (error ? reject(error) : resolve(out))));
    derived.set(cacheKey, key);
  }
  return key;
}

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

export interface ProofInputs {
  clientNonce: Buffer;
  serverNonce: Buffer;
  /** SHA-256 of the TLS certificate of the connection, as the client saw it (server side: its own). */
  certificateDigest: Buffer;
  caDigest: Buffer;
}

function mac(key: Buffer, label: string, parts: Buffer[]): Buffer {
  const hmac = createHmac("sha256", key).update(label);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

export function serverProof(key: Buffer, p: ProofInputs): Buffer {
  return mac(key, "cube/server", [p.clientNonce, p.serverNonce, p.certificateDigest, p.caDigest]);
}

export function clientProof(key: Buffer, p: ProofInputs): Buffer {
  return mac(key, "cube/client", [p.serverNonce, p.clientNonce, p.certificateDigest, p.caDigest]);
}

/** Constant-time comparison of two proofs. */
export function proofsMatch(presented: Buffer, expected: Buffer): boolean {
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
