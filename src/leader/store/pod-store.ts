import { randomBytes, randomUUID } from "node:crypto";
import type { ApplyOutcome, DesiredPod, NodeStatus, PodEvent, PodResource, PodSpec, PodStatusReport, PublishedPort } from "../../shared/domain.js";
import type { DependencyPod } from "../pod-dependencies.js";
import { keptPlacement, podRequests } from "../pod-needs.js";
import { conflict } from "../refusals.js";
import { canonicalJson, specHash } from "../spec-hash.js";
import type { StoredDeployment } from "./deployment-store.js";
import type { EventLog } from "./event-log.js";
import type { NodeAllocation, Placement, PodStoreContract, PodSummary } from "./store-contract.js";
import type { VolumeHomes } from "./volume-homes.js";
import { gatherPages, mapInSlices } from "../../shared/time-slices.js";
import { placeholders, type Sql, type SqlValue, type StoreDatabase } from "./store-database.js";
import { CURRENT_STATUS_JSON, toOwnedPod, toStoredPod, type OwnedPod, type OwnedRow, type PodRow, type PodsTable, type StoredPod } from "./leader-rows.js";

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

/** The columns a deployment's controller reads; the phase out of the status JSON in the database's own SQL. */
const ownedColumns = (database: StoreDatabase) =>
  `owner, name, template_hash, created_at, ready_since, deletion_requested_at, evict_requested_at, node, ${database.json(CURRENT_STATUS_JSON)} ->> 'phase' as phase`;

const SUMMARY_COLUMNS = `uid, name, labels_json, node, created_at, deletion_requested_at, host_ports_json, owner, ${CURRENT_STATUS_JSON} as status`;
const SUMMARY_PAGE = `select ${SUMMARY_COLUMNS} from pods where name > ? order by name limit ?`;
/** Pods per page of the reads made a page at a time: a page is a millisecond or two of the leader's loop. */
const PAGE_SIZE = 250;

type SummaryRow = Pick<PodsTable, "uid" | "name" | "labels_json" | "node" | "created_at" | "deletion_requested_at" | "host_ports_json" | "owner"> & {
  status: string | null;
};

const toSummary = (row: SummaryRow): PodSummary => ({
  uid: row.uid,
  name: row.name,
  labels: JSON.parse(row.labels_json),
  hostPorts: JSON.parse(row.host_ports_json),
  node: row.node ?? undefined,
  createdAt: new Date(row.created_at),
  deletionRequestedAt: row.deletion_requested_at === null ? undefined : new Date(row.deletion_requested_at),
  status: row.status === null ? undefined : (JSON.parse(row.status) as PodStatusReport),
  ...(row.owner === null ? {} : { owner: row.owner }),
});
const WITH_CURRENT_STATUS = `select *, ${CURRENT_STATUS_JSON} as current_status_json from pods`;

const STATEMENTS = {
  desired:
    "select uid, name, labels_json, spec_json, run_hash as spec_hash, deletion_requested_at, host_ports_json, purge, owner from pods where node = ? order by name",
  unscheduledPage: `${WITH_CURRENT_STATUS} where node is null and deletion_requested_at is null and (created_at > ? or (created_at = ? and name > ?)) order by created_at, name limit ?`,
  byName: "select uid, node, spec_json, spec_hash, labels_json, deletion_requested_at, host_ports_json from pods where name = ?",
  insert:
    "insert into pods (uid, name, labels_json, spec_json, spec_hash, run_hash, manifest_json, node, created_at, cpu_millis, memory_bytes, owner, template_hash) values (?, ?, ?, ?, ?, ?, ?, null, ?, ?, ?, ?, ?)",
  // A pod whose new spec needs what its node may not offer (other requests, host ports or node selector) is placed anew.
  updateSpec:
    "update pods set labels_json = ?, spec_json = ?, spec_hash = ?, run_hash = ?, manifest_json = ?, cpu_millis = ?, memory_bytes = ?, node = ?, host_ports_json = ? where uid = ?",
  assign:
    "update pods set node = ?, host_ports_json = ?, status_json = null, status_spec_hash = null where uid = ? and node is not distinct from ? and deletion_requested_at is null",
  restart: "update pods set run_hash = spec_hash || ?, status_json = null, status_spec_hash = null where uid = ? and deletion_requested_at is null",
  // Ready since: kept while the node says the pod is ready, what a deployment's "available" is judged on.
  saveStatus:
    "update pods set status_json = ?, status_spec_hash = ?, ready_since = case when ? = 1 then coalesce(ready_since, ?) else null end where uid = ? and node = ?",
  deleting: "select uid, name, purge from pods where uid = ? and node = ? and deletion_requested_at is not null",
  forgetEvents: "delete from events where pod_uid = ?",
  forget: "delete from pods where uid = ?",
  // What each node's pods take of it (allocationByNode).
  sums: "select node, sum(cpu_millis) as cpu, sum(memory_bytes) as memory, count(*) as pods from pods where node is not null group by node",
  hostPorts: "select node, host_ports_json from pods where node is not null and host_ports_json != '[]'",
  ownedByNode: "select node, owner, count(*) as pods from pods where owner >= '' and node is not null and deletion_requested_at is null group by node, owner",
};

