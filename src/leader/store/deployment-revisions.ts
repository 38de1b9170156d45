import type Database from "better-sqlite3";
import type { DeploymentResource } from "../../shared/domain.js";
import type { OpenedDatabase } from "../../shared/open-database.js";

export type PodTemplate = DeploymentResource["spec"]["template"];

/** One template a deployment had: `cube rollout history` lists them, `undo` goes back to one. */
export interface Revision {
  revision: number;
  templateHash: string;
  template: PodTemplate;
  createdAt: Date;
  /** When a rollout of it completed; a failed rollout goes back to the newest revision that has this. */
  completedAt?: Date;
}

const STATEMENTS = {
  next: "select coalesce(max(revision), 0) + 1 as next from deployment_revisions where deployment = ?",
  sameTemplate: "select revision, completed_at from deployment_revisions where deployment = ? and template_hash = ?",
  remove: "delete from deployment_revisions where deployment = ? and revision = ?",
  insert: "insert into deployment_revisions (deployment, revision, template_hash, template_json, created_at, completed_at) values (?, ?, ?, ?, ?, ?)",
  // The history limit counts the revisions before the current one (as Kubernetes' revisionHistoryLimit does).
  prune:
    "delete from deployment_revisions where deployment = ? and revision < ? and revision not in (select revision from deployment_revisions where deployment = ? and revision < ? order by revision desc limit ?)",
  complete: "update deployment_revisions set completed_at = coalesce(completed_at, ?) where deployment = ? and revision = ?",
  all: "select * from deployment_revisions where deployment = ? order by revision",
  forget: "delete from deployment_revisions where deployment = ?",
};

interface RevisionRow {
  revision: number;
  template_hash: string;
  template_json: string;
  created_at: number;
  completed_at: number | null;
}

/**
 * A deployment's revisions, in the leader's database. Every method runs inside the caller's transaction (the
 * statements share the deployment store's connection), so a new template and its revision are written together.
 */
export class DeploymentRevisions {
  private readonly statements: Record<keyof typeof STATEMENTS, Database.Statement>;

  constructor(database: OpenedDatabase<unknown>) {
    this.statements = database.prepareAll(STATEMENTS);
  }

  /**
   * Records a template as the deployment's newest revision and returns its number. A template it had before moves to
   * the new number, keeping whether it once completed; revisions beyond the history limit are dropped.
   */
  start(deployment: string, template: PodTemplate, templateHash: string, historyLimit: number, now: Date): number {
    const { next, sameTemplate, remove, insert, prune } = this.statements;
    const revision = (next.get(deployment) as { next: number }).next;
    const earlier = sameTemplate.get(deployment, templateHash) as { revision: number; completed_at: number | null } | undefined;
    if (earlier) remove.run(deployment, earlier.revision);
    insert.run(deployment, revision, templateHash, JSON.stringify(template), now.getTime(), earlier?.completed_at ?? null);
    prune.run(deployment, revision, deployment, revision, historyLimit);
    return revision;
  }

  complete(deployment: string, revision: number, now: Date): void {
    this.statements.complete.run(now.getTime(), deployment, revision);
  }

  list(deployment: string): Revision[] {
    return (this.statements.all.all(deployment) as RevisionRow[]).map((row) => ({
      revision: row.revision,
      templateHash: row.template_hash,
      template: JSON.parse(row.template_json),
      createdAt: new Date(row.created_at),
      completedAt: row.completed_at === null ? undefined : new Date(row.completed_at),
    }));
  }

  forget(deployment: string): void {
    this.statements.forget.run(deployment);
  }
}

/** The newest revision before `current` whose rollout once completed: where a failed rollout goes back to. */
export function lastCompleteRevision(revisions: Revision[], current: number): Revision | undefined {
  return revisions.filter((r) => r.revision !== current && r.completedAt).at(-1);
}
