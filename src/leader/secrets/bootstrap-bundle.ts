import { randomBytes, scryptSync } from "node:crypto";
import { openAesGcm, sealAesGcm } from "./aes-gcm.js";

/**
 * What every leader of one cluster must hold alike (the cluster CA's certificate and key, the secrets keyring, the
 * admin password), kept in the store they share sealed under a key derived from the join token's secret, as k3s keeps
 * its bootstrap data: a second leader given the token opens it and needs no file copied; the database alone, or a
 * copy of it, does not. scrypt makes each guess of a token cost ~100 ms and 32 MiB; a token of at least
 * MIN_SECRET_LENGTH random characters is out of reach.
 */
const CONTEXT = "cube bootstrap bundle 1";
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 2 ** 20 };

interface SealedBundle {
  version: 1;
  salt: string;
  nonce: string;
  tag: string;
  body: string;
}

const keyOf = (tokenSecret: string, salt: Buffer) => scryptSync(tokenSecret, salt, 32, SCRYPT);

/** The files (name → contents), sealed under the token's secret, as text to keep in the store. */
export function sealBootstrap(files: Record<string, string>, tokenSecret: string): string {
  const salt = randomBytes(16);
  const { nonce, tag, body } = sealAesGcm(keyOf(tokenSecret, salt), Buffer.from(JSON.stringify(files)), CONTEXT);
  const base64 = (bytes: Buffer) => bytes.toString("base64");
  const sealed: SealedBundle = { version: 1, salt: base64(salt), nonce: base64(nonce), tag: base64(tag), body: base64(body) };
  return JSON.stringify(sealed);
}

/** The files of a sealed bundle; throws, saying so, when the token is not the one it was sealed under (or it was altered). */
export function openBootstrap(text: string, tokenSecret: string): Record<string, string> {
  let sealed: SealedBundle;
  try {
    sealed = JSON.parse(text) as SealedBundle;
  } catch {
    throw new Error("the store's bootstrap bundle is not one Cube writes (not JSON)");
  }
  if (sealed.version !== 1) throw new Error(`the store's bootstrap bundle has version ${sealed.version}, which this cube-server does not read`);
  const [salt, nonce, tag, body] = [sealed.salt, sealed.nonce, sealed.tag, sealed.body].map((field) => Buffer.from(String(field), "base64"));
  const plain = openAesGcm(keyOf(tokenSecret, salt), { nonce, tag, body }, CONTEXT);
  if (!plain) throw new Error("the store's bootstrap bundle does not open with this join token: give the token of the first leader (--token-file)");
  return JSON.parse(plain.toString("utf8")) as Record<string, string>;
}
