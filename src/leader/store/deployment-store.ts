import { conflict } from "../refusals.js";
import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import type { ApplyOutcome, DeploymentResource } from "../../shared/domain.js";
import type { OpenedDatabase } from "../../shared/open-database.js";
import { referencesOf } from "../../shared/pod-references.js";
import { canonicalJson, contentHash } from "../spec-hash.js";
import { DeploymentRevisions, type PodTemplate, type Revision } from "./deployment-revisions.js";

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
export type ContentIds = (refs: string[]) => Record<string, string>;

/**
 * Deployments in the leader's database, and the pods they own. Its statements share the leader store's connection:
 * `applying` runs inside the apply's transaction, so an apply of pods and deployments is still all or nothing.
 */
export class DeploymentStore {
  private readonly statements: Record<keyof typeof STATEMENTS, Database.Statement>;
  private readonly revisions: DeploymentRevisions;

  constructor(
    private readonly database: OpenedDatabase<unknown>,
    private readonly contentIds: ContentIds,
  ) {
    this.statements = database.prepareAll(STATEMENTS);
    this.revisions = new DeploymentRevisions(database);
  }

  private hashOf(template: PodTemplate): string {
    return templateHash(template, this.contentIds(referencesOf(template.spec)));
  }

  /**
   * Secrets or configs got new content: each deployment that uses one starts a rollout of a new revision (inside the
   * caller's transaction). Returns the deployments that did.
   */
  followContent(changed: ReadonlySet<string>, now: Date): string[] {
    const rolled: string[] = [];
    for (const row of this.statements.live.all() as { name: string; spec_json: string; template_hash: string }[]) {
      const spec = JSON.parse(row.spec_json) as DeploymentResource["spec"];
      if (!referencesOf(spec.template.spec).some((ref) => changed.has(ref))) continue;
      const hash = this.hashOf(spec.template);
      if (hash === row.template_hash) continue;
      this.statements.setTemplateHash.run(hash, row.name);
      this.startRollout(row.name, spec.template, hash, spec.revisionHistoryLimit, now);
      rolled.push(row.name);
    }
    return rolled;
  }

  /** Creates or updates one deployment (inside the caller's transaction); `revision`: the one it made, if it made one. */
  applyOne(resource: DeploymentResource, source: unknown, now: Date): { outcome: ApplyOutcome; revision?: number } {
    const { byName, insert, update } = this.statements;
    const { name } = resource.metadata;
    const hash = contentHash(resource.spec);
    const labelsJson = canonicalJson(resource.metadata.labels);
    type Existing = { uid: string; spec_hash: string; template_hash: string; labels_json: string; deletion_requested_at: number | null };
    const existing = byName.get(name) as Existing | undefined;
    if (existing?.deletion_requested_at) throw conflict(`deployment/${name} is being deleted; apply it again once it is gone`);
    const { template, revisionHistoryLimit } = resource.spec;
    const newTemplateHash = this.hashOf(template);
    if (!existing) {
      const revision = this.revisions.start(name, template, newTemplateHash, revisionHistoryLimit, now);
      insert.run(
        randomUUID(),
        name,
        labelsJson,
        JSON.stringify(resource.spec),
        hash,
        newTemplateHash,
        JSON.stringify(source),
        now.getTime(),
        revision,
        now.getTime(),
      );
      return { outcome: "created", revision };
    }
    if (existing.spec_hash === hash && existing.labels_json === labelsJson) return { outcome: "unchanged" };
    update.run(labelsJson, JSON.stringify(resource.spec), hash, newTemplateHash, JSON.stringify(source), existing.uid);
    if (existing.template_hash === newTemplateHash) return { outcome: "configured" };
    return { outcome: "configured", revision: this.startRollout(name, template, newTemplateHash, revisionHistoryLimit, now) };
  }

  /** A new template: a new revision, whose rollout starts now (inside the caller's transaction). */
  private startRollout(
    name: string,
    template: PodTemplate,
    hash: string,
    historyLimit: number,
    now: Date,
    rollback?: { from: number; reason: string },
  ): number {
    const revision = this.revisions.start(name, template, hash, historyLimit, now);
    this.statements.startRollout.run(revision, rollback?.reason ?? "", now.getTime(), rollback?.from ?? null, name);
    return revision;
  }

  /**
   * Gives a deployment another template (a rollback, an undo, a restart): in its spec and in its manifest as applied,
   * as a new revision whose rollout starts now. Returns that revision (the current one when the template is the same),
   * or undefined when there is no such deployment.
   */
  async changeTemplate(name: string, template: PodTemplate, now: Date, rollback?: { from: number; reason: string }): Promise<number | undefined> {
    const { source, byName, setTemplate } = this.statements;
    return this.database.inBatch(() => {
      const row = source.get(name) as { spec_json: string; manifest_json: string; revision: number } | undefined;
      if (!row) return undefined;
      const hash = this.hashOf(template);
      if ((byName.get(name) as { template_hash: string }).template_hash === hash) return row.revision;
      const spec = { ...JSON.parse(row.spec_json), template };
      const manifest = JSON.parse(row.manifest_json);
      manifest.spec = { ...manifest.spec, template };
      setTemplate.run(JSON.stringify(spec), contentHash(spec), hash, JSON.stringify(manifest), name);
      return this.startRollout(name, template, hash, spec.revisionHistoryLimit, now, rollback);
    });
  }

  /** Ends the rollout of `revision` if it is still the one in progress; a completed revision is one to go back to. */
  async finishRollout(name: string, revision: number, outcome: { state: "Complete" } | { state: "Failed"; message: string }, now: Date): Promise<boolean> {
    const { state } = outcome;
    return this.database.inBatch(() => {
      const changed = this.statements.finishRollout.run(state, state === "Failed" ? outcome.message : null, name, revision).changes > 0;
      if (changed && state === "Complete") this.revisions.complete(name, revision, now);
      return changed;
    });
  }

  async revisionsOf(name: string): Promise<Revision[]> {
    return this.database.inBatch(() => this.revisions.list(name));
  }

  async list(): Promise<StoredDeployment[]> {
    return this.database.inBatch(() => (this.statements.all.all() as DeploymentRow[]).map(toStoredDeployment));
  }

  async get(name: string): Promise<StoredDeployment | undefined> {
    const row = await this.database.inBatch(() => this.statements.one.get(name) as DeploymentRow | undefined);
    return row && toStoredDeployment(row);
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

  /** Forgets a deployment being deleted, its revisions and its events, once it owns no pod; true when it did. */
  async removeIfEmpty(name: string): Promise<boolean> {
    const { removable, remove, forgetEvents } = this.statements;
    return this.database.inBatch(() => {
      const row = removable.get(name, name) as { uid: string } | undefined;
      if (!row) return false;
      remove.run(row.uid);
      forgetEvents.run(row.uid);
      this.revisions.forget(name);
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
