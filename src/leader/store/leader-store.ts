import { conflict } from "../refusals.js";
import { randomUUID } from "node:crypto";
import type { Selectable } from "kysely";
import type { ApplyOutcome, DesiredPod, PodEvent, PodStatusReport, PublishedPort, ResourceType } from "../../shared/domain.js";
import type { ManifestEntry } from "../../shared/manifest.js";
import { canonicalJson, specHash } from "../spec-hash.js";
import { openDatabase, SqliteStore, type OpenedDatabase } from "../../shared/open-database.js";
import { ChangeFeed } from "./change-feed.js";
import { NodeStore } from "./node-store.js";
import { DeploymentStore } from "./deployment-store.js";
import { DEFAULT_MAX_EVENTS_PER_POD, EventLog } from "./event-log.js";
import { leaderMigrations } from "./leader-migrations.js";
import { toEvent, toStoredPod, type LeaderSchema, type PodsTable, type StoredPod } from "./leader-rows.js";
import { keptAutoPorts, podNeeds, podRequests, publishedPorts } from "../pod-needs.js";

export type { StoredNode, StoredPod } from "./leader-rows.js";

/** What a node's live pods take of it. */
export interface NodeAllocation {
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
  hostPorts: PublishedPort[];
  /** How many pods of each deployment. */
  owners: Map<string, number>;
}

export type PodSummary = Pick<StoredPod, "name" | "labels" | "hostPorts" | "node" | "createdAt" | "deletionRequestedAt" | "status">;

export interface Placement {
  uid: string;
  /** Where the pod was seen: undefined for an unplaced pod. */
  from?: string;
  node: string;
  hostPorts: PublishedPort[];
  /** The pod keeps persistent volumes: they live on this node from now on. */
  volumesHome?: string;
  event: PodEvent;
}

/** Something a node reported, as the leader stores it. */
export type NodeUpdate =
  | { kind: "status"; node: string; podUid: string; specHash: string; status: PodStatusReport }
  | { kind: "event"; nodeId: string; podUid: string; event: PodEvent; sequence: number }
  | { kind: "removed"; node: string; podUid: string };

/** What an apply did to one resource; `replaced`: a pod's new spec needs what its node may not offer: placed anew. */
export interface AppliedResource {
  type: ResourceType;
  name: string;
  /** Where it was placed before this apply. */
  node?: string;
  outcome: ApplyOutcome;
  replaced: boolean;
  /** A deployment's revision that this apply made (none for a change of replicas only). */
  revision?: number;
}

/** The statements of the leader's hot paths, prepared once. */
const STATEMENTS = {
  desiredPods:
    "select uid, name, labels_json, spec_json, run_hash as spec_hash, deletion_requested_at, host_ports_json, purge from pods where node = ? order by name",
  unscheduledPods: "select * from pods where node is null and deletion_requested_at is null order by created_at",
  podByName: "select uid, node, spec_json, spec_hash, labels_json, deletion_requested_at, host_ports_json from pods where name = ?",
  insertPod:
    "insert into pods (uid, name, labels_json, spec_json, spec_hash, run_hash, manifest_json, node, created_at, deletion_requested_at, status_json, status_spec_hash, cpu_millis, memory_bytes) values (?, ?, ?, ?, ?, ?, ?, null, ?, null, null, null, ?, ?)",
  // A pod whose new spec needs what its node may not offer (other requests, host ports or node selector) is placed anew.
  updatePodSpec:
    "update pods set labels_json = ?, spec_json = ?, spec_hash = ?, run_hash = ?, manifest_json = ?, cpu_millis = ?, memory_bytes = ?, node = ?, host_ports_json = ? where uid = ?",
  assignPod:
    "update pods set node = ?, host_ports_json = ?, status_json = null, status_spec_hash = null where uid = ? and node is ? and deletion_requested_at is null",
  bindVolumesHome: "insert into volume_homes (pod_name, node) values (?, ?) on conflict (pod_name) do nothing",
  restartPod: "update pods set run_hash = spec_hash || ?, status_json = null, status_spec_hash = null where uid = ? and deletion_requested_at is null",
  // Ready since: kept while the node says the pod is ready, what a deployment's "available" is judged on.
  saveStatus:
    "update pods set status_json = ?, status_spec_hash = ?, ready_since = case when ? = 1 then coalesce(ready_since, ?) else null end where uid = ? and node = ?",
  deletingPod: "select uid, name, purge from pods where uid = ? and node = ? and deletion_requested_at is not null",
  forgetVolumesHome: "delete from volume_homes where pod_name = ?",
  deleteEvents: "delete from events where pod_uid = ?",
  deletePod: "delete from pods where uid = ?",
};

