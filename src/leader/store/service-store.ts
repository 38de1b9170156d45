import { randomUUID } from "node:crypto";
import type { ApplyOutcome, PublishedPort, ServicePort, ServiceResource } from "../../shared/domain.js";
import { conflict } from "../refusals.js";
import { allocateServiceIp, clusterPorts, portKey, resolveNodePorts, type ServiceAddressing } from "../service-addresses.js";
import { canonicalJson, contentHash } from "../spec-hash.js";
import type { Sql, StoreDatabase } from "./store-database.js";

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
  constructor(
    private readonly database: StoreDatabase,
    private readonly addressing: ServiceAddressing,
  ) {}

  /** Creates or updates one service (inside the caller's transaction). */
  async applyOne(sql: Sql, resource: ServiceResource, source: unknown, now: Date): Promise<{ outcome: ApplyOutcome }> {
    const { byName, insert, update, addresses } = STATEMENTS;
    const { name } = resource.metadata;
    const hash = contentHash(resource.spec);
    const labelsJson = canonicalJson(resource.metadata.labels);
    const existing = await sql.get<{ uid: string; spec_json: string; spec_hash: string; labels_json: string }>(byName, name);
    if (existing && existing.spec_hash === hash && existing.labels_json === labelsJson) return { outcome: "unchanged" };
    const before = existing ? (JSON.parse(existing.spec_json) as ServiceResource["spec"]).ports : [];
    const spec = { ...resource.spec, ports: await this.resolvePorts(sql, name, resource.spec, before) };
    if (existing) {
      await sql.run(update, labelsJson, JSON.stringify(spec), hash, JSON.stringify(source), existing.uid);
      return { outcome: "configured" };
    }
    const taken = await sql.all<{ cluster_ip: string }>(addresses);
    const allocated = allocateServiceIp(
      this.addressing.serviceCidr,
      taken.map((row) => row.cluster_ip),
    );
    if ("problem" in allocated) throw conflict(`service/${name}: ${allocated.problem}`);
    await sql.run(insert, randomUUID(), name, labelsJson, JSON.stringify(spec), hash, JSON.stringify(source), allocated.address, now.getTime());
    return { outcome: "created" };
  }

  private async resolvePorts(sql: Sql, name: string, spec: ServiceResource["spec"], before: ServicePort[]): Promise<ServicePort[]> {
    if (spec.type !== "NodePort") return spec.ports;
    const services = new Set(
      (await sql.all<{ spec_json: string }>(STATEMENTS.others, name)).flatMap((row) =>
        nodePortsOf(JSON.parse(row.spec_json)).map((p) => portKey(p.nodePort, p.protocol)),
      ),
    );
    const cluster = clusterPorts(this.addressing.leaderPort, await sql.all<{ name: string; address: string }>(STATEMENTS.nodes));
    const resolved = resolveNodePorts(spec.ports, before, { services, cluster }, this.addressing);
    if ("problem" in resolved) throw conflict(`service/${name}: ${resolved.problem}`);
    return resolved.ports;
  }

  /** Every node port held, by "port/protocol", with its service (inside the caller's transaction). */
  async nodePortHolders(sql: Sql): Promise<Map<string, string>> {
    const holders = new Map<string, string>();
    for (const row of await sql.all<ServiceRow>(STATEMENTS.all)) {
      for (const p of nodePortsOf(JSON.parse(row.spec_json))) holders.set(portKey(p.nodePort, p.protocol), row.name);
    }
    return holders;
  }

  /** Host ports that pods publish, by "port/protocol", with a pod that does (inside the caller's transaction). */
  async hostPortHolders(sql: Sql): Promise<Map<string, string>> {
    const holders = new Map<string, string>();
    for (const row of await sql.all<{ name: string; host_ports_json: string }>(STATEMENTS.publishing)) {
      for (const p of JSON.parse(row.host_ports_json) as PublishedPort[]) holders.set(portKey(p.hostPort, p.protocol), row.name);
    }
    return holders;
  }

  async list(): Promise<StoredService[]> {
    return (await this.database.read((sql) => sql.all<ServiceRow>(STATEMENTS.all))).map(toStoredService);
  }

  async get(name: string): Promise<StoredService | undefined> {
    const row = await this.database.read((sql) => sql.get<ServiceRow>(STATEMENTS.one, name));
    return row && toStoredService(row);
  }

  /** Deletes a service at once (nothing runs for it: its rules go from every node at the next push); false when there is none. */
  async remove(name: string): Promise<boolean> {
    return this.database.write(async (sql) => (await sql.run(STATEMENTS.remove, name)) > 0);
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
