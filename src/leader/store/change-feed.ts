import type { EventType, PodEvent, ResourceType } from "../../shared/domain.js";
import { toEvent } from "./leader-rows.js";
import type { StoreDatabase } from "./store-database.js";

/** An event with the resource it is about, as `cube events` lists them. */
export interface EventRecord {
  id: number;
  type: ResourceType;
  name: string;
  event: PodEvent;
}

const EVENTS = `select e.id, e.time, e.first_time, e.type, e.reason, e.message, e.node, e.count,
    coalesce(p.name, d.name) as name, case when p.uid is not null then 'pod' else 'deployment' end as kind
  from events e left join pods p on p.uid = e.pod_uid left join deployments d on d.uid = e.pod_uid
  where e.time >= ? and (cast(? as text) is null or e.pod_uid = ?) and coalesce(p.name, d.name) is not null
  order by e.time, e.id`;

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
 * What watchers read: a cheap revision that moves whenever the leader writes anything, and the events since a time.
 * The leader pushes changes to watching clients by looking again only when the revision moved (no writer has to know
 * about watchers).
 */
export class ChangeFeed {
  constructor(private readonly database: StoreDatabase) {}

  version(): Promise<number> {
    return this.database.revision();
  }

  /** Events last seen at or after `since` (ms), of one resource (its uid) or all, in time order. */
  async eventsSince(since: number, uid?: string): Promise<EventRecord[]> {
    const rows = await this.database.read((sql) => sql.all<EventRow>(EVENTS, since, uid ?? null, uid ?? null));
    return rows.map((row) => ({ id: row.id, type: row.kind, name: row.name, event: toEvent(row) }));
  }
}
