import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { parseHostPort } from "../shared/host-port.js";

export interface CubeConfig {
  /** host:port of the leader, or of each leader, comma-separated (several leaders on one store: one is active). */
  leaderUrl: string;
  /** The admin password (by default the cluster's token). */
  password: string;
  /** The cluster CA's certificate (PEM), as in the admin config the leader writes; absent, the CLI verifies the leader and pins it. */
  ca?: string;
}

/** A config problem the user must fix: its message is the one line the CLI prints. */
export class ConfigError extends Error {}

/** `$CUBE_CONFIG` when set (as KUBECONFIG is for kubectl), else ~/.cube/config. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CUBE_CONFIG || join(homedir(), ".cube", "config");
}

/** Where the CLI pins the CA of the leader at `leaderUrl`: `ca/` beside the config file. */
export function pinnedCaFile(configFile: string, leaderUrl: string): string {
  return join(dirname(configFile), "ca", `${leaderUrl.replace(/[^A-Za-z0-9.-]/g, "_")}.pem`);
}

/** Where the CLI keeps the device cookie the leader gave it (see device-cookie), beside the pinned CA. */
export function deviceCookiePath(configFile: string, leaderUrl: string): string {
  return join(dirname(configFile), "ca", `${leaderUrl.replace(/[^A-Za-z0-9.-]/g, "_")}.device`);
}

/** The leaders a config names, in its order. */
export function leaderAddresses(leaderUrl: string): string[] {
  return leaderUrl
    .split(",")
    .map((address) => address.trim())
    .filter((address) => address !== "");
}

/** Where the CLI remembers which of several leaders answered last, to ask it first next time. */
export function activeLeaderPath(configFile: string, leaderUrl: string): string {
  return join(dirname(configFile), "ca", `${leaderUrl.replace(/[^A-Za-z0-9.-]/g, "_")}.active`);
}

const EXAMPLE = `{"leaderUrl": "localhost:4242", "password": "<cluster token>"}`;

export function loadConfig(path: string): CubeConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ConfigError(`no config file at ${path}: create it with ${EXAMPLE}`);
    throw new ConfigError(`cannot read the config file ${path} (${code ?? (error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`the config file ${path} is not valid JSON (${(error as Error).message}); expected ${EXAMPLE}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`the config file ${path} must hold a JSON object like ${EXAMPLE}`);
  }
  const fields = parsed as Record<string, unknown>;
  const problems = (["leaderUrl", "password"] as const).flatMap((key) => {
    if (fields[key] === undefined) return [`"${key}" is missing`];
    if (typeof fields[key] !== "string" || fields[key] === "") return [`"${key}" must be a non-empty string`];
    return [];
  });
  if (problems.length > 0) throw new ConfigError(`the config file ${path} is incomplete: ${problems.join(", ")}`);
  if (fields.ca !== undefined && (typeof fields.ca !== "string" || !fields.ca.includes("BEGIN CERTIFICATE"))) {
    throw new ConfigError(`the config file ${path}: "ca" must be the cluster CA's certificate in PEM (as in the leader's admin-config.json)`);
  }
  const config = fields as unknown as CubeConfig;
  try {
    for (const address of leaderAddresses(config.leaderUrl)) parseHostPort(address, `"leaderUrl"`);
  } catch (error) {
    throw new ConfigError(`the config file ${path}: ${(error as Error).message}`);
  }
  return { leaderUrl: config.leaderUrl, password: config.password, ...(config.ca === undefined ? {} : { ca: config.ca }) };
}
