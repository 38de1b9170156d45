import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Device cookies (as OWASP advises against lockouts that hit the innocent): a CLI that once presented the right admin
 * password gets a cookie, signed by the leader, which it presents from then on. Failed passwords are counted per
 * cookie for callers that present a valid one, and per address for the others: a guesser behind an address (a NAT, a
 * shared host) gets that address refused, but not the admins who have used the CLI from there before.
 */
export const DEVICE_METADATA = "cube-device";

/** The key that signs the cookies: derived from the admin password, so a new password voids every cookie. */
export function deviceKey(adminPassword: string): Buffer {
  return createHmac("sha256", adminPassword).update("cube/device-cookie/v1").digest();
}

function mac(key: Buffer, id: string): Buffer {
  return createHmac("sha256", key).update(id).digest();
}

export function makeDeviceCookie(key: Buffer): string {
  const id = randomBytes(16).toString("hex");
  return `${id}.${mac(key, id).toString("hex")}`;
}

/** The cookie's id when the leader signed it, else undefined. */
export function deviceOf(cookie: string | undefined, key: Buffer): string | undefined {
  const match = cookie === undefined ? null : /^([0-9a-f]{32})\.([0-9a-f]{64})$/.exec(cookie);
  return match && timingSafeEqual(Buffer.from(match[2], "hex"), mac(key, match[1])) ? match[1] : undefined;
}
