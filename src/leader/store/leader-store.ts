import type { Selectable } from "kysely";
import type { PodEvent, PodSpec, Resource } from "../../shared/domain.js";
import type { ManifestEntry } from "../../shared/manifest.js";
import { ChangeFeed } from "./change-feed.js";
import { DeploymentStore } from "./deployment-store.js";
import { DEFAULT_MAX_EVENTS_PER_POD, EventLog } from "./event-log.js";
import { leaderMigrations } from "./leader-migrations.js";
import { toEvent, type EventsTable } from "./leader-rows.js";
import { NodeStore } from "./node-store.js";
import { PodStore } from "./pod-store.js";
import { conflict } from "../refusals.js";
import { DEFAULT_HOST_PORT_RANGE, DEFAULT_SERVICE_CIDR, portKey, type ServiceAddressing } from "../service-addresses.js";
import { ServiceStore } from "./service-store.js";
import { KeyedStore } from "./keyed-store.js";
import { SecretsKeyring } from "../secrets/secrets-keyring.js";
import { IN_MEMORY } from "../../shared/open-database.js";
import { keyedRef } from "../../shared/pod-references.js";
import type { AppliedResource, LeaderStoreContract, NodeUpdate } from "./store-contract.js";
import { VolumeHomes } from "./volume-homes.js";
import { SqliteDatabase, type Sql, type StoreDatabase, type TransactionObserver } from "./store-database.js";
import { PostgresDatabase } from "./postgres-database.js";
import { postgresMigrations } from "./postgres-migrations.js";

export type { StoredNode, StoredPod } from "./leader-rows.js";
export type { AppliedResource, NodeAllocation, NodeUpdate, Placement, PodSummary } from "./store-contract.js";

const DEFAULT_ADDRESSING: ServiceAddressing = { serviceCidr: DEFAULT_SERVICE_CIDR, nodePortRange: DEFAULT_HOST_PORT_RANGE };

const EVENTS_OF = "select time, first_time, type, reason, message, node, count from events where pod_uid = ?";

/** Thrown at the end of a dry run's transaction so that it rolls back, carrying what it would have done. */
class RolledBackPreview extends Error {
  constructor(readonly results: AppliedResource[]) {
    super("dry run");
  }
}

/** Where the leader keeps its state: a SQLite file (or IN_MEMORY), or a PostgreSQL URL that several leaders share. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}

/**
 * The leader's durable state, in SQLite or PostgreSQL: one store per table (pods, deployments and their revisions, nodes, events, the
 * change feed), and what spans them in one transaction: an apply of pods and deployments, the nodes' reports.
 */
export class LeaderStore implements LeaderStoreContract {
  private readonly events: EventLog;
  readonly pods: PodStore;
  /** The deployments, in the same database (an apply of pods and deployments is one transaction). */
  readonly deployments: DeploymentStore;
  /** What watching clients read. */
  readonly feed: ChangeFeed;
  /** The nodes and the keys their names are bound to. */
  readonly nodes: NodeStore;
  readonly services: ServiceStore;
  /** Secrets (sealed with `keyring`) and configs. */
  readonly keyed: KeyedStore;

  private constructor(
    /** The engine under it (PostgreSQL's fences the writes of a leader whose term ended). */
    readonly database: StoreDatabase,
    maxEventsPerPod: number,
    addressing: ServiceAddressing,
    keyring: SecretsKeyring,
  ) {
    this.events = new EventLog(maxEventsPerPod);
    this.pods = new PodStore(database, this.events, new VolumeHomes(database));
    this.keyed = new KeyedStore(database, keyring);
    this.deployments = new DeploymentStore(database, (sql, refs) => this.keyed.contentIds(sql, refs));
    this.feed = new ChangeFeed(database);
    this.nodes = new NodeStore(database);
    this.services = new ServiceStore(database, addressing);
  }

  /**
   * `location`: a SQLite file (or IN_MEMORY), or a `postgres://` URL. `keyring`: what seals secrets (by default a key
   * of its own, in memory: for tests).
   */
  static async open(
    location: string,
    maxEventsPerPod = DEFAULT_MAX_EVENTS_PER_POD,
    addressing = DEFAULT_ADDRESSING,
    keyring = SecretsKeyring.open(IN_MEMORY),
  ): Promise<LeaderStore> {
    const database = isPostgresUrl(location)
      ? await PostgresDatabase.open(location, postgresMigrations)
      : await SqliteDatabase.open(location, leaderMigrations);
    return new LeaderStore(database, maxEventsPerPod, addressing, keyring);
  }

  /** Tells `observer` how long each transaction takes and of each event recorded (the leader's metrics). */
  observe(observer: { transaction: TransactionObserver; eventRecorded: (event: PodEvent) => void }): void {
    this.database.observeTransaction = observer.transaction;
    this.events.recorded = observer.eventRecorded;
  }

  async close(): Promise<void> {
    await this.database.close();
  }

  /**
   * Creates or updates every resource (pods and deployments) of a validated manifest in one transaction: all of them
   * or none, and concurrent applies of one name serialize (write transactions take turns), so they end with exactly one.
   */
  async applyResources(entries: ManifestEntry[], now: Date): Promise<AppliedResource[]> {
    return this.database.write((sql) => this.applying(sql, entries, now));
  }

