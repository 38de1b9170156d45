import { alreadyExists } from "./refusals.js";
import { allocateSubnet, NODE_SUBNET_PREFIX } from "./allocate-subnet.js";
import { randomUUID } from "node:crypto";
import type { Clock } from "../shared/clock.js";
import type { NetworkPeer, NodeInfo, NodeStatus, PodNetworkBackend, PodNetworkSettings } from "../shared/domain.js";
import { parseHostPort } from "../shared/host-port.js";
import type { Logger } from "../shared/logger.js";
import type { StoredNode } from "./store/leader-store.js";
import type { LeaderStoreContract } from "./store/store-contract.js";

/** A node is Ready while its last sign of life is no older than the grace period. */
export function nodeStatusAt(lastSeenAt: number, now: number, graceMs: number): NodeStatus {
  return now - lastSeenAt <= graceMs ? "Ready" : "NotReady";
}

export interface JoinRequestInfo {
  name: string;
  nodeId: string;
  /** host:port of the node's Agent service, as the leader must dial it. */
  address: string;
  /** What the node says of itself; a node that says nothing has no labels and no capacity for requests. */
  labels?: Record<string, string>;
  cpuMillis?: number;
  memoryBytes?: number;
  /** The node's container engine (several nodes may share one: they share its host ports). */
  engineId?: string;
  /** The node of a leader standing by. */
  standbyLeader?: boolean;
}

interface LiveNode {
  /** lastHeartbeatAt is kept current in memory; the store gets it on status changes. */
  node: StoredNode;
  /** The node's current membership; none while it is NotReady (it must join again) or before it joined this leader. */
  sessionId?: string;
  /** What liveness is judged on: the last heartbeat, or the leader's start for a node that was Ready before it. */
  lastSeenAt: number;
}

export interface NodeRegistryOptions {
  graceMs: number;
  /** The node id of the leader's own agent: that node is the `Leader`. */
  leaderNodeId: string;
  /** The pods' addresses: a node is given a subnet of them when it first joins, and keeps it until removed. */
  podCidr: string;
  /** How nodes carry pod traffic to each other. */
  podNetwork: PodNetworkBackend;
}

/**
 * Membership and liveness of the cluster's nodes. Status changes are written to the store; heartbeats are kept
 * in memory only (a restarted leader gives every node a fresh grace period, as Kubernetes' node controller does).
 * A node is Ready only through a session that `join` opened; turning NotReady ends its session, so a node that was
 * cut off comes back by joining again (and is sent its pods anew), never by a late heartbeat of its old session.
 */
export class NodeRegistry {
  private readonly holds = new Map<string, string[]>();
  private readonly nodes = new Map<string, LiveNode>();

  private constructor(
    private readonly store: LeaderStoreContract,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: NodeRegistryOptions,
  ) {}

  static async load(store: LeaderStoreContract, clock: Clock, log: Logger, options: NodeRegistryOptions): Promise<NodeRegistry> {
    const registry = new NodeRegistry(store, clock, log, options);
    const startedAt = clock.now();
    for (const node of await store.nodes.listNodes()) {
      registry.nodes.set(node.name, { node, lastSeenAt: node.status === "Ready" ? startedAt : node.lastHeartbeatAt.getTime() });
    }
    return registry;
  }

