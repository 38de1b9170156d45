import { randomBytes, randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import type { ApplyOutcome, DeploymentResource } from "../shared/domain.js";
import type { OpenedDatabase } from "../shared/open-database.js";
import { canonicalJson, contentHash, specHash } from "../shared/spec-hash.js";
import type { OwnedPod } from "./plan-deployment.js";
import { podRequests } from "./pod-needs.js";

/** A deployment as the leader keeps it. */
export interface StoredDeployment {
  uid: string;
  name: string;
  labels: Record<string, string>;
  spec: DeploymentResource["spec"];
  /** Identifies the pod template: the deployment's pods of another are old. */
  templateHash: string;
  createdAt: Date;
  deletionRequestedAt?: Date;
  /** The resource exactly as it was applied (with `cube scale`'s count). */
  manifest: unknown;
}

const STATEMENTS = {
  byName: "select uid, spec_hash, labels_json, deletion_requested_at from deployments where name = ?",
  insert:
    "insert into deployments (uid, name, labels_json, spec_json, spec_hash, template_hash, manifest_json, created_at, deletion_requested_at) values (?, ?, ?, ?, ?, ?, ?, ?, null)",
  update: "update deployments set labels_json = ?, spec_json = ?, spec_hash = ?, template_hash = ?, manifest_json = ? where uid = ?",
  all: "select * from deployments order by name",
  one: "select * from deployments where name = ?",
  owned: "select name, template_hash, created_at, ready_since, deletion_requested_at from pods where owner = ?",
  createPod:
    "insert into pods (uid, name, labels_json, spec_json, spec_hash, run_hash, manifest_json, node, created_at, cpu_millis, memory_bytes, owner, template_hash) values (?, ?, ?, ?, ?, ?, ?, null, ?, ?, ?, ?, ?)",
  source: "select spec_json, manifest_json from deployments where name = ? and deletion_requested_at is null",
  setSpec: "update deployments set spec_json = ?, spec_hash = ?, manifest_json = ? where name = ?",
  markDeleting: "update deployments set deletion_requested_at = ? where name = ? and deletion_requested_at is null",
  remove: "delete from deployments where name = ? and deletion_requested_at is not null and not exists (select 1 from pods where owner = ?)",
};

interface DeploymentRow {
  uid: string;
  name: string;
  labels_json: string;
  spec_json: string;
  template_hash: string;
  created_at: number;
  deletion_requested_at: number | null;
  manifest_json: string;
}

/** The hash of a deployment's pod template: its pods' names carry its first characters. */
export function templateHash(template: DeploymentResource["spec"]["template"]): string {
  return contentHash(template);
}

/**
 * Deployments in the leader's database, and the pods they own. Its statements share the leader store's connection:
 * `applying` runs inside the apply's transaction, so an apply of pods and deployments is still all or nothing.
 */
export class DeploymentStore {
  private readonly statements: Record<keyof typeof STATEMENTS, Database.Statement>;

  constructor(private readonly database: OpenedDatabase<unknown>) {
    this.statements = database.prepareAll(STATEMENTS);
  }

  /** Creates or updates one deployment (inside the caller's transaction). */
  applyOne(resource: DeploymentResource, source: unknown, now: Date): ApplyOutcome {
    const { byName, insert, update } = this.statements;
    const { name } = resource.metadata;
    const hash = contentHash(resource.spec);
    const labelsJson = canonicalJson(resource.metadata.labels);
    const existing = byName.get(name) as { uid: string; spec_hash: string; labels_json: string; deletion_requested_at: number | null } | undefined;
    if (existing?.deletion_requested_at) throw new Error(`deployment/${name} is being deleted; apply it again once it is gone`);
    const template = templateHash(resource.spec.template);
    if (!existing) {
      insert.run(randomUUID(), name, labelsJson, JSON.stringify(resource.spec), hash, template, JSON.stringify(source), now.getTime());
      return "created";
    }
    if (existing.spec_hash === hash && existing.labels_json === labelsJson) return "unchanged";
    update.run(labelsJson, JSON.stringify(resource.spec), hash, template, JSON.stringify(source), existing.uid);
    return "configured";
  }

  async list(): Promise<StoredDeployment[]> {
    return this.database.inBatch(() => (this.statements.all.all() as DeploymentRow[]).map(toStoredDeployment));
  }

  async get(name: string): Promise<StoredDeployment | undefined> {
    const row = await this.database.inBatch(() => this.statements.one.get(name) as DeploymentRow | undefined);
    return row && toStoredDeployment(row);
  }

  /** The pods a deployment owns, as its controller decides on them. */
  async ownedPods(name: string): Promise<OwnedPod[]> {
    type Row = { name: string; template_hash: string; created_at: number; ready_since: number | null; deletion_requested_at: number | null };
    const rows = await this.database.inBatch(() => this.statements.owned.all(name) as Row[]);
    return rows.map((row) => ({
      name: row.name,
      templateHash: row.template_hash,
      createdAt: row.created_at,
      readySince: row.ready_since ?? undefined,
      deleting: row.deletion_requested_at !== null,
    }));
  }

  /** Creates `count` pods of the deployment's current template, named NAME-<template hash>-<random>; returns their names. */
  async createPods(deployment: StoredDeployment, count: number, now: Date): Promise<string[]> {
    const { template } = deployment.spec;
    const spec = template.spec;
    const hash = specHash(spec);
    const requests = podRequests(spec);
    const labels = canonicalJson(template.metadata.labels);
    return this.database.inBatch(() =>
      Array.from({ length: count }, () => {
        const name = `${deployment.name}-${deployment.templateHash.slice(0, 8)}-${randomBytes(3).toString("hex").slice(0, 5)}`;
        const manifest = { type: "pod", metadata: { name, labels: template.metadata.labels }, spec };
        this.statements.createPod.run(
          randomUUID(),
          name,
          labels,
          JSON.stringify(spec),
          hash,
          hash,
          JSON.stringify(manifest),
          now.getTime(),
          requests.cpuMillis,
          requests.memoryBytes,
          deployment.name,
          deployment.templateHash,
        );
        return name;
      }),
    );
  }

  /** Sets a deployment's replica count, in its spec and in the manifest as applied; false when there is none (or it is being deleted). */
  async setReplicas(name: string, replicas: number): Promise<boolean> {
    const { source, setSpec } = this.statements;
    return this.database.inBatch(() => {
      const row = source.get(name) as { spec_json: string; manifest_json: string } | undefined;
      if (!row) return false;
      const spec = { ...JSON.parse(row.spec_json), replicas };
      const manifest = JSON.parse(row.manifest_json);
      manifest.spec = { ...manifest.spec, replicas };
      setSpec.run(JSON.stringify(spec), contentHash(spec), JSON.stringify(manifest), name);
      return true;
    });
  }

  async markDeleting(name: string, now: Date): Promise<boolean> {
    return this.database.inBatch(() => this.statements.markDeleting.run(now.getTime(), name).changes > 0);
  }

  /** Forgets a deployment being deleted once it owns no pod; true when it did. */
  async removeIfEmpty(name: string): Promise<boolean> {
    return this.database.inBatch(() => this.statements.remove.run(name, name).changes > 0);
  }
}

function toStoredDeployment(row: DeploymentRow): StoredDeployment {
  return {
    uid: row.uid,
    name: row.name,
    labels: JSON.parse(row.labels_json),
    spec: JSON.parse(row.spec_json),
    templateHash: row.template_hash,
    createdAt: new Date(row.created_at),
    deletionRequestedAt: row.deletion_requested_at === null ? undefined : new Date(row.deletion_requested_at),
    manifest: JSON.parse(row.manifest_json),
  };
}