  /** What `applyResources` would do, without doing it: the same transaction, rolled back at its end. */
  async previewResources(entries: ManifestEntry[], now: Date): Promise<AppliedResource[]> {
    try {
      await this.database.write(async (sql) => {
        throw new RolledBackPreview(await this.applying(sql, entries, now));
      });
    } catch (error) {
      if (error instanceof RolledBackPreview) return error.results;
      throw error;
    }
    throw new Error("a preview committed"); // cannot happen: the preview's work always throws
  }

  private async applying(sql: Sql, entries: ManifestEntry[], now: Date): Promise<AppliedResource[]> {
    const results: AppliedResource[] = [];
    // Secrets and configs first: a deployment applied with them hashes their new content, and rolls out only once.
    const changed = new Set<string>();
    for (const { resource } of entries) {
      if (resource.type !== "secret" && resource.type !== "config") continue;
      await sql.pause();
      const { outcome, contentChanged } = await this.keyed.applyOne(sql, resource, now);
      if (contentChanged) changed.add(keyedRef(resource.type, resource.metadata.name));
      results.push({ type: resource.type, name: resource.metadata.name, outcome, replaced: false });
    }
    for (const { resource, source } of entries) {
      if (resource.type === "secret" || resource.type === "config") continue;
      await sql.pause();
      const { name } = resource.metadata;
      results.push(
        resource.type === "deployment"
          ? { type: "deployment", name, ...(await this.deployments.applyOne(sql, resource, source, now)), replaced: false }
          : resource.type === "service"
            ? { type: "service", name, ...(await this.services.applyOne(sql, resource, source, now)), replaced: false }
            : { type: "pod", name, ...(await this.pods.applyOne(sql, resource, source, now)) },
      );
    }
    if (changed.size > 0) await this.deployments.followContent(sql, changed, now);
    await this.refusePortConflicts(
      sql,
      entries.map((entry) => entry.resource),
    );
    return results;
  }

  /**
   * A node port is open on every node: no pod may publish it as a host port, on any node. Checked once the apply's
   * resources are all written (inside its transaction: a conflict refuses the whole apply).
   */
  private async refusePortConflicts(sql: Sql, resources: Resource[]): Promise<void> {
    const nodePorts = await this.services.nodePortHolders(sql);
    if (nodePorts.size === 0) return;
    const hostPorts = resources.some((r) => r.type === "service") ? await this.services.hostPortHolders(sql) : new Map<string, string>();
    for (const resource of resources) {
      if (resource.type === "secret" || resource.type === "config") continue;
      const what = `${resource.type}/${resource.metadata.name}`;
      if (resource.type === "service") {
        for (const [port, holder] of nodePorts) {
          const pod = holder === resource.metadata.name ? hostPorts.get(port) : undefined;
          if (pod) throw conflict(`${what}: node port ${port} is published as a host port by pod/${pod}`);
        }
        continue;
      }
      const spec: PodSpec = resource.type === "pod" ? resource.spec : resource.spec.template.spec;
      for (const p of spec.containers.flatMap((c) => c.ports ?? [])) {
        if (typeof p.hostPort !== "number") continue;
        const service = nodePorts.get(portKey(p.hostPort, p.protocol));
        if (service) throw conflict(`${what}: host port ${p.hostPort}/${p.protocol} is service/${service}'s node port (open on every node)`);
      }
    }
  }

  /**
   * What nodes reported, in one transaction (group commit): statuses (kept only from the pod's own node), events
   * (once per node id and sequence, and only for pods that exist), removals (a deleting pod on that node is then
   * forgotten). A pod that became ready is ready since `now`. Returns the names of the pods forgotten.
   */
  async applyNodeUpdates(updates: NodeUpdate[], now: Date): Promise<string[]> {
    return this.database.write(async (sql) => {
      const forgotten: string[] = [];
      const events = this.events.batch(sql);
      for (const update of updates) {
        await sql.pause();
        if (update.kind === "status") await this.pods.saveStatus(sql, update.podUid, update.node, update.specHash, update.status, now);
        else if (update.kind === "event") await events.record(update.podUid, update.event, { nodeId: update.nodeId, sequence: update.sequence });
        else {
          const name = await this.pods.forgetRemoved(sql, update.podUid, update.node);
          if (name !== undefined) forgotten.push(name);
        }
      }
      await events.finish();
      return forgotten;
    });
  }

  async recordEvent(podUid: string, event: PodEvent): Promise<void> {
    await this.database.write((sql) => this.events.record(sql, podUid, event));
  }

  /** The events of a pod or a deployment, in time order. */
  async eventsOf(uid: string): Promise<PodEvent[]> {
    const rows = await this.database.read((sql) => sql.all<Selectable<EventsTable>>(`${EVENTS_OF} order by time, id`, uid));
    return rows.map(toEvent);
  }

  async lastEvent(uid: string): Promise<PodEvent | undefined> {
    const row = await this.database.read((sql) => sql.get<Selectable<EventsTable>>(`${EVENTS_OF} order by id desc limit 1`, uid));
    return row && toEvent(row);
  }
}
