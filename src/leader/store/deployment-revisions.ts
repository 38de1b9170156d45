import type { DeploymentResource } from "../../shared/domain.js";
import type { Sql } from "./store-database.js";

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
 * A deployment's revisions, in the leader's database. Every function runs inside the caller's transaction, so a new
 * template and its revision are written together.
 */
export const deploymentRevisions = {
  /**
   * Records a template as the deployment's newest revision and returns its number. A template it had before moves to
   * the new number, keeping whether it once completed; revisions beyond the history limit are dropped.
   */
  async start(sql: Sql, deployment: string, template: PodTemplate, templateHash: string, historyLimit: number, now: Date): Promise<number> {
    const { next, sameTemplate, remove, insert, prune } = STATEMENTS;
    const revision = (await sql.get<{ next: number }>(next, deployment))!.next;
    const earlier = await sql.get<{ revision: number; completed_at: number | null }>(sameTemplate, deployment, templateHash);
    if (earlier) await sql.run(remove, deployment, earlier.revision);
    await sql.run(insert, deployment, revision, templateHash, JSON.stringify(template), now.getTime(), earlier?.completed_at ?? null);
    await sql.run(prune, deployment, revision, deployment, revision, historyLimit);
    return revision;
  },

  async complete(sql: Sql, deployment: string, revision: number, now: Date): Promise<void> {
    await sql.run(STATEMENTS.complete, now.getTime(), deployment, revision);
  },

  async list(sql: Sql, deployment: string): Promise<Revision[]> {
    return (await sql.all<RevisionRow>(STATEMENTS.all, deployment)).map((row) => ({
      revision: row.revision,
      templateHash: row.template_hash,
      template: JSON.parse(row.template_json),
      createdAt: new Date(row.created_at),
      completedAt: row.completed_at === null ? undefined : new Date(row.completed_at),
    }));
  },

  async forget(sql: Sql, deployment: string): Promise<void> {
    await sql.run(STATEMENTS.forget, deployment);
  },
};

/** The newest revision before `current` whose rollout once completed: where a failed rollout goes back to. */
export function lastCompleteRevision(revisions: Revision[], current: number): Revision | undefined {
  return revisions.filter((r) => r.revision !== current && r.completedAt).at(-1);
}