/** Thrown at the end of a dry run's transaction so that it rolls back, carrying what it would have done. */
class RolledBackPreview extends Error {
  constructor(readonly results: AppliedResource[]) {
    super("dry run");
  }
}

/** The leader's durable state, in SQLite. */
export class LeaderStore extends SqliteStore<LeaderSchema, keyof typeof STATEMENTS> {
  private readonly events: EventLog;
  /** The deployments, in the same database (an apply of pods and deployments is one transaction). */
  readonly deployments: DeploymentStore;
  /** What watching clients read. */
  readonly feed: ChangeFeed;
  /** The nodes and the keys their names are bound to. */
  readonly nodes: NodeStore;

  private constructor(database: OpenedDatabase<LeaderSchema>, maxEventsPerPod: number) {
    super(database, STATEMENTS);
    this.events = new EventLog(database as OpenedDatabase<unknown>, maxEventsPerPod);
    this.deployments = new DeploymentStore(database as OpenedDatabase<unknown>);
    this.feed = new ChangeFeed(database as OpenedDatabase<unknown>);
    this.nodes = new NodeStore(database.db);
  }

  static async open(file: string, maxEventsPerPod = DEFAULT_MAX_EVENTS_PER_POD): Promise<LeaderStore> {
    return new LeaderStore(await openDatabase<LeaderSchema>(file, leaderMigrations), maxEventsPerPod);
  }

  private insertEvent(podUid: string, event: PodEvent, source?: { nodeId: string; sequence: number }): void {
    this.events.record(podUid, event, source);
  }

  /**
   * Creates or updates every resource (pods and deployments) of a validated manifest in one transaction: all of them
   * or none, and concurrent applies of one name serialize (SQLite has one writer), so they end with exactly one.
   */
  async applyResources(entries: ManifestEntry[], now: Date): Promise<AppliedResource[]> {
    return this.database.inBatch(this.applying(entries, now));
  }

  /** What `applyResources` would do, without doing it: the same transaction, rolled back at its end. */
  async previewResources(entries: ManifestEntry[], now: Date): Promise<AppliedResource[]> {
    try {
      await this.database.inBatch(this.previewing(entries, now));
    } catch (error) {
      if (error instanceof RolledBackPreview) return error.results;
      throw error;
    }
    throw new Error("a preview committed"); // cannot happen: previewing always throws
  }

  private *previewing(entries: ManifestEntry[], now: Date): Generator<void, never, undefined> {
    throw new RolledBackPreview(yield* this.applying(entries, now));
  }

  private *applying(entries: ManifestEntry[], now: Date): Generator<void, AppliedResource[], undefined> {
    const { podByName, insertPod, updatePodSpec } = this.statements;
    const results: AppliedResource[] = [];
    for (const { resource, source } of entries) {
      yield;
      const { name } = resource.metadata;
      if (resource.type === "deployment") {
        results.push({ type: "deployment", name, ...this.deployments.applyOne(resource, source, now), replaced: false });
        continue;
      }
      const { spec } = resource;
      const hash = specHash(spec);
      const labelsJson = canonicalJson(resource.metadata.labels);
      const requests = podRequests(spec);
      type Existing = Pick<PodsTable, "uid" | "node" | "spec_json" | "spec_hash" | "labels_json" | "deletion_requested_at" | "host_ports_json">;
      const existing = podByName.get(name) as Existing | undefined;
      if (existing && existing.deletion_requested_at !== null) {
        // The whole apply is refused.
        throw conflict(`pod/${name} is being deleted; apply it again once it is gone`);
      }
      if (!existing) {
        insertPod.run(
          randomUUID(),
          name,
          labelsJson,
          JSON.stringify(spec),
          hash,
          hash,
          JSON.stringify(source),
          now.getTime(),
          requests.cpuMillis,
          requests.memoryBytes,
        );
        results.push({ type: "pod", name, outcome: "created", replaced: false });
        continue;
      }
      const node = existing.node ?? undefined;
      if (existing.spec_hash === hash && existing.labels_json === labelsJson) {
        results.push({ type: "pod", name, node, outcome: "unchanged", replaced: false });
        continue;
      }
      // On its node, the pod keeps its "auto" host ports if it still needs what it needed; else it is placed anew.
      const kept =
        node && canonicalJson(podNeeds(JSON.parse(existing.spec_json), undefined)) === canonicalJson(podNeeds(spec, undefined))
          ? keptAutoPorts(spec, JSON.parse(existing.host_ports_json))
          : undefined;
      const hostPorts = kept ? JSON.stringify(publishedPorts(spec, kept)) : "[]";
      updatePodSpec.run(
        labelsJson,
        JSON.stringify(spec),
        hash,
        hash,
        JSON.stringify(source),
        requests.cpuMillis,
        requests.memoryBytes,
        kept ? node : null,
        hostPorts,
        existing.uid,
      );
      results.push({ type: "pod", name, node, outcome: "configured", replaced: node !== undefined && !kept });
    }
    return results;
  }

