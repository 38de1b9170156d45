import { isIPv4 } from "node:net";
import { CLUSTER_ZONE, type NetworkPeer, type PodNetworkSettings, type PodNetworkUpdate } from "../../shared/domain.js";
import { DnsServer, type ClusterNames } from "./dns-server.js";
import type { Logger } from "../../shared/logger.js";
import { addressIn, parseCidr } from "../../shared/cidr.js";
import { podNetworkIdentity } from "../container-labels.js";
import type { ContainerRuntime } from "../container-runtime.js";
import { ReconcileLoop } from "./reconcile-loop.js";
import { applyHostCommands, observeBridgePorts, observeHostNetwork, readLinks, uplinkOf, type RunCommand } from "./host-network.js";
import { planHairpin, planHostNetwork, podNetworkMtu, type HostNetworkDesired } from "./plan-host-network.js";

/** After a failure, the pod network is set up again this much later (and at every change from the leader). */
const RETRY_MS = 5000;

/** Where a node's pods' sandboxes go: the engine network, once it exists, and the DNS server they ask, once it listens. */
export interface SandboxNetwork {
  name: string;
  dns?: { servers: string[]; search: string[] };
}

/** What the pod sync needs to know of the node's pod network: absent, the node has none (the engine's default bridge). */
export interface PodNetworkState {
  name: string;
  /** The engine network exists: sandboxes can be made on it. */
  ready: boolean;
}

export interface PodNetworkDependencies {
  node: string;
  runtime: ContainerRuntime;
  store: { podNetwork(): Promise<PodNetworkSettings | undefined>; savePodNetwork(settings: PodNetworkSettings | undefined): Promise<void> };
  run: RunCommand;
  log: Logger;
  /** The cluster's names, which the node's DNS server answers. */
  names: Pick<ClusterNames, "addresses">;
  /** The network became ready or changed: pods waiting for it can go on. */
  changed: () => void;
}

const isLoopback = (address: string) => address.startsWith("127.") || address === "::1";

/**
 * The node's part of the pod network: the engine network its pods' sandboxes are on (its subnet, gateway .1, the MTU
 * the backend leaves), and on the host the routes, VXLAN device and firewall rules that carry pod traffic to the other
 * hosts (planned by planHostNetwork from what the host has). Set up from what the node last kept at its start, then at
 * every change the leader sends; one pass at a time, retried after a failure.
 */
export class PodNetwork {
  private settings?: PodNetworkSettings;
  private state?: PodNetworkState;
  /** The engine network as last made sure of: one that must change takes no new sandbox meanwhile. */
  private ensured?: string;
  /** The DNS server, on the gateway it listens on. */
  private dns?: { server: DnsServer; address: string };
  private readonly loop: ReconcileLoop;
  /** Hairpin mode on the sandboxes' links, set as they come (apart from the network's pass, which is heavier). */
  private readonly hairpin: ReconcileLoop;
  /** The host's bridge of the engine network. */
  private bridge?: string;
  /** Peers already said to be unreachable from here: each is said once. */
  private readonly unreachableSaid = new Set<string>();
  /**
   * Whether the leader has said who the peers are since this start. Until it has, the host's routes and rules stay as
   * they are (the node keeps only its own part: a restart neither cuts its pods off nor waits for the leader to run them).
   */
  private peersKnown = false;

  constructor(private readonly deps: PodNetworkDependencies) {
    this.loop = new ReconcileLoop({ what: "the pod network", pass: () => this.pass(), log: deps.log, retryMs: RETRY_MS });
    this.hairpin = new ReconcileLoop({
      what: "hairpin mode on the pods' links",
      pass: async () => {
        if (this.bridge) await applyHostCommands(deps.run, planHairpin(await observeBridgePorts(deps.run, this.bridge)));
      },
      log: deps.log,
      retryMs: RETRY_MS,
    });
  }

  /** A sandbox started on the network: its link gets hairpin mode (a pod may reach itself through a service). */
  sandboxStarted(): void {
    this.hairpin.trigger();
  }

  /** Sets up the node's own part that it kept from the leader's last word; resolves once that first pass is done. */
  async start(): Promise<void> {
    this.settings = await this.deps.store.podNetwork();
    this.loop.trigger();
    await this.loop.idle();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.hairpin.stop();
    this.closeDns();
  }

  /** The leader's word on the pod network (all of it, or what changed): set up; the node's own part kept. */
  async update(update: PodNetworkUpdate): Promise<void> {
    const { complete, removed, ...settings } = update;
    const before = this.settings;
    const peers = complete ? settings.peers : mergePeers(before?.peers ?? [], settings.peers, removed);
    this.settings = { ...settings, peers };
    this.peersKnown ||= complete;
    const own = ownPart(this.settings, this.deps.node);
    if (JSON.stringify(own) !== JSON.stringify(before && ownPart(before, this.deps.node))) await this.deps.store.savePodNetwork(own);
    this.loop.trigger();
  }

  /** The node left the cluster: everything of the pod network goes from the host (its pods are gone first). */
  async tearDown(): Promise<void> {
    this.settings = undefined;
    this.peersKnown = true;
    await this.deps.store.savePodNetwork(undefined);
    this.loop.trigger();
    await this.loop.idle();
  }

  /** Resolves once no pass runs (one asked meanwhile included). */
  async idle(): Promise<void> {
    await this.loop.idle();
  }

