import type Database from "better-sqlite3";
import type { EventType, PodEvent, ResourceType } from "../../shared/domain.js";
import type { OpenedDatabase } from "../../shared/open-database.js";
import { toEvent } from "./leader-rows.js";

/** An event with the resource it is about, as `cube events` lists them. */
export interface EventRecord {
  id: number;
  type: ResourceType;
  name: string;
  event: PodEvent;
}

const STATEMENTS = {
  // Every row the leader's connection has written since it opened: what changed is looked at only when this moved.
  changes: "select total_changes() as changes",
  events: `select e.id, e.time, e.first_time, e.type, e.reason, e.message, e.node, e.count,
      coalesce(p.name, d.name) as name, case when p.uid is not null then 'pod' else 'deployment' end as kind
    from events e left join pods p on p.uid = e.pod_uid left join deployments d on d.uid = e.pod_uid
    where e.time >= ? and (? is null or e.pod_uid = ?) and coalesce(p.name, d.name) is not null
    order by e.time, e.id`,
};

interface EventRow {
  id: number;
  time: number;
  first_time: number | null;
  type: EventType;
  reason: string;
  message: string;
  node: string;
  count: number;
  name: string;
  kind: ResourceType;
}

/**
 * What watchers read: a cheap counter that moves whenever the leader writes anything, and the events since a time.
 * The leader pushes changes to watching clients by looking again only when the counter moved (no writer has to know
 * about watchers).
 */
export class ChangeFeed {
  private readonly statements: Record<keyof typeof STATEMENTS, Database.Statement>;

  constructor(private readonly database: OpenedDatabase<unknown>) {
    this.statements = database.prepareAll(STATEMENTS);
  }

  async version(): Promise<number> {
    return this.database.inBatch(() => (this.statements.changes.get() as { changes: number }).changes);
  }

  /** Events last seen at or after `since` (ms), of one resource (its uid) or all, in time order. */
  async eventsSince(since: number, uid?: string): Promise<EventRecord[]> {
    const rows = await this.database.inBatch(() => this.statements.events.all(since, uid ?? null, uid ?? null) as EventRow[]);
    return rows.map((row) => ({
      id: row.id,
      type: row.kind,
      name: row.name,
      event: toEvent(row),
    }));
  }
}
