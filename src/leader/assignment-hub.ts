import type { DesiredPod, KeyedValues, KeyedValuesUpdate, NameRecord, PodNetworkSettings, PodNetworkUpdate, PodSpec, ServiceUpdate } from "../shared/domain.js";
import { keyedRef, referencesOf } from "../shared/pod-references.js";
import type { Logger } from "../shared/logger.js";
import { pauseIfSliceUsed } from "../shared/time-slices.js";

/** A node's open sync stream, as the hub uses it. */
export interface NodeStream {
  send(pods: DesiredPod[]): void;
  sendNetwork(network: PodNetworkUpdate): void;
  /** Names for the node's DNS: `complete` replaces all it had. */
  sendNames(names: { complete: boolean; records: NameRecord[] }): void;
  /** Services for the node's rules: `complete` replaces all it had. */
  sendServices(services: ServiceUpdate): void;
  /** The secrets and configs its pods use: `complete` replaces all it had. */
  sendKeyed(update: KeyedValuesUpdate): void;
  /** Ends the stream: the node must join again. */
  end(reason: string): void;
}

/** Where the hub reads what each node must run (the leader's store). */
export interface DesiredPodSource {
  desiredFor(node: string): Promise<DesiredPod[]>;
}

/** Where the hub reads the secrets and configs a node's pods use (the leader's store). */
export interface KeyedValueSource {
  /** The content id of each of `refs` that exists. */
  currentIds(refs: string[]): Promise<Record<string, string>>;
  values(refs: string[]): Promise<KeyedValues[]>;
}

/**
 * Sends each connected node the complete set of pods placed on it, read from the store, whenever that set may have
 * changed. Changes that come together are coalesced into one message per node, and only the nodes concerned are told.
 * It also sends every node the pod network (its peers), the cluster's names and its services when the stream opens,
 * and again what changed. A pod being deleted is sent as running while the services still send it traffic (`holds`).
 */
export class AssignmentHub {
  private readonly streams = new Map<string, NodeStream>();
  /** What each connected node was sent of secrets and configs: content id by reference (absent: nothing sent yet). */
  private readonly keyedSent = new Map<string, Map<string, string>>();
  private readonly queued = new Set<string>();
  private flushing?: Promise<void>;
  /** The pod network as last sent to every node; a change is sent as what differs from it. */
  private network?: PodNetworkSettings;
  private networkQueued = false;

  constructor(
    private readonly source: DesiredPodSource,
    private readonly log: Logger,
    private readonly cluster: { network(): PodNetworkSettings; names(): NameRecord[]; services(): ServiceUpdate; holds(pod: string): boolean },
    private readonly keyed: KeyedValueSource,
  ) {}

  /** The nodes whose streams are open. */
  connectedNodes(): string[] {
    return [...this.streams.keys()];
  }

  /** Registers a node's stream (replacing an older one) and sends it its pods; returns the function that unregisters it. */
  connect(node: string, stream: NodeStream): () => void {
    this.streams.set(node, stream);
    this.keyedSent.delete(node);
    stream.sendNetwork({ ...this.cluster.network(), complete: true, removed: [] });
    stream.sendNames({ complete: true, records: this.cluster.names() });
    stream.sendServices(this.cluster.services());
    this.notify(node);
    return () => {
      if (this.streams.get(node) !== stream) return;
      this.streams.delete(node);
      this.keyedSent.delete(node);
    };
  }

  /** Ends a node's stream, if it has one: its session is over. */
  disconnect(node: string, reason: string): void {
    const stream = this.streams.get(node);
    this.streams.delete(node);
    this.keyedSent.delete(node);
    stream?.end(reason);
  }

  /** Ends every node's stream (the leader is stopping): they would otherwise hold its shutdown until its drain timeout. */
  disconnectAll(reason: string): void {
    for (const node of [...this.streams.keys()]) this.disconnect(node, reason);
  }

  /**
   * A node joined, left or changed address: every connected node is sent what changed, soon (changes that come
   * together, as nodes joining after a leader's restart, go as one message).
   */
  networkChanged(): void {
    if (this.networkQueued) return;
    this.networkQueued = true;
    setImmediate(() => {
      this.networkQueued = false;
      const network = this.cluster.network();
      const update = networkUpdate(this.network, network);
      this.network = network;
      if (update) for (const stream of this.streams.values()) stream.sendNetwork(update);
    });
  }