  /** For the pod sync's decisions. */
  current(): PodNetworkState | undefined {
    return this.state;
  }

  /** For a new sandbox: the network to put it on, once ready. */
  sandboxNetwork(): SandboxNetwork | undefined {
    if (!this.state?.ready) return undefined;
    const dns = this.dns && { servers: [this.dns.address], search: [CLUSTER_ZONE] };
    return { name: this.state.name, ...(dns ? { dns } : {}) };
  }

  private closeDns(): void {
    this.dns?.server.close();
    this.dns = undefined;
  }

  /** The DNS server on the gateway (the bridge's address on this host, set by the engine with the network). */
  private async listenDns(gateway: string): Promise<void> {
    if (this.dns?.address === gateway) return;
    this.closeDns();
    const server = new DnsServer(this.deps.names, this.deps.log);
    await server.listen(gateway);
    this.dns = { server, address: gateway };
    this.deps.log.info(`DNS for the cluster's names (${CLUSTER_ZONE}) on ${gateway}:53`);
  }

  /** Warns of the peers whose pods this node cannot reach, each once (a cluster of many would repeat them at every join). */
  private sayUnreachable(peers: NetworkPeer[], why: string): void {
    const fresh = peers.filter((peer) => !this.unreachableSaid.has(peer.node));
    for (const peer of fresh) this.unreachableSaid.add(peer.node);
    if (fresh.length === 0) return;
    const named = fresh.slice(0, 5).map((peer) => `${peer.node} (${peer.address})`);
    const more = fresh.length > named.length ? ` and ${fresh.length - named.length} more` : "";
    this.deps.log.warn(`the pods of ${named.join(", ")}${more} ${why}`);
  }

  private async pass(): Promise<void> {
    const { node, runtime, run, log } = this.deps;
    const settings = this.settings;
    const own = settings?.peers.find((peer) => peer.node === node);
    const identity = podNetworkIdentity(node);
    if (!settings || !own) {
      const had = this.state;
      this.state = undefined;
      this.ensured = undefined;
      this.bridge = undefined;
      this.closeDns();
      if (this.peersKnown) await applyHostCommands(run, planHostNetwork(node, undefined, await observeHostNetwork(run)));
      if (had) {
        await runtime.removeNetwork(identity.name);
        this.deps.changed();
      }
      return;
    }
    const links = await readLinks(run);
    const uplink = isLoopback(own.address) ? undefined : uplinkOf(links, own.address);
    const gateway = addressIn(parseCidr(own.subnet)!, 1);
    const spec = { ...identity, subnet: own.subnet, gateway, mtu: podNetworkMtu(settings.backend, uplink?.mtu ?? 1500) };
    // A network made anew (another subnet or MTU) loses its containers first: no sandbox may be made on it meanwhile.
    if (this.state?.name !== identity.name || this.ensured !== JSON.stringify(spec)) this.state = { name: identity.name, ready: false };
    this.bridge = (await runtime.ensureNetwork(spec)).bridge;
    this.hairpin.trigger();
    // Sandboxes get their resolver when made: the DNS server listens before the first is made (without it, they
    // still start, with the engine's resolvers only).
    await this.listenDns(gateway).catch((error: Error) => log.error(`cannot serve DNS on ${gateway}:53: ${error.message}`));
    const becameReady = !this.state.ready;
    this.state = { name: identity.name, ready: true };
    this.ensured = JSON.stringify(spec);
    if (becameReady) this.deps.changed();

    if (!this.peersKnown) return;
    // Nodes on this node's engine share its host (their subnets are its bridges'); the others are reached from its address.
    const remote = settings.peers.filter((peer) => peer.node !== node && !(own.engineId !== "" && peer.engineId === own.engineId));
    const reachable = uplink ? remote.filter((peer) => isIPv4(peer.address) && !isLoopback(peer.address)) : [];
    this.sayUnreachable(
      remote.filter((peer) => !reachable.includes(peer)),
      uplink
        ? "cannot be reached from here: only IPv4 addresses other than loopback are"
        : `cannot be reached from here: this node's address ${own.address} is on no interface of this host (or is loopback); give the node the address other hosts reach it at (--advertise, or the leader's --listen)`,
    );
    const desired: HostNetworkDesired = {
      clusterCidr: settings.clusterCidr,
      subnet: own.subnet,
      backend: settings.backend,
      address: own.address,
      uplink: uplink ?? { name: "lo", mtu: 1500 },
      peers: reachable,
    };
    const commands = planHostNetwork(node, desired, await observeHostNetwork(run, links));
    if (commands.length > 0) log.info(`pod network: ${[...new Set(commands.map((command) => command.reason))].join("; ")}`);
    await applyHostCommands(run, commands);
  }
}

/** The peers after a change: those new or changed replace theirs, those gone go. */
function mergePeers(before: NetworkPeer[], changed: NetworkPeer[], removed: string[]): NetworkPeer[] {
  const byNode = new Map(before.map((peer) => [peer.node, peer]));
  for (const name of removed) byNode.delete(name);
  for (const peer of changed) byNode.set(peer.node, peer);
  return [...byNode.values()].sort((a, b) => a.node.localeCompare(b.node));
}

/** What a node keeps of the pod network: the cluster's CIDR and backend, and its own subnet and address. */
function ownPart(settings: PodNetworkSettings, node: string): PodNetworkSettings {
  return { ...settings, peers: settings.peers.filter((peer) => peer.node === node) };
}
