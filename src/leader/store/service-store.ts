import type Database from "better-sqlite3";
import { randomUUID } from "node:crypto";
import type { ApplyOutcome, PublishedPort, ServicePort, ServiceResource } from "../../shared/domain.js";
import type { OpenedDatabase } from "../../shared/open-database.js";
import { conflict } from "../refusals.js";
import { allocateServiceIp, clusterPorts, portKey, resolveNodePorts, type ServiceAddressing } from "../service-addresses.js";
import { canonicalJson, contentHash } from "../spec-hash.js";

/** A service as the leader keeps it: its spec with node ports resolved, and its virtual IP. */
export interface StoredService {
  uid: string;
  name: string;
  labels: Record<string, string>;
  spec: ServiceResource["spec"];
  clusterIp: string;
  createdAt: Date;
  /** The resource exactly as it was applied. */
  manifest: unknown;
}

const STATEMENTS = {
  byName: "select uid, spec_json, spec_hash, labels_json from services where name = ?",
  insert: "insert into services (uid, name, labels_json, spec_json, spec_hash, manifest_json, cluster_ip, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
  update: "update services set labels_json = ?, spec_json = ?, spec_hash = ?, manifest_json = ? where uid = ?",
  addresses: "select cluster_ip from services",
  others: "select name, spec_json from services where name != ?",
  all: "select * from services order by name",
  one: "select * from services where name = ?",
  remove: "delete from services where name = ?",
  nodes: "select name, address from nodes",
  // Pods that publish host ports (any node: a node port is open on all of them), for the conflicts of an apply.
  publishing: "select name, host_ports_json from pods where host_ports_json != '[]' and deletion_requested_at is null",
};

interface ServiceRow {
  uid: string;
  name: string;
  labels_json: string;
  spec_json: string;
  manifest_json: string;
  cluster_ip: string;
  created_at: number;
}

/** The node ports of a resolved spec. */
export function nodePortsOf(spec: ServiceResource["spec"]): { nodePort: number; protocol: ServicePort["protocol"] }[] {
  return spec.ports.flatMap((p) => (p.nodePort === undefined ? [] : [{ nodePort: p.nodePort, protocol: p.protocol }]));
}

/**
 * Services in the leader's database. `applyOne` runs inside the apply's transaction (an apply of pods, deployments
 * and services is all or nothing): it gives a new service its virtual IP and chooses its node ports.
 */
export class ServiceStore {
  private readonly statements: Record<keyof typeof STATEMENTS, Database.Statement>;

  constructor(
    private readonly database: OpenedDatabase<unknown>,
    private readonly addressing: ServiceAddressing,
  ) {
    this.statements = database.prepareAll(STATEMENTS);
  }

  /** Creates or updates one service (inside the caller's transaction). */
  applyOne(resource: ServiceResource, source: unknown, now: Date): { outcome: ApplyOutcome } {
    const { byName, insert, update, addresses } = this.statements;
    const { name } = resource.metadata;
    const hash = contentHash(resource.spec);
    const labelsJson = canonicalJson(resource.metadata.labels);
    const existing = byName.get(name) as { uid: string; spec_json: string; spec_hash: string; labels_json: string } | undefined;
    if (existing && existing.spec_hash === hash && existing.labels_json === labelsJson) return { outcome: "unchanged" };
    const before = existing ? (JSON.parse(existing.spec_json) as ServiceResource["spec"]).ports : [];
    const spec = { ...resource.spec, ports: this.resolvePorts(name, resource.spec, before) };
    if (existing) {
      update.run(labelsJson, JSON.stringify(spec), hash, JSON.stringify(source), existing.uid);
      return { outcome: "configured" };
    }
    const allocated = allocateServiceIp(
      this.addressing.serviceCidr,
      (addresses.all() as { cluster_ip: string }[]).map((row) => row.cluster_ip),
    );
    if ("problem" in allocated) throw conflict(`service/${name}: ${allocated.problem}`);
    insert.run(randomUUID(), name, labelsJson, JSON.stringify(spec), hash, JSON.stringify(source), allocated.address, now.getTime());
    return { outcome: "created" };
  }

  private resolvePorts(name: string, spec: ServiceResource["spec"], before: ServicePort[]): ServicePort[] {
    if (spec.type !== "NodePort") return spec.ports;
    const services = new Set(
      (this.statements.others.all(name) as { spec_json: string }[]).flatMap((row) =>
        nodePortsOf(JSON.parse(row.spec_json)).map((p) => portKey(p.nodePort, p.protocol)),
      ),
    );
    const cluster = clusterPorts(this.addressing.leaderPort, this.statements.nodes.all() as { name: string; address: string }[]);
    const resolved = resolveNodePorts(spec.ports, before, { services, cluster }, this.addressing);
    if ("problem" in resolved) throw conflict(`service/${name}: ${resolved.problem}`);
    return resolved.ports;
  }

  /** Every node port held, by "port/protocol", with its service (inside the caller's transaction). */
  nodePortHolders(): Map<string, string> {
    const holders = new Map<string, string>();
    for (const row of this.statements.all.all() as ServiceRow[]) {
      for (const p of nodePortsOf(JSON.parse(row.spec_json))) holders.set(portKey(p.nodePort, p.protocol), row.name);
    }
    return holders;
  }

  /** Host ports that pods publish, by "port/protocol", with a pod that does (inside the caller's transaction). */
  hostPortHolders(): Map<string, string> {
    const holders = new Map<string, string>();
    for (const row of this.statements.publishing.all() as { name: string; host_ports_json: string }[]) {
      for (const p of JSON.parse(row.host_ports_json) as PublishedPort[]) holders.set(portKey(p.hostPort, p.protocol), row.name);
    }
    return holders;
  }

  async list(): Promise<StoredService[]> {
    return this.database.inBatch(() => (this.statements.all.all() as ServiceRow[]).map(toStoredService));
  }

  async get(name: string): Promise<StoredService | undefined> {
    const row = await this.database.inBatch(() => this.statements.one.get(name) as ServiceRow | undefined);
    return row && toStoredService(row);
  }

  /** Deletes a service at once (nothing runs for it: its rules go from every node at the next push); false when there is none. */
  async remove(name: string): Promise<boolean> {
    return this.database.inBatch(() => this.statements.remove.run(name).changes > 0);
  }
}

function toStoredService(row: ServiceRow): StoredService {
  return {
    uid: row.uid,
    name: row.name,
    labels: JSON.parse(row.labels_json),
    spec: JSON.parse(row.spec_json),
    clusterIp: row.cluster_ip,
    createdAt: new Date(row.created_at),
    manifest: JSON.parse(row.manifest_json),
  };
}
