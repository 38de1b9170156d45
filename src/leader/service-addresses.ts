import type { Protocol, ServicePort } from "../shared/domain.js";
import { addressIn, parseCidr } from "../shared/cidr.js";

/** Services' virtual IPs unless the leader is told otherwise (k3s' default too). */
export const DEFAULT_SERVICE_CIDR = "10.43.0.0/16";

/** Host ports chosen by the leader ("auto") and node ports come from this range unless the leader is told otherwise. */
export const DEFAULT_HOST_PORT_RANGE = { first: 30000, last: 32767 };

/** Where a service's virtual IP and node ports come from: the leader's settings. */
export interface ServiceAddressing {
  serviceCidr: string;
  /** Node ports come from the range of the pods' automatic host ports: one range for a firewall to open. */
  nodePortRange: { first: number; last: number };
}

export const portKey = (port: number, protocol: Protocol) => `${port}/${protocol}`;

/**
 * A new service's virtual IP: the first address of the CIDR that no service holds (its network and broadcast
 * addresses excepted), so a freed one is handed out again; or why there is none.
 */
export function allocateServiceIp(serviceCidr: string, taken: Iterable<string>): { address: string } | { problem: string } {
  const network = parseCidr(serviceCidr);
  if (!network || network.prefix > 30)
    return { problem: `the service CIDR "${serviceCidr}" is not an IPv4 network of at least 4 addresses (e.g. 10.43.0.0/16)` };
  const held = new Set(taken);
  const size = 2 ** (32 - network.prefix);
  for (let offset = 1; offset < size - 1; offset++) {
    const address = addressIn(network, offset);
    if (!held.has(address)) return { address };
  }
  return {
    problem: `every address of the service CIDR ${serviceCidr} is held (${size - 2} services): delete a service, or start the leader with a larger --service-cidr`,
  };
}

/**
 * A NodePort service's ports with their node ports: a port given is kept if free (else refused), one left out keeps
 * the one it had (`before`), else takes the first free of the range. `taken`: the node ports of the other services.
 */
export function resolveNodePorts(
  ports: ServicePort[],
  before: ServicePort[],
  taken: ReadonlySet<string>,
  range: ServiceAddressing["nodePortRange"],
): { ports: ServicePort[] } | { problem: string } {
  const held = new Set(taken);
  const fixed = ports.filter((p) => p.nodePort !== undefined);
  for (const p of fixed) {
    if (p.nodePort! < range.first || p.nodePort! > range.last) {
      return { problem: `node port ${p.nodePort} is outside the leader's range ${range.first}-${range.last}` };
    }
    if (held.has(portKey(p.nodePort!, p.protocol))) return { problem: `node port ${p.nodePort}/${p.protocol} is held by another service` };
    held.add(portKey(p.nodePort!, p.protocol));
  }
  const resolved: ServicePort[] = [];
  for (const p of ports) {
    if (p.nodePort !== undefined) {
      resolved.push(p);
      continue;
    }
    const had = before.find((b) => b.port === p.port && b.protocol === p.protocol)?.nodePort;
    let nodePort = had !== undefined && !held.has(portKey(had, p.protocol)) ? had : range.first;
    if (nodePort !== had) while (nodePort <= range.last && held.has(portKey(nodePort, p.protocol))) nodePort++;
    if (nodePort > range.last) return { problem: `no node port is free in ${range.first}-${range.last}/${p.protocol}` };
    held.add(portKey(nodePort, p.protocol));
    resolved.push({ ...p, nodePort });
  }
  return { ports: resolved };
}
