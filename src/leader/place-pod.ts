import type { NodeStatus, Protocol } from "../shared/domain.js";
import { formatCpu, formatMemory } from "../shared/quantities.js";

/** A host port a pod publishes: a fixed one, or "auto" (the leader picks a free one in its range). */
export interface HostPortNeed {
  hostPort: number | "auto";
  protocol: Protocol;
  /** Undefined: every address of the node. */
  hostIP?: string;
}

/** What placement must know of a pod. */
export interface PodNeeds {
  cpuMillis: number;
  memoryBytes: number;
  hostPorts: HostPortNeed[];
  nodeSelector: Record<string, string>;
  /** The node that holds the pod's persistent volumes, if they exist already: the pod can run nowhere else. */
  boundTo?: string;
  /** The deployment it belongs to: its replicas go to different nodes first. */
  owner?: string;
}

/** A host port taken on a node: by port, protocol and address ("*" for every address). */
export interface TakenPort {
  hostPort: number;
  protocol: Protocol;
  hostIP: string;
}

export interface PlacementCandidate {
  name: string;
  status: NodeStatus;
  /** Takes no new pod. */
  cordoned?: boolean;
  /** Has no pod subnet (the pod CIDR had none left when it joined): takes no pod, which no other pod could reach. */
  noPodSubnet?: boolean;
  labels: Record<string, string>;
  capacity: { cpuMillis: number; memoryBytes: number };
  /** The sums of what the node's live pods request, and how many they are. */
  allocated: { cpuMillis: number; memoryBytes: number; pods: number };
  takenPorts: TakenPort[];
  /** How many pods of each deployment the node runs. */
  owners?: Map<string, number>;
}

/** spread: the least allocated node (the default); binpack: the most allocated that fits. */
export type PlacementPolicy = "spread" | "binpack";

export interface PlacementSettings {
  policy: PlacementPolicy;
  /** Where "auto" host ports are taken from, inclusive. */
  hostPortRange: { first: number; last: number };
}

/** A pod's placement: its node and the host port chosen for each "auto" one (in the order of `needs.hostPorts`). */
export type Placement = { node: string; autoPorts: number[] } | { reason: string };

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const NO_PORTS = { auto: [] };

const conflicts = (taken: TakenPort, port: number, protocol: Protocol, hostIP: string) =>
  taken.hostPort === port && taken.protocol === protocol && (taken.hostIP === "*" || hostIP === "*" || taken.hostIP === hostIP);

/** The host ports the pod would take on the node (the lowest free ones for "auto"), or the first that is taken. */
function hostPortsOn(node: PlacementCandidate, needs: PodNeeds, settings: PlacementSettings): { auto: number[] } | { taken: string } {
  if (needs.hostPorts.length === 0) return NO_PORTS;
  const taken = [...node.takenPorts];
  const auto: number[] = [];
  for (const need of needs.hostPorts.filter((n) => n.hostPort !== "auto")) {
    const hostIP = need.hostIP ?? "*";
    if (taken.some((t) => conflicts(t, need.hostPort as number, need.protocol, hostIP))) return { taken: `host port ${need.hostPort}/${need.protocol}` };
    taken.push({ hostPort: need.hostPort as number, protocol: need.protocol, hostIP });
  }
  for (const need of needs.hostPorts.filter((n) => n.hostPort === "auto")) {
    const hostIP = need.hostIP ?? "*";
    let port = settings.hostPortRange.first;
    while (port <= settings.hostPortRange.last && taken.some((t) => conflicts(t, port, need.protocol, hostIP))) port++;
    if (port > settings.hostPortRange.last)
      return { taken: `a free host port in ${settings.hostPortRange.first}-${settings.hostPortRange.last}/${need.protocol}` };
    taken.push({ hostPort: port, protocol: need.protocol, hostIP });
    auto.push(port);
  }
  return { auto };
}

/** How full the node would be with the pod: the mean of its CPU and memory shares (Kubernetes' LeastAllocated). */
function loadWith(node: PlacementCandidate, needs: PodNeeds): number {
  const share = (used: number, capacity: number) => (capacity > 0 ? used / capacity : 0);
  return (
    (share(node.allocated.cpuMillis + needs.cpuMillis, node.capacity.cpuMillis) +
      share(node.allocated.memoryBytes + needs.memoryBytes, node.capacity.memoryBytes)) /
    2
  );
}

/**
 * Where a pod goes: among the Ready nodes that match its node selector (and its volumes' node), have its host ports
 * free and the CPU and memory it requests, the least allocated (spread) or the most (binpack); then the one with
 * fewest pods, then by name, so the choice is deterministic. When none fits, why: for each kind of shortfall, what
 * the pod needs and the most any node offers.
 */
