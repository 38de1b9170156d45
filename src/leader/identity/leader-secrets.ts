import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { formatJoinToken, parseJoinToken } from "../../shared/tls/join-token.js";
import type { Logger } from "../../shared/logger.js";
import type { ClusterCa } from "./cluster-ca.js";
import { IN_MEMORY } from "../../shared/open-database.js";
import { readIfExists, writeSecretFile } from "../../shared/secret-file.js";

/**
 * The leader's two secrets, in two roles: the join token admits nodes, the admin password admits the CLI. Each is the
 * one given (a file or the environment), or the one the leader kept in its data directory at an earlier start, or
 * made now: 256 random bits.
 */
export interface LeaderSecrets {
  token: string;
  adminPassword: string;
  /** What the leader made itself, at this start (said in its log, with where to find it). */
  made: { token: boolean; adminPassword: boolean };
}

/** The files a leader keeps its secrets in, in its data directory (both 0600). */
export const SECRET_FILES = { joinToken: "join-token", adminConfig: "admin-config.json" } as const;

/** A new secret: 32 random bytes, as 43 URL-safe characters. */
export function makeSecret(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Decides the leader's secrets at its start. A token given that differs from the one kept is refused: the kept one may
 * have been rotated (`cube token rotate`), and starting on an older one would silently admit its holders again.
 */
export function resolveLeaderSecrets(dataDir: string, given: { token?: string; adminPassword?: string }): LeaderSecrets {
  const kept = dataDir === IN_MEMORY ? {} : keptSecrets(dataDir);
  const givenToken = given.token === undefined ? undefined : parseJoinToken(given.token).secret;
  if (givenToken !== undefined && kept.token !== undefined && givenToken !== kept.token) {
    throw new Error(
      `the join token given is not this leader's (${join(dataDir, SECRET_FILES.joinToken)}): it was rotated with \`cube token rotate\`, or this data directory is another cluster's; start the leader without a token (it keeps its own), or with the one in that file`,
    );
  }
  const token = givenToken ?? kept.token;
  const adminPassword = given.adminPassword ?? kept.adminPassword;
  return {
    token: token ?? makeSecret(),
    adminPassword: adminPassword ?? makeSecret(),
    made: { token: token === undefined, adminPassword: adminPassword === undefined },
  };
}

function keptSecrets(dataDir: string): { token?: string; adminPassword?: string } {
  const token = readIfExists(join(dataDir, SECRET_FILES.joinToken))?.trim();
  const adminConfig = readIfExists(join(dataDir, SECRET_FILES.adminConfig));
  let adminPassword: string | undefined;
  if (adminConfig !== undefined) {
    try {
      const password = (JSON.parse(adminConfig) as { password?: unknown }).password;
      if (typeof password === "string" && password !== "") adminPassword = password;
    } catch {
      throw new Error(`${join(dataDir, SECRET_FILES.adminConfig)} is not JSON: restore it, or remove it for a new admin password`);
    }
  }
  return { token: token ? parseJoinToken(token).secret : undefined, adminPassword };
}

/**
 * An upper bound of a secret's strength, in bits: its length times what each character could be, from the kinds of
 * characters it has. Words and patterns make a secret far weaker than this; a secret under it is weak for sure.
 */
export function strengthBound(secret: string): number {
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/];
  const sizes = [26, 26, 10, 33];
  const alphabet = kinds.reduce((sum, kind, index) => sum + (kind.test(secret) ? sizes[index] : 0), 0);
  return Math.round([...secret].length * Math.log2(Math.max(alphabet, 2)));
}

/** A secret the user chose is called weak below this many bits (at most: words and patterns make it weaker). */
const STRONG_SECRET_BITS = 100;

/**
 * The admin config (ready to copy to ~/.cube/config: it carries the CA, so the CLI needs no first contact) and the full
 * join token (for the followers' --token-file): where the leader also keeps its secrets for its next start.
 */
export function writeClientFiles(dataDir: string, secrets: LeaderSecrets, ca: ClusterCa, leaderUrl: string, log: Logger): void {
  const adminConfig = join(dataDir, SECRET_FILES.adminConfig);
  writeSecretFile(adminConfig, JSON.stringify({ leaderUrl, password: secrets.adminPassword, ca: ca.certificate }, null, 2) + "\n");
  const joinToken = join(dataDir, SECRET_FILES.joinToken);
  writeSecretFile(joinToken, formatJoinToken(secrets.token, ca.digest) + "\n");
  const made = (yes: boolean) => (yes ? ", made now" : "");
  log.info(`admin password${made(secrets.made.adminPassword)}: in the CLI config ${adminConfig} (copy it to ~/.cube/config)`);
  log.info(
    `join token${made(secrets.made.token)}, naming the CA (sha256 ${ca.digest.toString("hex").slice(0, 16)}…): ${joinToken} (followers read it with --token-file)`,
  );
}

/** Says how strong, at most, a secret the user chose is: a leader's own are 256 random bits. */
export function warnOfWeakSecrets(config: { token?: string; adminPassword?: string }, log: Logger): void {
  const chosen = { "join token": config.token && parseJoinToken(config.token).secret, "admin password": config.adminPassword };
  for (const [what, secret] of Object.entries(chosen)) {
    if (!secret) continue;
    const bits = strengthBound(secret);
    if (bits < STRONG_SECRET_BITS) {
      log.warn(
        `the ${what} given has at most ${bits} bits of strength, less if it is made of words or a pattern: each first contact tests one guess of it (and failures are slowed down); without one given, the leader makes one of 256 bits`,
      );
    }
  }
}
