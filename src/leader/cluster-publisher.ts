import type { NameRecord, ServiceEntry, ServiceUpdate } from "../shared/domain.js";
import type { Logger } from "../shared/logger.js";
import type { EndpointGate } from "./endpoint-gate.js";
import { lookPaced } from "./paced-looks.js";
import { clusterNames, nameChanges, nameRecords, type NameTable } from "./pod-names.js";
import { EndpointCandidates, serviceEntries } from "./service-endpoints.js";
import type { StoredService } from "./store/service-store.js";
import type { PodSummary } from "./store/store-contract.js";

export interface ClusterPublisherSources {
  /** Moves whenever the leader writes anything. */
  version(): Promise<number>;
  summaries(): Promise<PodSummary[]>;
  services(): Promise<StoredService[]>;
}

export interface ClusterPublications {
  names(changes: NameRecord[]): void;
  services(update: ServiceUpdate): void;
}

/**
 * Keeps what every node must know of the cluster beyond its own pods, the names (clusterNames) and the services with
 * their ready endpoints, and pushes what changed to every node. It looks (paced-looks.ts: every 100 ms, less often
 * when a look is costly) and reads again only when the store's change counter moved, so an idle cluster costs a
 * counter read per look. Each change of the services has a version, which nodes acknowledge once their rules follow
 * it (the endpoint gate waits for that).
 */
export class ClusterPublisher {
  private names: NameTable = new Map();
  private services = new Map<string, { entry: ServiceEntry; json: string }>();
  private servicesVersion = 0;
  private looks?: { stop(): Promise<void> };
  private seen?: number;

  constructor(
    private readonly sources: ClusterPublisherSources,
    private readonly publish: ClusterPublications,
    private readonly gate: EndpointGate,
    private readonly log: Logger,
  ) {}

  /** Every name now, for a node whose stream opens. */
  nameRecords(): NameRecord[] {
    return nameRecords(this.names);
  }

  /** Every service now, for a node whose stream opens. */
  serviceTable(): ServiceUpdate {
    return { version: this.servicesVersion, complete: true, services: [...this.services.values()].map(({ entry }) => entry), removed: [] };
  }

  async start(): Promise<void> {
    await this.look();
    this.looks = lookPaced(
      () => this.look(),
      (error) => this.log.error(`cannot read the cluster's names and services: ${error.message}`),
    );
  }

  async stop(): Promise<void> {
    await this.looks?.stop();
  }

  private async look(): Promise<void> {
    this.gate.check();
    const version = await this.sources.version();
    if (version === this.seen) return;
    this.seen = version;
    const pods = await this.sources.summaries();
    const entries = serviceEntries(await this.sources.services(), new EndpointCandidates(pods));
    this.publishServices(entries, pods);
    const names = clusterNames(pods, entries);
    const changes = nameChanges(this.names, names);
    this.names = names;
    if (changes.length > 0) this.publish.names(changes);
  }

  private publishServices(entries: ServiceEntry[], pods: PodSummary[]): void {
    const changed: ServiceEntry[] = [];
    const next = new Map<string, { entry: ServiceEntry; json: string }>();
    for (const entry of entries) {
      const json = JSON.stringify(entry);
      if (this.services.get(entry.name)?.json !== json) changed.push(entry);
      next.set(entry.name, { entry, json });
    }
    const removed = [...this.services.keys()].filter((name) => !next.has(name));
    this.services = next;
    if (changed.length === 0 && removed.length === 0) return;
    this.servicesVersion++;
    this.publish.services({ version: this.servicesVersion, complete: false, services: changed, removed });
    const serving = new Set(entries.flatMap((entry) => entry.endpoints.map((endpoint) => endpoint.pod)));
    const byName = new Map(pods.map((pod) => [pod.name, pod]));
    this.gate.published(this.servicesVersion, serving, (name) => {
      const pod = byName.get(name);
      return pod?.deletionRequestedAt ? pod.node : undefined;
    });
  }
}
