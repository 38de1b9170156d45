import { VXLAN_PORT, type Protocol, type ServicePort } from "../shared/domain.js";
import { addressIn, parseCidr } from "../shared/cidr.js";

/** Services' virtual IPs unless the leader is told otherwise (k3s' default too). */
export const DEFAULT_SERVICE_CIDR = "10.43.0.0/16";

/** Host ports chosen by the leader ("auto") and node ports come from this range unless the leader is told otherwise. */
export const DEFAULT_HOST_PORT_RANGE = { first: 30000, last: 32767 };

export const portKey = (port: number, protocol: Protocol) => `${port}/${protocol}`;

/** Where a service's virtual IP and node ports come from: the leader's settings. */
export interface ServiceAddressing {
  serviceCidr: string;
  /** Node ports left out come from the range of the pods' automatic host ports: one range for a firewall to open. */
  nodePortRange: { first: number; last: number };
  /** Whether a node port below 1024 may be named (it would answer instead of the node's own ssh, dns or web server). */
  privilegedNodePorts?: boolean;
  /** The leader's API port (the nodes' own come from their addresses). */
  leaderPort?: number;
}

/**
 * The cluster's own ports, by "port/protocol", with what they are: the leader's API, each node's, VXLAN's. A node
 * port is caught on every node before any process sees it, so it must not be one of them.
 */
export function clusterPorts(leaderPort: number | undefined, nodes: { name: string; address: string }[]): Map<string, string> {
  const ports = new Map<string, string>([[portKey(VXLAN_PORT, "udp"), "VXLAN's, which carries pod traffic between nodes"]]);
  for (const node of nodes) {
    const port = Number(node.address.slice(node.address.lastIndexOf(":") + 1));
    if (Number.isInteger(port) && port > 0) ports.set(portKey(port, "tcp"), `node ${node.name}'s API port`);
  }
  if (leaderPort) ports.set(portKey(leaderPort, "tcp"), "the leader's API port");
  return ports;
}

/** The node ports a service may not take, by "port/protocol", with what holds them. */
export interface NodePortsTaken {
  /** Other services'. */
  services: ReadonlySet<string>;
  /** The cluster's own ports (the leader's API, the nodes', VXLAN): a node port would capture their traffic on every node. */
  cluster: ReadonlyMap<string, string>;
}

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
 * the one it had (`before`), else takes the first free of the range. A port given may lie outside the range (as a
 * Compose file's published port does under Swarm), but not below 1024 unless the leader allows it, and never on one
 * of the cluster's own ports.
 */
export function resolveNodePorts(
  ports: ServicePort[],
  before: ServicePort[],
  taken: NodePortsTaken,
  addressing: Pick<ServiceAddressing, "nodePortRange" | "privilegedNodePorts">,
): { ports: ServicePort[] } | { problem: string } {
  const range = addressing.nodePortRange;
  const held = new Set(taken.services);
  const fixed = ports.filter((p) => p.nodePort !== undefined);
  for (const p of fixed) {
    const key = portKey(p.nodePort!, p.protocol);
    if (p.nodePort! < 1024 && !addressing.privilegedNodePorts) {
      return {
        problem: `node port ${p.nodePort} is below 1024, where a node's own services listen (ssh, dns, a web server): name one from 1024 up (e.g. 8080), or start the leader with --allow-privileged-node-ports`,
      };
    }
    const own = taken.cluster.get(key);
    if (own) return { problem: `node port ${key} is ${own}: name another` };
    if (held.has(key)) return { problem: `node port ${key} is held by another service` };
    held.add(key);
  }
  const resolved: ServicePort[] = [];
  for (const p of ports) {
    if (p.nodePort !== undefined) {
      resolved.push(p);
      continue;
    }
    const free = (n: number) => !held.has(portKey(n, p.protocol)) && !taken.cluster.has(portKey(n, p.protocol));
    const had = before.find((b) => b.port === p.port && b.protocol === p.protocol)?.nodePort;
    let nodePort = had !== undefined && free(had) ? had : range.first;
    if (nodePort !== had) while (nodePort <= range.last && !free(nodePort)) nodePort++;
    if (nodePort > range.last) return { problem: `no node port is free in ${range.first}-${range.last}/${p.protocol}` };
    held.add(portKey(nodePort, p.protocol));
    resolved.push({ ...p, nodePort });
  }
  return { ports: resolved };
}
