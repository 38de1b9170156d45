// The values of cube-server's flags, read and checked: each refusal a UsageError that names the flag.
import { readFileSync } from "node:fs";
import { parseDuration } from "../shared/duration.js";
import { LABEL_KEY, LABEL_VALUE } from "../shared/labels.js";
import { MIN_SECRET_LENGTH } from "../shared/tls/join-token.js";
import type { PlacementPolicy } from "../leader/place-pod.js";
import { NODE_SUBNET_PREFIX } from "../leader/allocate-subnet.js";
import { parseCidr } from "../shared/cidr.js";
import { POD_NETWORK_BACKENDS, type PodNetworkBackend } from "../shared/domain.js";

/** A mistake in cube-server's flags or environment: its message is the one line it prints. */
export class UsageError extends Error {}

export function yesNo(value: string, flag: string): boolean {
  if (/^(yes|true|1)$/i.test(value)) return true;
  if (/^(no|false|0)$/i.test(value)) return false;
  throw new UsageError(`--${flag} must be yes or no, got "${value}"`);
}

export function wholeNumberFlag(value: string, flag: string, least = 1): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isInteger(number) || number < least)
    throw new UsageError(`--${flag} must be a whole number of at least ${least}, got "${value}"`);
  return number;
}

/** KEY=VALUE pairs, each a valid label. */
export function labelFlags(pairs: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const [key, ...rest] = pair.split("=");
    const value = rest.join("=");
    if (rest.length === 0 || !LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
      throw new UsageError(`--label must be KEY=VALUE, a label (letters, digits, '-', '_', '.'), got "${pair}"`);
    }
    labels[key] = value;
  }
  return labels;
}

export function placementFlag(value: string): PlacementPolicy {
  if (value !== "spread" && value !== "binpack") throw new UsageError(`--placement must be spread or binpack, got "${value}"`);
  return value;
}

/** "30000-32767": the first and last port, inclusive. */
export function portRangeFlag(value: string): { first: number; last: number } {
  const match = /^(\d+)-(\d+)$/.exec(value.trim());
  const [first, last] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(first >= 1 && last <= 65535 && first <= last)) throw new UsageError(`--host-port-range must be FIRST-LAST within 1-65535, got "${value}"`);
  return { first, last };
}

/** "55%" (or "55") as a fraction: 0.55. */
export function percentFlag(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(value.trim());
  const percent = match ? Number(match[1]) : NaN;
  if (!(percent > 0 && percent <= 100)) throw new UsageError(`--${flag} must be a percentage from 1% to 100%, got "${value}"`);
  return percent / 100;
}

/** Certificates live from 5 seconds (tests) to 5 years (half the CA's ten: a certificate never outlives its CA). */
export const CERTIFICATE_LIFETIME = { leastMs: 5000, mostMs: 5 * 365 * 86_400_000 };

export function certificateLifetimeFlag(value: string): number {
  const lifetime = durationFlag(value, "cert-lifetime");
  if (lifetime < CERTIFICATE_LIFETIME.leastMs || lifetime > CERTIFICATE_LIFETIME.mostMs) {
    throw new UsageError(`--cert-lifetime must be from 5s to 5 years (1825d), got "${value}"`);
  }
  return lifetime;
}

export function durationFlag(value: string, flag: string): number {
  const parsed = parseDuration(value);
  if (parsed === undefined) throw new UsageError(`--${flag} must be a positive duration such as 15s or 1m, got "${value}"`);
  return parsed;
}

/** A secret from `--NAME` or `--NAME-file` (one of them, not both), or undefined when neither is given. */
export function secretFlag(flag: string, given: string | undefined, file: string | undefined): string | undefined {
  if (given !== undefined && file !== undefined) throw new UsageError(`give --${flag} or --${flag}-file, not both`);
  if (file === undefined) return given;
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new UsageError(`cannot read --${flag}-file ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (text === "") throw new UsageError(`--${flag}-file ${file} is empty`);
  return text;
}

export function checkSecretLength(secret: string, flag: string, allowShort: boolean): string {
  if (secret.length < MIN_SECRET_LENGTH && !allowShort) {
    throw new UsageError(
      `${flag} has ${secret.length} characters, fewer than ${MIN_SECRET_LENGTH}: anyone who reaches the leader can test guesses of it offline, so use a longer one (e.g. \`openssl rand -hex 16\`), or accept the risk with --insecure-short-token`,
    );
  }
  return secret;
}

export function podCidrFlag(value: string): string {
  const network = parseCidr(value);
  if (!network || network.prefix > NODE_SUBNET_PREFIX) {
    throw new UsageError(`--pod-cidr must be an IPv4 network of /${NODE_SUBNET_PREFIX} or larger, such as 10.42.0.0/16, got "${value}"`);
  }
  return value;
}

/** The services' CIDR: an IPv4 network apart from the pods' (a virtual IP must never be a pod's address). */
export function serviceCidrFlag(value: string, podCidr: string): string {
  const network = parseCidr(value);
  if (!network || network.prefix > 30) throw new UsageError(`--service-cidr must be an IPv4 network of /30 or larger, such as 10.43.0.0/16, got "${value}"`);
  const pods = parseCidr(podCidr)!;
  const overlap = (a: typeof pods, b: typeof pods) =>
    a.prefix <= b.prefix && Math.floor(b.base / 2 ** (32 - a.prefix)) === Math.floor(a.base / 2 ** (32 - a.prefix));
  if (overlap(network, pods) || overlap(pods, network)) throw new UsageError(`--service-cidr ${value} overlaps the pod CIDR ${podCidr}: give them apart`);
  return value;
}

export function podNetworkFlag(value: string): PodNetworkBackend {
  const backend = POD_NETWORK_BACKENDS.find((known) => known === value);
  if (!backend) throw new UsageError(`--pod-network must be ${POD_NETWORK_BACKENDS.join(" or ")}, got "${value}"`);
  return backend;
}

/**
 * The --store URL (or --store-file's): a PostgreSQL URL, or none (SQLite in the data directory). One on the command
 * line that holds a password is said to be seen by every local user.
 */
export function storeFlag(given: string | undefined, file: string | undefined, onCommandLine: boolean, warnings: string[]): string | undefined {
  const url = secretFlag("store", given, file);
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError("--store is not a URL: give postgres://USER:PASSWORD@HOST:PORT/DATABASE (without it, the state is kept in SQLite in --data-dir)");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new UsageError(
      `--store ${parsed.protocol}// is not read: give postgres://USER:PASSWORD@HOST:PORT/DATABASE (without it, the state is kept in SQLite in --data-dir)`,
    );
  }
  if (onCommandLine && parsed.password) {
    warnings.push("--store holds a password on the command line, where every local user can read it (ps, /proc/PID/cmdline): use --store-file or $CUBE_STORE");
  }
  return url;
}
