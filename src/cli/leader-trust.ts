import { verifyLeader } from "../shared/tls/first-contact.js";
import { parseJoinToken } from "../shared/tls/join-token.js";
import { readIfExists, writeSecretFile } from "../shared/secret-file.js";
import { pinnedCaFile, type CubeConfig } from "./config.js";

/**
 * The CA to verify the leader with: the config's own (`"ca"`, as in the admin config the leader writes), else the one
 * pinned at the first contact, else a first contact now: the leader must prove, over the connection we opened, that
 * it knows our password before we pin its CA (no trust on first use).
 */
export async function leaderCa(config: CubeConfig, configFile: string): Promise<string> {
  if (config.ca) return config.ca;
  const file = pinnedCaFile(configFile, config.leaderUrl);
  const pinned = readIfExists(file);
  if (pinned) return pinned;
  const leader = await verifyLeader(config.leaderUrl, parseJoinToken(config.password), { admin: true });
  leader.close();
  writeSecretFile(file, leader.caCertificate);
  return leader.caCertificate;
}
