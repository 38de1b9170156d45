import { VXLAN_PORT, type NetworkPeer, type PodNetworkBackend } from "../../shared/domain.js";
import { addressIn, parseCidr } from "../../shared/cidr.js";

/** The VXLAN device and its id (its port is VXLAN_PORT), one device per host. */
export const VXLAN_DEVICE = "cube.1";
export const VXLAN_ID = 1;
/** What VXLAN adds to each packet (outer Ethernet, IP, UDP and VXLAN headers). */
export const VXLAN_OVERHEAD = 50;
/** The routing protocol number Cube's routes carry, so that they are told from every other route. */
export const ROUTE_PROTOCOL = 67;

/** What this host must carry for the pod network: its node's part, and the other hosts' nodes to route to. */
export interface HostNetworkDesired {
  clusterCidr: string;
  /** The node's pod subnet. */
  subnet: string;
  backend: PodNetworkBackend;
  /** The host's address toward the others (VXLAN's local end). */
  address: string;
  /** The interface that holds `address`, and its MTU. */
  uplink: { name: string; mtu: number };
  /** Nodes on other hosts, reachable from `address`. */
  peers: Pick<NetworkPeer, "address" | "subnet">[];
}

export interface ObservedVxlan {
  local?: string;
  id: number;
  port: number;
  mtu: number;
  mac: string;
  up: boolean;
  /** Its IPv4 addresses, as CIDRs. */
  addresses: string[];
}

export interface ObservedRoute {
  dst: string;
  gateway?: string;
  dev: string;
  onlink: boolean;
}

/** An iptables rule: its table and chain, and its specification as `iptables -S` prints it, in words. */
export interface FirewallRule {
  table: "filter" | "nat";
  chain: string;
  spec: string[];
}

/** What the host has now of what Cube manages: the VXLAN device and what hangs on it, Cube's routes, the node's rules. */
export interface HostNetworkObserved {
  vxlan?: ObservedVxlan;
  /** Routes with Cube's protocol number. */
  routes: ObservedRoute[];
  /** Neighbour entries of the VXLAN device. */
  neighbours: { dst: string; mac: string }[];
  /** Forwarding entries of the VXLAN device that send to a remote host. */
  forwarding: { mac: string; dst: string }[];
  /** The node's firewall rules (those with its comment). */
  rules: FirewallRule[];
}

/** Routes, rules, links: the commands that bring the host to what is desired, in order, each with why. */
export interface HostCommand {
  argv: string[];
  reason: string;
}

/** The comment that marks a node's firewall rules. */
export function ruleComment(node: string): string {
  return `cube-pods:${node}`;
}

/** A subnet's VXLAN endpoint address (its network address, as flannel does) and MAC (from that address, so no one has to tell it). */
export function vtepOf(subnet: string): { address: string; mac: string } {
  const network = parseCidr(subnet)!;
  const address = addressIn(network, 0);
  const mac = ["0a", "58", ...address.split(".").map((octet) => Number(octet).toString(16).padStart(2, "0"))].join(":");
  return { address, mac };
}

/** The MTU of the pods' network: the uplink's, less what VXLAN adds; a loopback uplink carries nothing between hosts. */
export function podNetworkMtu(backend: PodNetworkBackend, uplinkMtu: number): number {
  const mtu = Math.min(uplinkMtu, 1500);
  return backend === "vxlan" ? mtu - VXLAN_OVERHEAD : mtu;
}

/**
 * The node's firewall rules. Docker (before 28) drops forwarded traffic to a container unless it is to a published
 * port: traffic between pods, from and to the node's subnet, is let through (DOCKER-USER comes first), and so is a
 * service's traffic to a pod, whoever the client. Pods reaching
 * outside the pod CIDR are masqueraded behind the host; pods see each other's real addresses.
 */
export function desiredRules(node: string, subnet: string, clusterCidr: string): FirewallRule[] {
  const comment = ["-m", "comment", "--comment", ruleComment(node)];
  return [
    { table: "filter", chain: "DOCKER-USER", spec: ["-s", subnet, "-d", clusterCidr, ...comment, "-j", "ACCEPT"] },
    { table: "filter", chain: "DOCKER-USER", spec: ["-s", clusterCidr, "-d", subnet, ...comment, "-j", "ACCEPT"] },
    // A service's traffic DNATed to a pod (a node port's client may be anywhere), both ways.
    { table: "filter", chain: "DOCKER-USER", spec: ["-m", "conntrack", "--ctstate", "DNAT", "--ctreplsrc", clusterCidr, ...comment, "-j", "ACCEPT"] },
    { table: "nat", chain: "POSTROUTING", spec: ["-s", subnet, "!", "-d", clusterCidr, ...comment, "-j", "MASQUERADE"] },
  ];
}