/**
 * The pods table: every pod row is written and read here, the user's pods and
 * deployments' replicas alike. Methods without a promise run inside their caller's transaction.
 */
export class PodStore implements PodStoreContract {
  private readonly ownedQueries: { one: string; all: string };

  constructor(
    private readonly database: StoreDatabase,
    private readonly events: EventLog,
    /** Where pods' persistent volumes live: bound at a placement, forgotten at a purge. */
    readonly volumeHomes: VolumeHomes,
  ) {
    const columns = ownedColumns(database);
    // `owner >= ''` rather than `is not null` (here and in ownedByNode): the same rows (an owner is a deployment's
    // name), and SQLite searches the owner index for it where it scanned every pod for `is not null`.
    this.ownedQueries = { one: `select ${columns} from pods where owner = ?`, all: `select ${columns} from pods where owner >= ''` };
  }

  /** Inserts a pod, Pending (inside the caller's transaction). */
  async insert(sql: Sql, { name, labels, spec, manifest, owner }: NewPod, now: Date): Promise<void> {
    const hash = specHash(spec);
    const { cpuMillis, memoryBytes } = podRequests(spec);
    const row = [randomUUID(), name, canonicalJson(labels), JSON.stringify(spec), hash, hash, JSON.stringify(manifest), now.getTime()];
    await sql.run(STATEMENTS.insert, ...row, cpuMillis, memoryBytes, owner?.deployment ?? null, owner?.templateHash ?? null);
  }

  /** Creates `count` replicas of the deployment's current template, named NAME-<template hash>-<random>; returns their names. */
  async createReplicas(deployment: StoredDeployment, count: number, now: Date): Promise<string[]> {
    const { template } = deployment.spec;
    const owner = { deployment: deployment.name, templateHash: deployment.templateHash };
    return this.database.write(async (sql) => {
      const names: string[] = [];
      for (let i = 0; i < count; i++) {
        const name = `${deployment.name}-${deployment.templateHash.slice(0, 8)}-${randomBytes(3).toString("hex").slice(0, 5)}`;
        const manifest = { type: "pod", metadata: { name, labels: template.metadata.labels }, spec: template.spec };
        await this.insert(sql, { name, labels: template.metadata.labels, spec: template.spec, manifest, owner }, now);
        names.push(name);
      }
      return names;
    });
  }

  /**
   * Creates or updates one pod a user applied (inside the caller's transaction). A pod being deleted refuses it (the
   * whole apply with it); a changed pod keeps its node and ports when `keptPlacement` says so.
   */
  async applyOne(sql: Sql, resource: PodResource, source: unknown, now: Date): Promise<AppliedPod> {
    const { name } = resource.metadata;
    const { spec } = resource;
    type Existing = Pick<PodsTable, "uid" | "node" | "spec_json" | "spec_hash" | "labels_json" | "deletion_requested_at" | "host_ports_json">;
    const existing = await sql.get<Existing>(STATEMENTS.byName, name);
    if (existing && existing.deletion_requested_at !== null) throw conflict(`pod/${name} is being deleted; apply it again once it is gone`);
    if (!existing) {
      await this.insert(sql, { name, labels: resource.metadata.labels, spec, manifest: source }, now);
      return { outcome: "created", replaced: false };
    }
    const node = existing.node ?? undefined;
    const hash = specHash(spec);
    const labelsJson = canonicalJson(resource.metadata.labels);
    if (existing.spec_hash === hash && existing.labels_json === labelsJson) return { node, outcome: "unchanged", replaced: false };
    const kept = keptPlacement(node, { spec: JSON.parse(existing.spec_json), hostPorts: JSON.parse(existing.host_ports_json) }, spec);
    const { cpuMillis, memoryBytes } = podRequests(spec);
    const specJson = JSON.stringify(spec);
    const placement = [kept ? (node ?? null) : null, JSON.stringify(kept ?? [])];
    await sql.run(STATEMENTS.updateSpec, labelsJson, specJson, hash, hash, JSON.stringify(source), cpuMillis, memoryBytes, ...placement, existing.uid);
    return { node, outcome: "configured", replaced: node !== undefined && !kept };
  }

