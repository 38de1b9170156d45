import { formatCidr, parseCidr } from "../shared/cidr.js";

/** The pods' addresses unless the leader is told otherwise (k3s' default too). */
export const DEFAULT_POD_CIDR = "10.42.0.0/16";
/** Each node's share of them: 254 pods. */
export const NODE_SUBNET_PREFIX = 24;

/**
 * A node's pod subnet: the first subnet of `prefix` bits inside the cluster's CIDR that no node holds (`taken`), in
 * address order, so a freed one is handed out again; or why there is none.
 */
export function allocateSubnet(clusterCidr: string, prefix: number, taken: Iterable<string>): { subnet: string } | { problem: string } {
  const cluster = parseCidr(clusterCidr);
  if (!cluster) return { problem: `the pod CIDR "${clusterCidr}" is not an IPv4 network (e.g. 10.42.0.0/16)` };
  if (prefix < cluster.prefix || prefix > 30) return { problem: `a /${prefix} subnet does not fit in the pod CIDR ${clusterCidr}` };
  const held = new Set([...taken].map((subnet) => parseCidr(subnet)?.base));
  const size = 2 ** (32 - prefix);
  const count = 2 ** (prefix - cluster.prefix);
  for (let index = 0; index < count; index++) {
    const base = cluster.base + index * size;
    if (!held.has(base)) return { subnet: formatCidr({ base, prefix }) };
  }
  return {
    problem: `every /${prefix} subnet of the pod CIDR ${clusterCidr} is held (${count} nodes): remove a node, or start the leader with a larger --pod-cidr`,
  };
}