const ruleKey = (rule: FirewallRule) => [rule.table, rule.chain, ...rule.spec].join(" ");

function planRules(desired: FirewallRule[], observed: FirewallRule[]): HostCommand[] {
  const wanted = new Set(desired.map(ruleKey));
  const present = new Set(observed.map(ruleKey));
  const commands: HostCommand[] = [];
  for (const rule of observed) {
    if (!wanted.has(ruleKey(rule))) commands.push({ argv: ["iptables", "-t", rule.table, "-D", rule.chain, ...rule.spec], reason: "a rule no longer wanted" });
  }
  for (const rule of desired) {
    if (present.has(ruleKey(rule))) continue;
    // Docker's DOCKER-USER ends in RETURN: a rule must come before it.
    const where = rule.chain === "DOCKER-USER" ? ["-I", rule.chain, "1"] : ["-A", rule.chain];
    commands.push({ argv: ["iptables", "-t", rule.table, ...where, ...rule.spec], reason: "a missing rule" });
  }
  return commands;
}

interface DesiredRoute {
  dst: string;
  gateway: string;
  /** Set for VXLAN routes: through the device, to a gateway that only it knows (onlink). */
  dev?: string;
}

function planRoutes(desired: DesiredRoute[], observed: ObservedRoute[], deviceRecreated: boolean): HostCommand[] {
  const commands: HostCommand[] = [];
  const same = (route: ObservedRoute, wanted: DesiredRoute) =>
    route.gateway === wanted.gateway && (wanted.dev === undefined || (route.dev === wanted.dev && route.onlink));
  for (const route of observed) {
    // Routes through a device that goes away go with it.
    if (deviceRecreated && route.dev === VXLAN_DEVICE) continue;
    if (!desired.some((wanted) => wanted.dst === route.dst)) {
      commands.push({ argv: ["ip", "route", "del", route.dst, "proto", String(ROUTE_PROTOCOL)], reason: `no node has ${route.dst} any more` });
    }
  }
  for (const wanted of desired) {
    const current = deviceRecreated && wanted.dev ? undefined : observed.find((route) => route.dst === wanted.dst);
    if (current && same(current, wanted)) continue;
    const through = wanted.dev ? ["dev", wanted.dev, "onlink"] : [];
    commands.push({
      argv: ["ip", "route", "replace", wanted.dst, "via", wanted.gateway, ...through, "proto", String(ROUTE_PROTOCOL)],
      reason: current ? `the route to ${wanted.dst} changed` : `a node has ${wanted.dst}`,
    });
  }
  return commands;
}

/** The VXLAN device: made when missing or different in what cannot change in place. */
function planDevice(desired: HostNetworkDesired, observed: ObservedVxlan | undefined): { commands: HostCommand[]; recreated: boolean } {
  const own = vtepOf(desired.subnet);
  const mtu = podNetworkMtu("vxlan", desired.uplink.mtu);
  const commands: HostCommand[] = [];
  const fits = observed && observed.local === desired.address && observed.id === VXLAN_ID && observed.port === VXLAN_PORT && observed.mac === own.mac;
  if (!fits) {
    if (observed) commands.push({ argv: ["ip", "link", "del", VXLAN_DEVICE], reason: "the VXLAN device is set up otherwise" });
    commands.push({
      argv: [
        ...["ip", "link", "add", VXLAN_DEVICE, "address", own.mac, "mtu", String(mtu), "type", "vxlan", "id", String(VXLAN_ID)],
        ...["local", desired.address, "dev", desired.uplink.name, "dstport", String(VXLAN_PORT), "nolearning"],
      ],
      reason: observed ? "the VXLAN device is made anew" : "the node has peers on other hosts",
    });
  } else if (observed.mtu !== mtu) {
    commands.push({ argv: ["ip", "link", "set", VXLAN_DEVICE, "mtu", String(mtu)], reason: `the MTU is ${mtu}` });
  }
  const address = `${own.address}/32`;
  if (!fits || !observed.addresses.includes(address)) {
    commands.push({ argv: ["ip", "addr", "add", address, "dev", VXLAN_DEVICE], reason: "the device's address (routes to peers need one)" });
  }
  if (!fits || !observed.up) commands.push({ argv: ["ip", "link", "set", VXLAN_DEVICE, "up"], reason: "the device must be up" });
  return { commands, recreated: !fits };
}

