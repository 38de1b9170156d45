import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/** AES-256-GCM with a fresh random 96-bit nonce, `context` as associated data (what the value is sealed for). */
export function sealAesGcm(key: Buffer, plain: Buffer, context: string): { nonce: Buffer; tag: Buffer; body: Buffer } {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return { nonce, tag: cipher.getAuthTag(), body };
}

/** The plain value, or undefined when it does not open (another key, another context, or altered). */
export function openAesGcm(key: Buffer, sealed: { nonce: Buffer; tag: Buffer; body: Buffer }, context: string): Buffer | undefined {
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.nonce);
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(sealed.tag);
  try {
    return Buffer.concat([decipher.update(sealed.body), decipher.final()]);
  } catch {
    return undefined;
  }
}