  /**
   * What each node's pods take of it: sums by SQL, and the host ports of the few that publish some. A pod being deleted
   * still holds its node's ports, CPU and memory until its containers are gone (a replacement placed at once on a port
   * it still publishes could not start); it no longer counts as a replica of its deployment there.
   */
  async allocationByNode(): Promise<Map<string, NodeAllocation>> {
    const placed = this.db.selectFrom("pods").where("node", "is not", null);
    const live = placed.where("deletion_requested_at", "is", null);
    const sums = await placed
      .select((eb) => ["node", eb.fn.sum<number>("cpu_millis").as("cpu"), eb.fn.sum<number>("memory_bytes").as("memory"), eb.fn.countAll<number>().as("pods")])
      .groupBy("node")
      .execute();
    const allocation = new Map<string, NodeAllocation>(
      sums.map((row) => [row.node!, { cpuMillis: Number(row.cpu), memoryBytes: Number(row.memory), pods: Number(row.pods), hostPorts: [], owners: new Map() }]),
    );
    for (const row of await placed.select(["node", "host_ports_json"]).where("host_ports_json", "!=", "[]").execute()) {
      allocation.get(row.node!)?.hostPorts.push(...(JSON.parse(row.host_ports_json) as PublishedPort[]));
    }
    const owned = await live
      .select((eb) => ["node", "owner", eb.fn.countAll<number>().as("pods")])
      .where("owner", "is not", null)
      .groupBy(["node", "owner"])
      .execute();
    for (const row of owned) allocation.get(row.node!)?.owners.set(row.owner!, Number(row.pods));
    return allocation;
  }

  /** A node is gone for good: the persistent volumes it held are no pod's home any more. */
  async forgetVolumeHomesOn(node: string): Promise<void> {
    await this.db.deleteFrom("volume_homes").where("node", "=", node).execute();
  }

  /** The node that holds the persistent volumes of the pod of each name that has some. */
  async volumeHomes(): Promise<Map<string, string>> {
    const rows = await this.db.selectFrom("volume_homes").selectAll().execute();
    return new Map(rows.map((row) => [row.pod_name, row.node]));
  }

  /** What `list` shows of every pod, without parsing specs and manifests (10 000 pods: a few milliseconds). */
  async listPodSummaries(): Promise<PodSummary[]> {
    const rows = await this.db
      .selectFrom("pods")
      .select(["name", "labels_json", "node", "created_at", "deletion_requested_at", "run_hash", "status_json", "status_spec_hash", "host_ports_json"])
      .orderBy("name")
      .execute();
    return rows.map((row) => ({
      name: row.name,
      labels: JSON.parse(row.labels_json),
      hostPorts: JSON.parse(row.host_ports_json),
      node: row.node ?? undefined,
      createdAt: new Date(row.created_at),
      deletionRequestedAt: row.deletion_requested_at === null ? undefined : new Date(row.deletion_requested_at),
      status: row.status_json !== null && row.status_spec_hash === row.run_hash ? (JSON.parse(row.status_json) as PodStatusReport) : undefined,
    }));
  }

  async getPod(name: string): Promise<StoredPod | undefined> {
    const row = await this.db.selectFrom("pods").selectAll().where("name", "=", name).executeTakeFirst();
    return row && toStoredPod(row);
  }

  /** What a node must run: the pods placed on it, those being deleted flagged so. */
  async desiredPodsFor(node: string): Promise<DesiredPod[]> {
    type Row = Pick<PodsTable, "uid" | "name" | "labels_json" | "spec_json" | "spec_hash" | "deletion_requested_at" | "host_ports_json" | "purge">;
    const rows = await this.database.inBatch(() => this.statements.desiredPods.all(node) as Row[]);
    return rows.map((row) => ({
      uid: row.uid,
      name: row.name,
      labels: JSON.parse(row.labels_json),
      specJson: row.spec_json,
      specHash: row.spec_hash,
      deleting: row.deletion_requested_at !== null,
      purge: row.purge === 1,
      hostPorts: JSON.parse(row.host_ports_json),
    }));
  }

  /** Marks pods for eviction (a drain): their deployments replace them elsewhere, keeping their availability. */
  async markEvicting(uids: string[], now: Date): Promise<void> {
    if (uids.length === 0) return;
    await this.db.updateTable("pods").set({ evict_requested_at: now.getTime() }).where("uid", "in", uids).where("evict_requested_at", "is", null).execute();
  }