  list(): NodeInfo[] {
    return [...this.nodes.values()].map(({ node: { nodeId: _nodeId, ...info } }) => info).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** What a node says it holds of secrets and configs (names only); kept in memory, told again at every session. */
  setHolds(name: string, refs: string[]): void {
    this.holds.set(name, refs);
  }

  holdsOf(name: string): string[] {
    return this.holds.get(name) ?? [];
  }

  status(name: string): NodeStatus | undefined {
    return this.nodes.get(name)?.node.status;
  }

  nodeId(name: string): string | undefined {
    return this.nodes.get(name)?.node.nodeId;
  }

  /** Accepts a node (new, or coming back) and opens a new session for it; refuses a second node with a live node's name. */
  async join(request: JoinRequestInfo): Promise<{ sessionId: string; node: StoredNode }> {
    const now = this.clock.now();
    const existing = this.nodes.get(request.name);
    if (existing && existing.node.nodeId !== request.nodeId && this.statusOf(existing, now) === "Ready") {
      throw alreadyExists(`node name "${request.name}" is already taken by a live node (${existing.node.address}); start this node with another --name`);
    }
    const node: StoredNode = {
      name: request.name,
      nodeId: request.nodeId,
      type: request.nodeId === this.options.leaderNodeId ? "Leader" : request.standbyLeader ? "Standby" : "Follower",
      address: request.address,
      status: "Ready",
      joinedAt: existing?.node.nodeId === request.nodeId ? existing.node.joinedAt : new Date(now),
      lastHeartbeatAt: new Date(now),
      labels: request.labels ?? {},
      cpuMillis: request.cpuMillis ?? 0,
      memoryBytes: request.memoryBytes ?? 0,
      engineId: request.engineId ?? "",
      // A cordon outlives the node's restarts: only an admin lifts it.
      cordoned: existing?.node.cordoned ?? false,
      podSubnet: existing?.node.podSubnet ?? this.freeSubnet(request.name),
    };
    const sessionId = randomUUID();
    this.nodes.set(node.name, { node, sessionId, lastSeenAt: now });
    await this.store.nodes.saveNode(node);
    if (!existing) this.log.info(`node ${node.name} (${node.type}, ${node.address}) joined`);
    else if (existing.node.status !== "Ready") this.log.info(`node ${node.name} is Ready again`);
    else this.log.info(`node ${node.name} re-joined`);
    return { sessionId, node };
  }

  /** A subnet for a node's pods that no other node holds; undefined, said, when none is left. */
  private freeSubnet(name: string): string | undefined {
    const held = [...this.nodes.values()].flatMap(({ node }) => (node.podSubnet ? [node.podSubnet] : []));
    const allocated = allocateSubnet(this.options.podCidr, NODE_SUBNET_PREFIX, held);
    if ("subnet" in allocated) return allocated.subnet;
    this.log.warn(`node ${name} joins without a pod subnet, and takes no pod until it has one (at a later join): ${allocated.problem}`);
    return undefined;
  }

  /**
   * The pod network as every node must set it up: each node that has a subnet, NotReady ones included (a node cut off
   * from the leader may still run pods its peers reach), at the host its Agent service is reached at.
   */
  podNetwork(): PodNetworkSettings {
    const peers: NetworkPeer[] = [];
    for (const { node } of this.nodes.values()) {
      if (!node.podSubnet) continue;
      peers.push({ node: node.name, address: parseHostPort(node.address, "node address").host, subnet: node.podSubnet, engineId: node.engineId ?? "" });
    }
    return { clusterCidr: this.options.podCidr, backend: this.options.podNetwork, peers: peers.sort((a, b) => a.node.localeCompare(b.node)) };
  }

  /** Cordons or uncordons a node; false when there is no such node. */
  async setCordoned(name: string, cordoned: boolean): Promise<boolean> {
    const live = this.nodes.get(name);
    if (!live) return false;
    live.node.cordoned = cordoned;
    await this.store.nodes.saveNode(live.node);
    this.log.info(`node ${name} ${cordoned ? "cordoned: it takes no new pod" : "uncordoned"}`);
    return true;
  }

  /** Forgets a node (an admin removed it), and revokes the key its name was bound to. */
  async remove(name: string): Promise<void> {
    this.nodes.delete(name);
    await this.store.nodes.removeNode(name, new Date(this.clock.now()));
    this.log.info(`node ${name} removed`);
  }

  /** Records a sign of life; false when the session is not the node's current one (the node must join again). */
  heartbeat(name: string, sessionId: string): boolean {
    const live = this.nodes.get(name);
    if (live?.sessionId !== sessionId) return false;
    live.lastSeenAt = this.clock.now();
    live.node.lastHeartbeatAt = new Date(live.lastSeenAt);
    return true;
  }

  /** Marks NotReady, ending their sessions, the nodes whose heartbeats stopped for longer than the grace period; returns them. */
  async checkLiveness(): Promise<string[]> {
    const now = this.clock.now();
    const lost: string[] = [];
    for (const live of this.nodes.values()) {
      if (live.node.status === "Ready" && this.statusOf(live, now) === "NotReady") {
        live.sessionId = undefined;
        await this.setStatus(live, "NotReady");
        this.log.warn(`node ${live.node.name} is NotReady: no heartbeat for ${Math.round((now - live.lastSeenAt) / 1000)}s`);
        lost.push(live.node.name);
      }
    }
    return lost;
  }

  /**
   * Gives every NotReady node a fresh grace period, as a restarted leader does: after a disruption, when the nodes
   * come back one by one, the last ones must not be taken for lost (and their pods moved) in the meantime.
   */
  renewGrace(): void {
    const now = this.clock.now();
    for (const live of this.nodes.values()) if (live.node.status === "NotReady") live.lastSeenAt = now;
  }

  /** Nodes NotReady for longer than the grace period plus `delayMs`: their pods are to move elsewhere. */
  lostNodes(delayMs: number): string[] {
    const now = this.clock.now();
    return [...this.nodes.values()]
      .filter((live) => live.node.status === "NotReady" && now - live.lastSeenAt >= this.options.graceMs + delayMs)
      .map((live) => live.node.name);
  }

  private statusOf(live: LiveNode, now: number): NodeStatus {
    return nodeStatusAt(live.lastSeenAt, now, this.options.graceMs);
  }

  private async setStatus(live: LiveNode, status: NodeStatus): Promise<void> {
    live.node = { ...live.node, status };
    await this.store.nodes.saveNode(live.node);
  }
}
