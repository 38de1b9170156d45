import { conflict } from "../refusals.js";
import { randomUUID } from "node:crypto";
import type { ApplyOutcome, DeploymentResource } from "../../shared/domain.js";
import { referencesOf } from "../../shared/pod-references.js";
import { canonicalJson, contentHash } from "../spec-hash.js";
import { deploymentRevisions as revisions, type PodTemplate, type Revision } from "./deployment-revisions.js";
import type { Sql, StoreDatabase } from "./store-database.js";

export type RolloutState = "Progressing" | "Complete" | "Failed";

/** Where a deployment's latest rollout stands. */
export interface Rollout {
  revision: number;
  state: RolloutState;
  /** Why it failed, or why it was rolled back (then `rolledBackFrom` says from which revision). */
  message: string;
  startedAt: Date;
  rolledBackFrom?: number;
}

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
  /** The resource exactly as it was applied (with `cube scale`'s count, and the template of a rollback or restart). */
  manifest: unknown;
  rollout: Rollout;
}

const STATEMENTS = {
  byName: "select uid, spec_hash, template_hash, labels_json, deletion_requested_at from deployments where name = ?",
  insert:
    "insert into deployments (uid, name, labels_json, spec_json, spec_hash, template_hash, manifest_json, created_at, deletion_requested_at, revision, rollout_state, rollout_message, rollout_started_at) values (?, ?, ?, ?, ?, ?, ?, ?, null, ?, 'Progressing', '', ?)",
  update: "update deployments set labels_json = ?, spec_json = ?, spec_hash = ?, template_hash = ?, manifest_json = ? where uid = ?",
  startRollout:
    "update deployments set revision = ?, rollout_state = 'Progressing', rollout_message = ?, rollout_started_at = ?, rolled_back_from = ? where name = ?",
  // A completed rollback keeps saying why it happened (null keeps the message).
  finishRollout:
    "update deployments set rollout_state = ?, rollout_message = coalesce(?, rollout_message) where name = ? and revision = ? and rollout_state = 'Progressing'",
  all: "select * from deployments order by name",
  one: "select * from deployments where name = ?",
  source: "select spec_json, manifest_json, revision from deployments where name = ? and deletion_requested_at is null",
  setSpec: "update deployments set spec_json = ?, spec_hash = ?, manifest_json = ? where name = ?",
  setTemplate: "update deployments set spec_json = ?, spec_hash = ?, template_hash = ?, manifest_json = ? where name = ?",
  markDeleting: "update deployments set deletion_requested_at = ? where name = ? and deletion_requested_at is null",
  removable: "select uid from deployments where name = ? and deletion_requested_at is not null and not exists (select 1 from pods where owner = ?)",
  remove: "delete from deployments where uid = ?",
  live: "select name, spec_json, template_hash from deployments where deletion_requested_at is null",
  setTemplateHash: "update deployments set template_hash = ? where name = ?",
  forgetEvents: "delete from events where pod_uid = ?",
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
  revision: number;
  rollout_state: RolloutState;
  rollout_message: string;
  rollout_started_at: number;
  rolled_back_from: number | null;
}

/**
 * The hash of a deployment's pod template and of the content of the secrets and configs it uses (`uses`: content id by
 * reference), so that new values roll out as a new revision (env included); its pods' names carry its first characters.
 * A template that uses none hashes as before they existed.
 */
export function templateHash(template: DeploymentResource["spec"]["template"], uses: Record<string, string> = {}): string {
  return Object.keys(uses).length === 0 ? contentHash(template) : contentHash({ template, uses });
}

/** The content ids of the secrets and configs that exist, by reference (read inside the caller's transaction). */
export type ContentIds = (sql: Sql, refs: string[]) => Promise<Record<string, string>>;

/**
 * Deployments in the leader's database, and the pods they own. `applyOne` runs inside the apply's transaction, so an
 * apply of pods and deployments is still all or nothing.
 */
export class DeploymentStore {
  constructor(
    private readonly database: StoreDatabase,
    private readonly contentIds: ContentIds,
  ) {}

  private async hashOf(sql: Sql, template: PodTemplate): Promise<string> {
    return templateHash(template, await this.contentIds(sql, referencesOf(template.spec)));
  }

  /**
   * Secrets or configs got new content: each deployment that uses one starts a rollout of a new revision (inside the
   * caller's transaction). Returns the deployments that did.
   */
  async followContent(sql: Sql, changed: ReadonlySet<string>, now: Date): Promise<string[]> {
    const rolled: string[] = [];
    for (const row of await sql.all<{ name: string; spec_json: string; template_hash: string }>(STATEMENTS.live)) {
      const spec = JSON.parse(row.spec_json) as DeploymentResource["spec"];
      if (!referencesOf(spec.template.spec).some((ref) => changed.has(ref))) continue;
      const hash = await this.hashOf(sql, spec.template);
      if (hash === row.template_hash) continue;
      await sql.run(STATEMENTS.setTemplateHash, hash, row.name);
      await this.startRollout(sql, row.name, spec.template, hash, spec.revisionHistoryLimit, now);
      rolled.push(row.name);
    }
    return rolled;
  }