  async podsOnNode(node: string): Promise<StoredPod[]> {
    return (await this.db.selectFrom("pods").selectAll().where("node", "=", node).execute()).map(toStoredPod);
  }

  async unscheduledPods(): Promise<StoredPod[]> {
    const { unscheduledPods } = this.statements;
    return this.database.inBatch(
      (function* () {
        const pods: StoredPod[] = [];
        for (const row of unscheduledPods.all() as Selectable<PodsTable>[]) {
          yield;
          pods.push(toStoredPod(row));
        }
        return pods;
      })(),
    );
  }

  /**
   * Places pods, in one transaction: each on its `node` if it is still where the caller saw it (`from`: unplaced, or
   * on a lost node), forgetting the old node's status report, with its event. Returns the placements made.
   */
  async assignPods(placements: Placement[]): Promise<Placement[]> {
    return this.database.inBatch(this.assigning(placements));
  }

  private *assigning(placements: Placement[]): Generator<void, Placement[], undefined> {
    const made: Placement[] = [];
    for (const placement of placements) {
      yield;
      const { assignPod, bindVolumesHome } = this.statements;
      if (assignPod.run(placement.node, JSON.stringify(placement.hostPorts), placement.uid, placement.from ?? null).changes === 0) continue;
      if (placement.volumesHome) bindVolumesHome.run(placement.volumesHome, placement.node);
      this.insertEvent(placement.uid, placement.event);
      made.push(placement);
    }
    return made;
  }

  /**
   * What nodes reported, in one transaction (group commit): statuses (kept only from the pod's own node), events
   * (once per node id and sequence, and only for pods that exist), removals (a deleting pod on that node is then
   * forgotten). A pod that became ready is ready since `now`. Returns the names of the pods forgotten.
   */
  async applyNodeUpdates(updates: NodeUpdate[], now: Date): Promise<string[]> {
    return this.database.inBatch(this.applyingNodeUpdates(updates, now));
  }

  private *applyingNodeUpdates(updates: NodeUpdate[], now: Date): Generator<void, string[], undefined> {
    const { saveStatus, deletingPod, deleteEvents, deletePod, forgetVolumesHome } = this.statements;
    const forgotten: string[] = [];
    for (const update of updates) {
      yield;
      if (update.kind === "status") {
        const ready = update.status.phase === "Running" && update.status.ready !== false ? 1 : 0;
        saveStatus.run(JSON.stringify(update.status), update.specHash, ready, now.getTime(), update.podUid, update.node);
      } else if (update.kind === "event") this.insertEvent(update.podUid, update.event, { nodeId: update.nodeId, sequence: update.sequence });
      else {
        const pod = deletingPod.get(update.podUid, update.node) as { uid: string; name: string; purge: number } | undefined;
        if (!pod) continue;
        deleteEvents.run(pod.uid);
        deletePod.run(pod.uid);
        if (pod.purge === 1) forgetVolumesHome.run(pod.name);
        forgotten.push(pod.name);
      }
    }
    return forgotten;
  }

  /**
   * Gives a pod a new hash to run under: its node replaces its containers, and its failure counts (kept per hash) start
   * afresh. False when there is no such pod, or it is being deleted.
   */
  async restartPod(uid: string, event: PodEvent): Promise<boolean> {
    return this.database.inBatch(() => {
      const { changes } = this.statements.restartPod.run(`-${event.time.getTime().toString(36)}`, uid);
      if (changes > 0) this.insertEvent(uid, event);
      return changes > 0;
    });
  }

  /** Starts a pod's deletion; `purge`: its persistent volumes are removed with it. */
  async markDeleting(uid: string, now: Date, purge: boolean): Promise<void> {
    await this.db
      .updateTable("pods")
      .set({ deletion_requested_at: now.getTime(), purge: purge ? 1 : 0 })
      .where("uid", "=", uid)
      .execute();
  }

  /** Forgets a pod and its events. */
  async removePod(uid: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("events").where("pod_uid", "=", uid).execute();
      await trx.deleteFrom("pods").where("uid", "=", uid).execute();
    });
  }

  async recordEvent(podUid: string, event: PodEvent): Promise<void> {
    await this.database.inBatch(() => this.insertEvent(podUid, event));
  }

  /** The events of a pod or a deployment, in time order. */
  async eventsOf(uid: string): Promise<PodEvent[]> {
    return (await this.db.selectFrom("events").selectAll().where("pod_uid", "=", uid).orderBy("time").orderBy("id").execute()).map(toEvent);
  }

  async lastEvent(uid: string): Promise<PodEvent | undefined> {
    const row = await this.db.selectFrom("events").selectAll().where("pod_uid", "=", uid).orderBy("id", "desc").limit(1).executeTakeFirst();
    return row && toEvent(row);
  }
}
