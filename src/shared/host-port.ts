import { networkInterfaces } from "node:os";

export interface HostPort {
  host: string;
  port: number;
}

/** Parses "host:port" (IPv6 hosts in brackets, as in "[::1]:4242"); throws a user-facing Error otherwise. */
export function parseHostPort(value: string, what: string): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new Error(`${what} must be HOST:PORT (e.g. 127.0.0.1:4242), got "${value}"`);
  }
  return { host: match[1] ?? match[2], port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

export function isWildcardHost(host: string): boolean {
  return host === "" || host === "0.0.0.0" || host === "::" || host === "[::]";
}

/** The address a process on this machine dials to reach a server listening on `listen`. */
export function localDialAddress(listen: HostPort): HostPort {
  if (!isWildcardHost(listen.host)) return listen;
  return { host: listen.host === "0.0.0.0" ? "127.0.0.1" : "::1", port: listen.port };
}

/** The address others reach a server listening on `address` at: that address, or one of its host's when it is a wildcard. */
export function reachableAddress(address: HostPort): HostPort {
  if (!isWildcardHost(address.host)) return address;
  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal);
  return external ? { host: external.address, port: address.port } : localDialAddress(address);
}
