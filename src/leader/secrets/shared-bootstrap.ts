import { readFileSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { writeSecretFile } from "../../shared/secret-file.js";
import { parseJoinToken } from "../../shared/tls/join-token.js";
import { ClusterCa } from "../identity/cluster-ca.js";
import { resolveLeaderSecrets } from "../identity/leader-secrets.js";
import { openBootstrap, sealBootstrap } from "./bootstrap-bundle.js";
import { SECRETS_KEY_FILE, SecretsKeyring } from "./secrets-keyring.js";

/** The data directory's files every leader holds alike: the cluster CA's certificate and key, the secrets keyring. */
const SHARED_FILES = ["ca.pem", "ca-key.pem", SECRETS_KEY_FILE];
const ADMIN_PASSWORD = "admin-password";

/**
 * Makes this leader's data directory hold what the store's first leader put in it, so that node certificates, pinned
 * CAs, sealed secrets and the admin password stay valid whichever leader is active. The first leader to get there
 * seals its own (made now if it has none) under the join token; every other opens that bundle with the token it was
 * given, and writes its files. Returns the join token and admin password to start with.
 */
export async function shareBootstrap(
  pool: pg.Pool,
  dataDir: string,
  given: { token?: string; adminPassword?: string },
): Promise<{ token: string; adminPassword: string }> {
  await pool.query("create table if not exists bootstrap (id integer primary key check (id = 1), bundle text not null)");
  const stored = await storedBundle(pool);
  if (stored !== undefined) return adopt(stored, dataDir, given);
  // No leader was here before: this one's files (made now if it has none), offered as the cluster's; two first leaders
  // racing each offer theirs, one wins, the other adopts it.
  await ClusterCa.open(dataDir, new Date());
  SecretsKeyring.open(dataDir);
  const { token, adminPassword } = resolveLeaderSecrets(dataDir, given);
  const files = Object.fromEntries(SHARED_FILES.map((name) => [name, readFileSync(join(dataDir, name), "utf8")]));
  const offered = sealBootstrap({ ...files, [ADMIN_PASSWORD]: adminPassword }, token);
  await pool.query("insert into bootstrap (id, bundle) values (1, $1) on conflict (id) do nothing", [offered]);
  const kept = (await storedBundle(pool))!;
  return kept === offered ? { token, adminPassword } : adopt(kept, dataDir, { ...given, token });
}

async function storedBundle(pool: pg.Pool): Promise<string | undefined> {
  const { rows } = await pool.query<{ bundle: string }>("select bundle from bootstrap where id = 1");
  return rows[0]?.bundle;
}

/** Writes the bundle's files into the data directory; the token given is the one it opens with. */
function adopt(bundle: string, dataDir: string, given: { token?: string; adminPassword?: string }): { token: string; adminPassword: string } {
  if (given.token === undefined) {
    throw new Error("the store already holds a cluster: give this leader the join token of its first leader (--token-file DATA_DIR/join-token there)");
  }
  const token = parseJoinToken(given.token).secret;
  const files = openBootstrap(bundle, token);
  if (given.adminPassword !== undefined && given.adminPassword !== files[ADMIN_PASSWORD]) {
    throw new Error("the admin password given is not the one of the cluster this store holds: give its first leader's, or none");
  }
  for (const name of SHARED_FILES) writeSecretFile(join(dataDir, name), files[name]);
  return { token: given.token, adminPassword: files[ADMIN_PASSWORD] };
}
