import { readIfExists, writeSecretFile } from "../shared/secret-file.js";
import { leaderAddresses, pinnedCaFile, type CubeConfig } from "./config.js";
import { LeaderClient } from "./leader-client.js";

/** The CA to verify the leader with when it is known: the config's own (`"ca"`), else the one pinned at first contact. */
export function knownLeaderCa(config: CubeConfig, configFile: string): string | undefined {
  return config.ca || readIfExists(pinnedCaFile(configFile, config.leaderUrl));
}

/** A client for the leader of `config`, whose CA is known, pinned, or verified now (see leaderCa). */
export async function openLeaderClient(config: CubeConfig, configFile: string): Promise<LeaderClient> {
  return LeaderClient.forConfig(config, configFile, await leaderCa(config, configFile));
}

/**
 * The CA to verify the leader with: the config's own (`"ca"`, as in the admin config the leader writes), else the one
 * pinned at the first contact, else a first contact now: the leader must prove, over the connection we opened, that
 * it knows our password before we pin its CA (no trust on first use).
 */
export async function leaderCa(config: CubeConfig, configFile: string): Promise<string> {
  const known = knownLeaderCa(config, configFile);
  if (known) return known;
  const file = pinnedCaFile(configFile, config.leaderUrl);
  // Several leaders share one CA: the first that proves it knows the password gives it (one that stands by cannot).
  const addresses = leaderAddresses(config.leaderUrl);
  // Loaded only here: a command whose leader is known does without the first contact's code.
  const [{ verifyLeader }, { parseJoinToken }] = await Promise.all([import("../shared/tls/first-contact.js"), import("../shared/tls/join-token.js")]);
  for (const [index, address] of addresses.entries()) {
    try {
      const leader = await verifyLeader(address, parseJoinToken(config.password), { admin: true });
      leader.close();
      writeSecretFile(file, leader.caCertificate);
      return leader.caCertificate;
    } catch (error) {
      if (index === addresses.length - 1) throw error;
    }
  }
  throw new Error("no leader address in the config"); // loadConfig refuses a config without one
}