  /**
   * What each node's pods take of it: sums by SQL, and the host ports of the few that publish some. A pod being deleted
   * still holds its node's ports, CPU and memory until its containers are gone (a replacement placed at once on a port
   * it still publishes could not start); it no longer counts as a replica of its deployment there.
   */
  async allocationByNode(): Promise<Map<string, NodeAllocation>> {
    const { sums, hostPorts, ownedByNode } = STATEMENTS;
    return this.database.read(async (sql) => {
      const allocation = new Map<string, NodeAllocation>();
      for (const row of await sql.all<{ node: string; cpu: number; memory: number; pods: number }>(sums)) {
        allocation.set(row.node, { cpuMillis: Number(row.cpu), memoryBytes: Number(row.memory), pods: Number(row.pods), hostPorts: [], owners: new Map() });
      }
      for (const row of await sql.all<{ node: string; host_ports_json: string }>(hostPorts)) {
        allocation.get(row.node)?.hostPorts.push(...(JSON.parse(row.host_ports_json) as PublishedPort[]));
      }
      for (const row of await sql.all<{ node: string; owner: string; pods: number }>(ownedByNode)) {
        allocation.get(row.node)?.owners.set(row.owner, Number(row.pods));
      }
      return allocation;
    });
  }

  /**
   * What `list` shows of every pod, without parsing specs and manifests, a page at a time in name order: each page its
   * own short read, the loop let go between rows when their slice is used up (thousands of pods in one read held the
   * leader's loop 10–40 ms, and a `cube nodes` waited as long). Each pod is as it stood when its page was read: one that
   * exists throughout is listed once; one created or deleted meanwhile may or may not be. A reader that uses each page
   * and lets it go (a list's answer) never holds every pod's summary at once.
   */
  summaryPages(pageSize = PAGE_SIZE): AsyncGenerator<PodSummary[]> {
    return this.pages(SUMMARY_PAGE, [""], (row: SummaryRow) => [row.name], toSummary, pageSize);
  }

  /** Every pod's summary (summaryPages, gathered). */
  summaries(pageSize = PAGE_SIZE): Promise<PodSummary[]> {
    return gatherPages(this.summaryPages(pageSize));
  }

  /** The pods no node holds, oldest first (those of one apply by name), read a page at a time as `summaryPages` reads (placement looks again at every change). */
  unscheduled(pageSize = PAGE_SIZE): Promise<StoredPod[]> {
    const pages = this.pages(STATEMENTS.unscheduledPage, [-1, -1, ""], (row: PodRow) => [row.created_at, row.created_at, row.name], toStoredPod, pageSize);
    return gatherPages(pages);
  }

  /**
   * The rows of `query` (which takes a cursor's values, then the page size) a page at a time, each page its own read;
   * `cursor` gives the values that go on after a page's last row. The loop is let go between rows when their slice is used up.
   */
  private async *pages<Row, T>(
    query: string,
    start: SqlValue[],
    cursor: (row: Row) => SqlValue[],
    convert: (row: Row) => T,
    pageSize: number,
  ): AsyncGenerator<T[]> {
    for (let after = start; ;) {
      const rows = await this.database.read((sql) => sql.all<Row>(query, ...after, pageSize));
      yield await mapInSlices(rows, convert);
      if (rows.length < pageSize) return;
      after = cursor(rows[rows.length - 1]!);
    }
  }

  /** The pods of the deployments or pods named, as a dependant's wait sees them (not those being deleted). */
  async dependencyPods(names: string[]): Promise<DependencyPod[]> {
    if (names.length === 0) return [];
    const list = placeholders(names.length);
    const query = `select name, owner, ${CURRENT_STATUS_JSON} as status from pods where (name in (${list}) or owner in (${list})) and deletion_requested_at is null`;
    const rows = await this.database.read((sql) => sql.all<{ name: string; owner: string | null; status: string | null }>(query, ...names, ...names));
    return rows.map((row) => {
      const status = row.status === null ? undefined : (JSON.parse(row.status) as PodStatusReport);
      return { name: row.name, ...(row.owner === null ? {} : { owner: row.owner }), phase: status?.phase, ready: status?.ready === true };
    });
  }