  /** Names came, went or changed address: every connected node is sent the changes. */
  namesChanged(records: NameRecord[]): void {
    const change = { complete: false, records }; // one object for every node: made into a message and encoded once
    for (const stream of this.streams.values()) stream.sendNames(change);
  }

  /** Services changed: every connected node is sent them. */
  servicesChanged(update: ServiceUpdate): void {
    for (const stream of this.streams.values()) stream.sendServices(update);
  }

  /** Secrets or configs changed: every connected node whose pods use them gets their new values, soon. */
  keyedChanged(): void {
    for (const node of this.streams.keys()) this.notify(node);
  }

  /** The set of pods `node` must run may have changed: it is sent again, soon. */
  notify(node: string): void {
    this.queued.add(node);
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    while (this.queued.size > 0) {
      const nodes = [...this.queued];
      this.queued.clear();
      for (const node of nodes) {
        const stream = this.streams.get(node);
        if (!stream) continue;
        await pauseIfSliceUsed();
        try {
          const pods = (await this.source.desiredFor(node)).map((pod) => (pod.deleting && this.cluster.holds(pod.name) ? { ...pod, deleting: false } : pod));
          // A stream that ended or was replaced meanwhile gets nothing: a new one is sent everything by its own turn. Values
          // that cannot be read (a key file replaced) hold back no pod: those pods wait as their values are missing.
          const keyed = await this.keyedUpdate(node, pods, stream).catch((error: Error) => {
            this.log.error(`cannot send node ${node} the secrets and configs its pods use: ${error.message}`);
            return undefined;
          });
          if (this.streams.get(node) !== stream) continue;
          if (keyed) stream.sendKeyed(keyed);
          stream.send(pods);
        } catch (error) {
          this.log.error(`cannot send node ${node} its pods: ${(error as Error).message}`);
        }
      }
    }
    this.flushing = undefined;
  }

  /**
   * What a node must be sent of secrets and configs for `pods`: those its running pods use that it lacks or has older,
   * and those none uses any more; undefined when nothing changed. Only these leave the store, opened.
   */
  private async keyedUpdate(node: string, pods: DesiredPod[], stream: NodeStream): Promise<KeyedValuesUpdate | undefined> {
    if (this.streams.get(node) !== stream) return undefined;
    const refs = [...new Set(pods.filter((pod) => !pod.deleting).flatMap((pod) => referencesOf(JSON.parse(pod.specJson) as PodSpec)))];
    const sent = this.keyedSent.get(node);
    const ids = refs.length === 0 ? {} : await this.keyed.currentIds(refs);
    const stale = Object.keys(ids).filter((ref) => sent?.get(ref) !== ids[ref]);
    const removed = [...(sent?.keys() ?? [])].filter((ref) => ids[ref] === undefined);
    if (sent && stale.length === 0 && removed.length === 0) return undefined;
    const items = stale.length === 0 ? [] : await this.keyed.values(stale);
    if (this.streams.get(node) !== stream) return undefined;
    const now = new Map(sent ?? []);
    for (const ref of removed) now.delete(ref);
    for (const item of items) now.set(keyedRef(item.kind, item.name), item.contentId);
    this.keyedSent.set(node, now);
    return { complete: !sent, items, removed };
  }
}

/** What changed from one pod network to the next (undefined: nothing); all of it when the CIDR or backend changed. */
export function networkUpdate(before: PodNetworkSettings | undefined, after: PodNetworkSettings): PodNetworkUpdate | undefined {
  if (!before || before.clusterCidr !== after.clusterCidr || before.backend !== after.backend) return { ...after, complete: true, removed: [] };
  const known = new Map(before.peers.map((peer) => [peer.node, JSON.stringify(peer)]));
  const peers = after.peers.filter((peer) => known.get(peer.node) !== JSON.stringify(peer));
  const removed = before.peers.filter((peer) => !after.peers.some((p) => p.node === peer.node)).map((peer) => peer.node);
  if (peers.length === 0 && removed.length === 0) return undefined;
  return { ...after, peers, removed, complete: false };
}
