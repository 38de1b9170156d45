import type Database from "better-sqlite3";
import { randomBytes, randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { ApplyOutcome, DesiredPod, NodeStatus, PodEvent, PodResource, PodSpec, PodStatusReport, PublishedPort } from "../../shared/domain.js";
import type { OpenedDatabase } from "../../shared/open-database.js";
import type { DependencyPod } from "../pod-dependencies.js";
import { keptPlacement, podRequests } from "../pod-needs.js";
import { conflict } from "../refusals.js";
import { canonicalJson, specHash } from "../spec-hash.js";
import type { StoredDeployment } from "./deployment-store.js";
import type { EventLog } from "./event-log.js";
import type { NodeAllocation, Placement, PodStoreContract, PodSummary } from "./store-contract.js";
import type { VolumeHomes } from "./volume-homes.js";
import {
  CURRENT_STATUS_JSON,
  toOwnedPod,
  toStoredPod,
  type LeaderSchema,
  type OwnedPod,
  type OwnedRow,
  type PodRow,
  type PodsTable,
  type StoredPod,
} from "./leader-rows.js";

/** What an apply did to one pod; `replaced`: its new spec needs what its node may not offer: placed anew. */
export interface AppliedPod {
  /** Where it was placed before this apply. */
  node?: string;
  outcome: ApplyOutcome;
  replaced: boolean;
}

/** A pod to insert: one the user applied, or a deployment's replica (`owner`, `templateHash`). */
interface NewPod {
  name: string;
  labels: Record<string, string>;
  spec: PodSpec;
  manifest: unknown;
  owner?: { deployment: string; templateHash: string };
}

const OWNED_COLUMNS = `owner, name, template_hash, created_at, ready_since, deletion_requested_at, evict_requested_at, node, json_extract(${CURRENT_STATUS_JSON}, '$.phase') as phase`;

/** The statements of the hot paths, prepared once. */
const STATEMENTS = {
  desired:
    "select uid, name, labels_json, spec_json, run_hash as spec_hash, deletion_requested_at, host_ports_json, purge, owner from pods where node = ? order by name",
  unscheduled: `select *, ${CURRENT_STATUS_JSON} as current_status_json from pods where node is null and deletion_requested_at is null order by created_at`,
  byName: "select uid, node, spec_json, spec_hash, labels_json, deletion_requested_at, host_ports_json from pods where name = ?",
  insert:
    "insert into pods (uid, name, labels_json, spec_json, spec_hash, run_hash, manifest_json, node, created_at, cpu_millis, memory_bytes, owner, template_hash) values (?, ?, ?, ?, ?, ?, ?, null, ?, ?, ?, ?, ?)",
  // A pod whose new spec needs what its node may not offer (other requests, host ports or node selector) is placed anew.
  updateSpec:
    "update pods set labels_json = ?, spec_json = ?, spec_hash = ?, run_hash = ?, manifest_json = ?, cpu_millis = ?, memory_bytes = ?, node = ?, host_ports_json = ? where uid = ?",
  assign:
    "update pods set node = ?, host_ports_json = ?, status_json = null, status_spec_hash = null where uid = ? and node is ? and deletion_requested_at is null",
  restart: "update pods set run_hash = spec_hash || ?, status_json = null, status_spec_hash = null where uid = ? and deletion_requested_at is null",
  // Ready since: kept while the node says the pod is ready, what a deployment's "available" is judged on.
  saveStatus:
    "update pods set status_json = ?, status_spec_hash = ?, ready_since = case when ? = 1 then coalesce(ready_since, ?) else null end where uid = ? and node = ?",
  deleting: "select uid, name, purge from pods where uid = ? and node = ? and deletion_requested_at is not null",
  forgetEvents: "delete from events where pod_uid = ?",
  forget: "delete from pods where uid = ?",
  owned: `select ${OWNED_COLUMNS} from pods where owner = ?`,
  allOwned: `select ${OWNED_COLUMNS} from pods where owner is not null`,
};

/**
 * The pods table: every pod row is written and read here, the user's pods and
 * deployments' replicas alike. Methods without a promise run inside their caller's transaction.
 */
export class PodStore implements PodStoreContract {
  private readonly db: Kysely<LeaderSchema>;
  private readonly statements: Record<keyof typeof STATEMENTS, Database.Statement>;

  constructor(
    private readonly database: OpenedDatabase<LeaderSchema>,
    private readonly events: EventLog,
    /** Where pods' persistent volumes live: bound at a placement, forgotten at a purge. */
    readonly volumeHomes: VolumeHomes,
  ) {
    this.db = database.db;
    this.statements = database.prepareAll(STATEMENTS);
  }

  /** Inserts a pod, Pending (inside the caller's transaction). */
  insert({ name, labels, spec, manifest, owner }: NewPod, now: Date): void {
    const hash = specHash(spec);
    const { cpuMillis, memoryBytes } = podRequests(spec);
    const row = [randomUUID(), name, canonicalJson(labels), JSON.stringify(spec), hash, hash, JSON.stringify(manifest), now.getTime()];
    this.statements.insert.run(...row, cpuMillis, memoryBytes, owner?.deployment ?? null, owner?.templateHash ?? null);
  }

  /** Creates `count` replicas of the deployment's current template, named NAME-<template hash>-<random>; returns their names. */
  async createReplicas(deployment: StoredDeployment, count: number, now: Date): Promise<string[]> {
    const { template } = deployment.spec;
    const owner = { deployment: deployment.name, templateHash: deployment.templateHash };
    return this.database.inBatch(() =>
      Array.from({ length: count }, () => {
        const name = `${deployment.name}-${deployment.templateHash.slice(0, 8)}-${randomBytes(3).toString("hex").slice(0, 5)}`;
        const manifest = { type: "pod", metadata: { name, labels: template.metadata.labels }, spec: template.spec };
        this.insert({ name, labels: template.metadata.labels, spec: template.spec, manifest, owner }, now);
        return name;
      }),
    );
  }

  /**
   * Creates or updates one pod a user applied (inside the caller's transaction). A pod being deleted refuses it (the
   * whole apply with it); a changed pod keeps its node and ports when `keptPlacement` says so.
   */
  applyOne(resource: PodResource, source: unknown, now: Date): AppliedPod {
    const { byName, updateSpec } = this.statements;
    const { name } = resource.metadata;
    const { spec } = resource;
    type Existing = Pick<PodsTable, "uid" | "node" | "spec_json" | "spec_hash" | "labels_json" | "deletion_requested_at" | "host_ports_json">;
    const existing = byName.get(name) as Existing | undefined;
    if (existing && existing.deletion_requested_at !== null) throw conflict(`pod/${name} is being deleted; apply it again once it is gone`);
    if (!existing) {
      this.insert({ name, labels: resource.metadata.labels, spec, manifest: source }, now);
      return { outcome: "created", replaced: false };
    }
    const node = existing.node ?? undefined;
    const hash = specHash(spec);
    const labelsJson = canonicalJson(resource.metadata.labels);
    if (existing.spec_hash === hash && existing.labels_json === labelsJson) return { node, outcome: "unchanged", replaced: false };
    const kept = keptPlacement(node, { spec: JSON.parse(existing.spec_json), hostPorts: JSON.parse(existing.host_ports_json) }, spec);
    const { cpuMillis, memoryBytes } = podRequests(spec);
    const specJson = JSON.stringify(spec);
    const placement = [kept ? node : null, JSON.stringify(kept ?? [])];
    updateSpec.run(labelsJson, specJson, hash, hash, JSON.stringify(source), cpuMillis, memoryBytes, ...placement, existing.uid);
    return { node, outcome: "configured", replaced: node !== undefined && !kept };
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

  /** What `list` shows of every pod, without parsing specs and manifests (10 000 pods: a few milliseconds). */
  async summaries(): Promise<PodSummary[]> {
    const rows = await this.db
      .selectFrom("pods")
      .select([
        "name",
        "labels_json",
        "node",
        "created_at",
        "deletion_requested_at",
        "host_ports_json",
        "owner",
        sql<string | null>`${sql.raw(CURRENT_STATUS_JSON)}`.as("status"),
      ])
      .orderBy("name")
      .execute();
    return rows.map((row) => ({
      name: row.name,
      labels: JSON.parse(row.labels_json),
      hostPorts: JSON.parse(row.host_ports_json),
      node: row.node ?? undefined,
      createdAt: new Date(row.created_at),
      deletionRequestedAt: row.deletion_requested_at === null ? undefined : new Date(row.deletion_requested_at),
      status: row.status === null ? undefined : (JSON.parse(row.status) as PodStatusReport),
      ...(row.owner === null ? {} : { owner: row.owner }),
    }));
  }

  /** The pods of the deployments or pods named, as a dependant's wait sees them (not those being deleted). */
  async dependencyPods(names: string[]): Promise<DependencyPod[]> {
    const rows = await this.db
      .selectFrom("pods")
      .select(["name", "owner", sql<string | null>`${sql.raw(CURRENT_STATUS_JSON)}`.as("status")])
      .where((eb) => eb.or([eb("name", "in", names), eb("owner", "in", names)]))
      .where("deletion_requested_at", "is", null)
      .execute();
    return rows.map((row) => {
      const status = row.status === null ? undefined : (JSON.parse(row.status) as PodStatusReport);
      return { name: row.name, ...(row.owner === null ? {} : { owner: row.owner }), phase: status?.phase, ready: status?.ready === true };
    });
  }

  private withCurrentStatus() {
    return this.db
      .selectFrom("pods")
      .selectAll()
      .select(sql<string | null>`${sql.raw(CURRENT_STATUS_JSON)}`.as("current_status_json"));
  }

  async get(name: string): Promise<StoredPod | undefined> {
    const row = await this.withCurrentStatus().where("name", "=", name).executeTakeFirst();
    return row && toStoredPod(row);
  }

  async onNode(node: string): Promise<StoredPod[]> {
    return (await this.withCurrentStatus().where("node", "=", node).execute()).map(toStoredPod);
  }

  async unscheduled(): Promise<StoredPod[]> {
    const { unscheduled } = this.statements;
    return this.database.inBatch(
      (function* () {
        const pods: StoredPod[] = [];
        for (const row of unscheduled.all() as PodRow[]) {
          yield;
          pods.push(toStoredPod(row));
        }
        return pods;
      })(),
    );
  }

  /** What a node must run: the pods placed on it, those being deleted flagged so. */
  async desiredFor(node: string): Promise<DesiredPod[]> {
    type Row = Pick<PodsTable, "uid" | "name" | "labels_json" | "spec_json" | "spec_hash" | "deletion_requested_at" | "host_ports_json" | "purge" | "owner">;
    const rows = await this.database.inBatch(() => this.statements.desired.all(node) as Row[]);
    return rows.map((row) => ({
      uid: row.uid,
      name: row.name,
      labels: JSON.parse(row.labels_json),
      specJson: row.spec_json,
      specHash: row.spec_hash,
      deleting: row.deletion_requested_at !== null,
      purge: row.purge === 1,
      hostPorts: JSON.parse(row.host_ports_json),
      ...(row.owner === null ? {} : { owner: row.owner }),
    }));
  }

  /** The pods a deployment owns, as its controller decides on them. */
  async owned(deployment: string, nodeStatus: (node: string) => NodeStatus | undefined): Promise<OwnedPod[]> {
    const rows = await this.database.inBatch(() => this.statements.owned.all(deployment) as OwnedRow[]);
    return rows.map((row) => toOwnedPod(row, nodeStatus));
  }

  /** Every deployment's pods, by deployment, in one query (a controller's pass over hundreds of deployments). */
  async ownedByDeployment(nodeStatus: (node: string) => NodeStatus | undefined): Promise<Map<string, OwnedPod[]>> {
    const rows = await this.database.inBatch(() => this.statements.allOwned.all() as OwnedRow[]);
    const byOwner = new Map<string, OwnedPod[]>();
    for (const row of rows) {
      const owned = byOwner.get(row.owner) ?? [];
      owned.push(toOwnedPod(row, nodeStatus));
      byOwner.set(row.owner, owned);
    }
    return byOwner;
  }

  /** Marks pods for eviction (a drain): their deployments replace them elsewhere, keeping their availability. */
  async markEvicting(uids: string[], now: Date): Promise<void> {
    if (uids.length === 0) return;
    await this.db.updateTable("pods").set({ evict_requested_at: now.getTime() }).where("uid", "in", uids).where("evict_requested_at", "is", null).execute();
  }

  /**
   * Places pods, in one transaction: each on its `node` if it is still where the caller saw it (`from`: unplaced, or
   * on a lost node), forgetting the old node's status report, with its event. Returns the placements made.
   */
  async assign(placements: Placement[]): Promise<Placement[]> {
    const { assign } = this.statements;
    const homes = this.volumeHomes;
    const events = this.events;
    return this.database.inBatch(
      (function* () {
        const made: Placement[] = [];
        for (const placement of placements) {
          yield;
          if (assign.run(placement.node, JSON.stringify(placement.hostPorts), placement.uid, placement.from ?? null).changes === 0) continue;
          if (placement.volumesHome) homes.bind(placement.volumesHome, placement.node);
          events.record(placement.uid, placement.event);
          made.push(placement);
        }
        return made;
      })(),
    );
  }

  /** A node's report of a pod's status (inside the caller's transaction), kept only from the pod's own node. */
  saveStatus(podUid: string, node: string, specHash: string, status: PodStatusReport, now: Date): void {
    const ready = status.phase === "Running" && status.ready !== false ? 1 : 0;
    this.statements.saveStatus.run(JSON.stringify(status), specHash, ready, now.getTime(), podUid, node);
  }

  /** A node says a pod is gone from it (inside the caller's transaction): a deleting pod is forgotten; its name, if so. */
  forgetRemoved(podUid: string, node: string): string | undefined {
    const { deleting, forgetEvents, forget } = this.statements;
    const pod = deleting.get(podUid, node) as { uid: string; name: string; purge: number } | undefined;
    if (!pod) return undefined;
    forgetEvents.run(pod.uid);
    forget.run(pod.uid);
    if (pod.purge === 1) this.volumeHomes.forget(pod.name);
    return pod.name;
  }

  /**
   * Gives a pod a new hash to run under: its node replaces its containers, and its failure counts (kept per hash) start
   * afresh. False when there is no such pod, or it is being deleted.
   */
  async restart(uid: string, event: PodEvent): Promise<boolean> {
    return this.database.inBatch(() => {
      const { changes } = this.statements.restart.run(`-${event.time.getTime().toString(36)}`, uid);
      if (changes > 0) this.events.record(uid, event);
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
  async remove(uid: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("events").where("pod_uid", "=", uid).execute();
      await trx.deleteFrom("pods").where("uid", "=", uid).execute();
    });
  }
}
