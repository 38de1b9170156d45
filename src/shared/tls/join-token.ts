/**
 * The join token in its two forms. Plain: the secret the user chose (`--token`). Full: `CUBE1-<sha256 of the CA's
 * certificate, hex>-<secret>`, as Swarm's `SWMTKN-1-<digest>-<secret>`: who holds it trusts the CA by its digest, with
 * no step that depends on the secret's strength.
 */
export interface JoinToken {
  secret: string;
  /** Present in a full token. */
  caDigest?: Buffer;
}

const FULL_TOKEN = /^CUBE1-([0-9a-f]{64})-(.+)$/s;

export function parseJoinToken(text: string): JoinToken {
  const full = FULL_TOKEN.exec(text);
  return full ? { secret: full[2], caDigest: Buffer.from(full[1], "hex") } : { secret: text };
}

export function formatJoinToken(secret: string, caDigest: Buffer): string {
  return `CUBE1-${caDigest.toString("hex")}-${secret}`;
}

/** Secrets shorter than this can be guessed offline from one captured first contact: refused unless told otherwise. */
export const MIN_SECRET_LENGTH = 16;
