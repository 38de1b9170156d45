// IPv4 networks in CIDR notation, as the pod network uses them.

/** An IPv4 network: its first address as a 32-bit number, and its prefix length. */
export interface Ipv4Network {
  base: number;
  prefix: number;
}

/** "10.42.0.0/16" → its network; undefined for anything else, or for host bits set ("10.42.0.1/16"). */
export function parseCidr(text: string): Ipv4Network | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefix > 32) return undefined;
  const base = octets.reduce((address, octet) => address * 256 + octet, 0);
  return base % 2 ** (32 - prefix) === 0 ? { base, prefix } : undefined;
}

export function formatCidr({ base, prefix }: Ipv4Network): string {
  return `${[24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256).join(".")}/${prefix}`;
}

/** The address `offset` addresses into a network ("10.42.1.0/24", 1 → "10.42.1.1"). */
export function addressIn(network: Ipv4Network, offset: number): string {
  return formatCidr({ base: network.base + offset, prefix: 32 }).replace(/\/32$/, "");
}