  /** Creates or updates one deployment (inside the caller's transaction); `revision`: the one it made, if it made one. */
  async applyOne(sql: Sql, resource: DeploymentResource, source: unknown, now: Date): Promise<{ outcome: ApplyOutcome; revision?: number }> {
    const { byName, insert, update } = STATEMENTS;
    const { name } = resource.metadata;
    const hash = contentHash(resource.spec);
    const labelsJson = canonicalJson(resource.metadata.labels);
    type Existing = { uid: string; spec_hash: string; template_hash: string; labels_json: string; deletion_requested_at: number | null };
    const existing = await sql.get<Existing>(byName, name);
    if (existing?.deletion_requested_at) throw conflict(`deployment/${name} is being deleted; apply it again once it is gone`);
    const { template, revisionHistoryLimit } = resource.spec;
    const newTemplateHash = await this.hashOf(sql, template);
    if (!existing) {
      const revision = await revisions.start(sql, name, template, newTemplateHash, revisionHistoryLimit, now);
      const row = [randomUUID(), name, labelsJson, JSON.stringify(resource.spec), hash, newTemplateHash, JSON.stringify(source), now.getTime()];
      await sql.run(insert, ...row, revision, now.getTime());
      return { outcome: "created", revision };
    }
    if (existing.spec_hash === hash && existing.labels_json === labelsJson) return { outcome: "unchanged" };
    await sql.run(update, labelsJson, JSON.stringify(resource.spec), hash, newTemplateHash, JSON.stringify(source), existing.uid);
    if (existing.template_hash === newTemplateHash) return { outcome: "configured" };
    return { outcome: "configured", revision: await this.startRollout(sql, name, template, newTemplateHash, revisionHistoryLimit, now) };
  }

  /** A new template: a new revision, whose rollout starts now (inside the caller's transaction). */
  private async startRollout(
    sql: Sql,
    name: string,
    template: PodTemplate,
    hash: string,
    historyLimit: number,
    now: Date,
    rollback?: { from: number; reason: string },
  ): Promise<number> {
    const revision = await revisions.start(sql, name, template, hash, historyLimit, now);
    await sql.run(STATEMENTS.startRollout, revision, rollback?.reason ?? "", now.getTime(), rollback?.from ?? null, name);
    return revision;
  }

  /**
   * Gives a deployment another template (a rollback, an undo, a restart): in its spec and in its manifest as applied,
   * as a new revision whose rollout starts now. Returns that revision (the current one when the template is the same),
   * or undefined when there is no such deployment.
   */
  async changeTemplate(name: string, template: PodTemplate, now: Date, rollback?: { from: number; reason: string }): Promise<number | undefined> {
    const { source, byName, setTemplate } = STATEMENTS;
    return this.database.write(async (sql) => {
      const row = await sql.get<{ spec_json: string; manifest_json: string; revision: number }>(source, name);
      if (!row) return undefined;
      const hash = await this.hashOf(sql, template);
      if ((await sql.get<{ template_hash: string }>(byName, name))!.template_hash === hash) return row.revision;
      const spec = { ...JSON.parse(row.spec_json), template };
      const manifest = JSON.parse(row.manifest_json);
      manifest.spec = { ...manifest.spec, template };
      await sql.run(setTemplate, JSON.stringify(spec), contentHash(spec), hash, JSON.stringify(manifest), name);
      return this.startRollout(sql, name, template, hash, spec.revisionHistoryLimit, now, rollback);
    });
  }

  /** Ends the rollout of `revision` if it is still the one in progress; a completed revision is one to go back to. */
  async finishRollout(name: string, revision: number, outcome: { state: "Complete" } | { state: "Failed"; message: string }, now: Date): Promise<boolean> {
    const { state } = outcome;
    return this.database.write(async (sql) => {
      const changed = (await sql.run(STATEMENTS.finishRollout, state, state === "Failed" ? outcome.message : null, name, revision)) > 0;
      if (changed && state === "Complete") await revisions.complete(sql, name, revision, now);
      return changed;
    });
  }

  async revisionsOf(name: string): Promise<Revision[]> {
    return this.database.read((sql) => revisions.list(sql, name));
  }

  async list(): Promise<StoredDeployment[]> {
    return (await this.database.read((sql) => sql.all<DeploymentRow>(STATEMENTS.all))).map(toStoredDeployment);
  }

  async get(name: string): Promise<StoredDeployment | undefined> {
    const row = await this.database.read((sql) => sql.get<DeploymentRow>(STATEMENTS.one, name));
    return row && toStoredDeployment(row);
  }

  /** Sets a deployment's replica count, in its spec and in the manifest as applied; false when there is none (or it is being deleted). */
  async setReplicas(name: string, replicas: number): Promise<boolean> {
    const { source, setSpec } = STATEMENTS;
    return this.database.write(async (sql) => {
      const row = await sql.get<{ spec_json: string; manifest_json: string }>(source, name);
      if (!row) return false;
      const spec = { ...JSON.parse(row.spec_json), replicas };
      const manifest = JSON.parse(row.manifest_json);
      manifest.spec = { ...manifest.spec, replicas };
      await sql.run(setSpec, JSON.stringify(spec), contentHash(spec), JSON.stringify(manifest), name);
      return true;
    });
  }

  async markDeleting(name: string, now: Date): Promise<boolean> {
    return this.database.write(async (sql) => (await sql.run(STATEMENTS.markDeleting, now.getTime(), name)) > 0);
  }

  /** Forgets a deployment being deleted, its revisions and its events, once it owns no pod; true when it did. */
  async removeIfEmpty(name: string): Promise<boolean> {
    const { removable, remove, forgetEvents } = STATEMENTS;
    return this.database.write(async (sql) => {
      const row = await sql.get<{ uid: string }>(removable, name, name);
      if (!row) return false;
      await sql.run(remove, row.uid);
      await sql.run(forgetEvents, row.uid);
      await revisions.forget(sql, name);
      return true;
    });
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
    rollout: {
      revision: row.revision,
      state: row.rollout_state,
      message: row.rollout_message,
      startedAt: new Date(row.rollout_started_at),
      rolledBackFrom: row.rolled_back_from ?? undefined,
    },
  };
}