export function placePod(needs: PodNeeds, candidates: PlacementCandidate[], settings: PlacementSettings): Placement {
  if (candidates.length === 0) return { reason: "no node has joined the cluster" };
  if (needs.boundTo && !candidates.some((node) => node.name === needs.boundTo)) {
    return { reason: `its persistent volumes are on node ${needs.boundTo}, which is not in the cluster` };
  }
  const ready = candidates.filter((node) => node.status === "Ready" && !node.cordoned && !node.noPodSubnet && (!needs.boundTo || node.name === needs.boundTo));
  if (ready.length === 0) {
    if (needs.boundTo) {
      const home = candidates.find((node) => node.name === needs.boundTo)!;
      const why = home.status !== "Ready" ? "not Ready" : home.cordoned ? "cordoned" : "without a pod subnet";
      return { reason: `its persistent volumes are on node ${needs.boundTo}, which is ${why}` };
    }
    const cordoned = candidates.filter((node) => node.cordoned).length;
    const unaddressed = candidates.filter((node) => node.noPodSubnet && !node.cordoned).length;
    const held = [...(cordoned > 0 ? [`${cordoned} cordoned`] : []), ...(unaddressed > 0 ? [`${unaddressed} without a pod subnet`] : [])];
    return { reason: `0/${candidates.length} nodes are Ready${held.length > 0 ? ` and schedulable (${held.join(", ")})` : ""}` };
  }
  const selector = Object.entries(needs.nodeSelector);
  const matching = ready.filter((node) => selector.every(([key, value]) => node.labels[key] === value));
  if (matching.length === 0) {
    return { reason: `no Ready node matches its nodeSelector ${selector.map(([key, value]) => `${key}=${value}`).join(",")}` };
  }

  // The nodes with the CPU and memory, each with its load once placed; then, best first, the first whose host ports
  // are free (checking ports is the costly part: placement runs for every pod over every node).
  const shortfalls: string[] = [];
  const roomy: { node: PlacementCandidate; load: number }[] = [];
  const sign = settings.policy === "binpack" ? -1 : 1;
  for (const node of matching) {
    if (needs.cpuMillis > node.capacity.cpuMillis - node.allocated.cpuMillis) shortfalls.push("cpu");
    else if (needs.memoryBytes > node.capacity.memoryBytes - node.allocated.memoryBytes) shortfalls.push("memory");
    else roomy.push({ node, load: sign * loadWith(node, needs) });
  }
  // A deployment's replicas spread first (fewest of them on the node), then the policy decides.
  const siblings = (node: PlacementCandidate) => (needs.owner ? (node.owners?.get(needs.owner) ?? 0) : 0);
  const better = (a: { node: PlacementCandidate; load: number }, b: { node: PlacementCandidate; load: number }) =>
    siblings(a.node) - siblings(b.node) || a.load - b.load || a.node.allocated.pods - b.node.allocated.pods || byName(a.node, b.node);
  while (roomy.length > 0) {
    let best = 0;
    for (let i = 1; i < roomy.length; i++) if (better(roomy[i], roomy[best]) < 0) best = i;
    const ports = hostPortsOn(roomy[best].node, needs, settings);
    if ("auto" in ports) return { node: roomy[best].node.name, autoPorts: ports.auto };
    shortfalls.push("ports");
    roomy.splice(best, 1);
  }
  return { reason: whyNothingFits(needs, matching, settings, shortfalls) };
}

function whyNothingFits(needs: PodNeeds, nodes: PlacementCandidate[], settings: PlacementSettings, shortfalls: string[]): string {
  const reasons: string[] = [];
  const count = (kind: string) => shortfalls.filter((s) => s === kind).length;
  const largest = (free: (node: PlacementCandidate) => number) => [...nodes].sort((a, b) => free(b) - free(a) || byName(a, b))[0];
  if (count("ports") > 0) {
    const taken = nodes.map((node) => hostPortsOn(node, needs, settings)).find((ports) => "taken" in ports) as { taken: string };
    reasons.push(`${taken.taken} is taken on ${count("ports")} of ${nodes.length} nodes`);
  }
  if (count("cpu") > 0) {
    const node = largest((n) => n.capacity.cpuMillis - n.allocated.cpuMillis);
    reasons.push(
      `insufficient cpu: needs ${formatCpu(needs.cpuMillis)}, largest free ${formatCpu(Math.max(0, node.capacity.cpuMillis - node.allocated.cpuMillis))} on ${node.name}`,
    );
  }
  if (count("memory") > 0) {
    const node = largest((n) => n.capacity.memoryBytes - n.allocated.memoryBytes);
    reasons.push(
      `insufficient memory: needs ${formatMemory(needs.memoryBytes)}, largest free ${formatMemory(Math.max(0, node.capacity.memoryBytes - node.allocated.memoryBytes))} on ${node.name}`,
    );
  }
  return reasons.join("; ");
}