/** What each peer's VXLAN endpoint needs on the device: its MAC's neighbour entry, and where to send frames for it. */
function planEndpoints(desired: HostNetworkDesired, observed: HostNetworkObserved, recreated: boolean): HostCommand[] {
  const endpoints = desired.peers.map((peer) => ({ ...vtepOf(peer.subnet), host: peer.address }));
  const neighbours = recreated ? [] : observed.neighbours;
  const forwarding = recreated ? [] : observed.forwarding;
  const commands: HostCommand[] = [];
  for (const entry of forwarding) {
    if (!endpoints.some((endpoint) => endpoint.mac === entry.mac && endpoint.host === entry.dst)) {
      commands.push({ argv: ["bridge", "fdb", "del", entry.mac, "dev", VXLAN_DEVICE, "dst", entry.dst], reason: "a peer left or moved" });
    }
  }
  for (const entry of neighbours) {
    if (!endpoints.some((endpoint) => endpoint.address === entry.dst && endpoint.mac === entry.mac)) {
      commands.push({ argv: ["ip", "neigh", "del", entry.dst, "dev", VXLAN_DEVICE], reason: "a peer left" });
    }
  }
  for (const endpoint of endpoints) {
    if (!forwarding.some((entry) => entry.mac === endpoint.mac && entry.dst === endpoint.host)) {
      commands.push({
        argv: ["bridge", "fdb", "replace", endpoint.mac, "dev", VXLAN_DEVICE, "dst", endpoint.host, "self", "permanent"],
        reason: `the peer at ${endpoint.host}`,
      });
    }
    if (!neighbours.some((entry) => entry.dst === endpoint.address && entry.mac === endpoint.mac)) {
      commands.push({
        argv: ["ip", "neigh", "replace", endpoint.address, "lladdr", endpoint.mac, "dev", VXLAN_DEVICE, "nud", "permanent"],
        reason: `the peer at ${endpoint.host}`,
      });
    }
  }
  return commands;
}

/**
 * The commands that bring the host from what it has to what the pod network needs: a pure function, run at every
 * start and on every change of the peers. Undefined `desired` tears down all of it (the node left the cluster, or
 * has no subnet).
 * VXLAN: one device, and for each peer a route through it to the peer's endpoint, the endpoint's MAC and the host
 * behind it; host-gw: a route to each peer's subnet through the peer's own address. Nothing when all is in place.
 */
export function planHostNetwork(node: string, desired: HostNetworkDesired | undefined, observed: HostNetworkObserved): HostCommand[] {
  // Each node's agent owns its own rules, named by their comment (nodes that share a host share its tables).
  const rules = desired ? desiredRules(node, desired.subnet, desired.clusterCidr) : [];
  const ruleCommands = planRules(
    rules,
    observed.rules.filter((rule) => rule.spec.includes(ruleComment(node))),
  );
  const vxlan = desired?.backend === "vxlan" && desired.peers.length > 0;
  if (!desired || !vxlan) {
    const commands: HostCommand[] = [];
    if (observed.vxlan) commands.push({ argv: ["ip", "link", "del", VXLAN_DEVICE], reason: "no peer is reached over VXLAN" });
    const routes = desired ? desired.peers.map((peer) => ({ dst: peer.subnet, gateway: peer.address })) : [];
    commands.push(...planRoutes(routes, observed.vxlan ? observed.routes.filter((r) => r.dev !== VXLAN_DEVICE) : observed.routes, false));
    return [...commands, ...ruleCommands];
  }
  const device = planDevice(desired, observed.vxlan);
  const routes = desired.peers.map((peer) => ({ dst: peer.subnet, gateway: vtepOf(peer.subnet).address, dev: VXLAN_DEVICE }));
  return [...device.commands, ...planEndpoints(desired, observed, device.recreated), ...planRoutes(routes, observed.routes, device.recreated), ...ruleCommands];
}

/** A port of the pods' bridge (a sandbox's end of its link), as `ip -d link` shows it. */
export interface BridgePort {
  name: string;
  hairpin: boolean;
}

/**
 * Hairpin mode on every port of the pods' bridge: a pod that reaches itself through a service's virtual IP has its
 * packet DNATed back to itself, and a bridge sends a frame back out of the port it came in only in that mode (as
 * kubelet's hairpin-veth and the CNI bridge plugin set it).
 */
export function planHairpin(ports: BridgePort[]): HostCommand[] {
  return ports
    .filter((port) => !port.hairpin)
    .map((port) => ({ argv: ["ip", "link", "set", "dev", port.name, "type", "bridge_slave", "hairpin", "on"], reason: `a sandbox's link (${port.name})` }));
}