  async get(name: string): Promise<StoredPod | undefined> {
    const row = await this.database.read((sql) => sql.get<PodRow>(`${WITH_CURRENT_STATUS} where name = ?`, name));
    return row && toStoredPod(row);
  }

  async onNode(node: string): Promise<StoredPod[]> {
    return (await this.database.read((sql) => sql.all<PodRow>(`${WITH_CURRENT_STATUS} where node = ?`, node))).map(toStoredPod);
  }

  /** What a node must run: the pods placed on it, those being deleted flagged so. */
  async desiredFor(node: string): Promise<DesiredPod[]> {
    type Row = Pick<PodsTable, "uid" | "name" | "labels_json" | "spec_json" | "spec_hash" | "deletion_requested_at" | "host_ports_json" | "purge" | "owner">;
    const rows = await this.database.read((sql) => sql.all<Row>(STATEMENTS.desired, node));
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
    const rows = await this.database.read((sql) => sql.all<OwnedRow>(this.ownedQueries.one, deployment));
    return rows.map((row) => toOwnedPod(row, nodeStatus));
  }

  /** Every deployment's pods, by deployment, in one query (a controller's pass over hundreds of deployments). */
  async ownedByDeployment(nodeStatus: (node: string) => NodeStatus | undefined): Promise<Map<string, OwnedPod[]>> {
    const rows = await this.database.read((sql) => sql.all<OwnedRow>(this.ownedQueries.all));
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
    const query = `update pods set evict_requested_at = ? where uid in (${placeholders(uids.length)}) and evict_requested_at is null`;
    await this.database.write((sql) => sql.run(query, now.getTime(), ...uids));
  }

  /**
   * Places pods, in one transaction: each on its `node` if it is still where the caller saw it (`from`: unplaced, or
   * on a lost node), forgetting the old node's status report, with its event. Returns the placements made.
   */
  async assign(placements: Placement[]): Promise<Placement[]> {
    return this.database.write(async (sql) => {
      const made: Placement[] = [];
      for (const placement of placements) {
        await sql.pause();
        if ((await sql.run(STATEMENTS.assign, placement.node, JSON.stringify(placement.hostPorts), placement.uid, placement.from ?? null)) === 0) continue;
        if (placement.volumesHome) await this.volumeHomes.bind(sql, placement.volumesHome, placement.node);
        await this.events.record(sql, placement.uid, placement.event);
        made.push(placement);
      }
      return made;
    });
  }

  /** A node's report of a pod's status (inside the caller's transaction), kept only from the pod's own node. */
  async saveStatus(sql: Sql, podUid: string, node: string, specHash: string, status: PodStatusReport, now: Date): Promise<void> {
    const ready = status.phase === "Running" && status.ready !== false ? 1 : 0;
    await sql.run(STATEMENTS.saveStatus, JSON.stringify(status), specHash, ready, now.getTime(), podUid, node);
  }

  /** A node says a pod is gone from it (inside the caller's transaction): a deleting pod is forgotten; its name, if so. */
  async forgetRemoved(sql: Sql, podUid: string, node: string): Promise<string | undefined> {
    const pod = await sql.get<{ uid: string; name: string; purge: number }>(STATEMENTS.deleting, podUid, node);
    if (!pod) return undefined;
    await sql.run(STATEMENTS.forgetEvents, pod.uid);
    await sql.run(STATEMENTS.forget, pod.uid);
    if (pod.purge === 1) await this.volumeHomes.forget(sql, pod.name);
    return pod.name;
  }

  /**
   * Gives a pod a new hash to run under: its node replaces its containers, and its failure counts (kept per hash) start
   * afresh. False when there is no such pod, or it is being deleted.
   */
  async restart(uid: string, event: PodEvent): Promise<boolean> {
    return this.database.write(async (sql) => {
      const changes = await sql.run(STATEMENTS.restart, `-${event.time.getTime().toString(36)}`, uid);
      if (changes > 0) await this.events.record(sql, uid, event);
      return changes > 0;
    });
  }

  /** Starts a pod's deletion; `purge`: its persistent volumes are removed with it. */
  async markDeleting(uid: string, now: Date, purge: boolean): Promise<void> {
    await this.database.write((sql) => sql.run("update pods set deletion_requested_at = ?, purge = ? where uid = ?", now.getTime(), purge ? 1 : 0, uid));
  }

  /** Forgets a pod and its events. */
  async remove(uid: string): Promise<void> {
    await this.database.write(async (sql) => {
      await sql.run(STATEMENTS.forgetEvents, uid);
      await sql.run(STATEMENTS.forget, uid);
    });
  }
}
