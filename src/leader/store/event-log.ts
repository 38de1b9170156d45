import type { PodEvent } from "../../shared/domain.js";
import type { Sql } from "./store-database.js";

/** Events kept per pod unless the leader is told otherwise (`--max-events-per-pod`). */
export const DEFAULT_MAX_EVENTS_PER_POD = 300;

/** A repeat of the pod's last event (same type, reason, message and node) adds to its count instead of a new line. */
export function repeats(last: Pick<PodEvent, "type" | "reason" | "message" | "node"> | undefined, event: PodEvent): boolean {
  return last !== undefined && last.type === event.type && last.reason === event.reason && last.message === event.message && last.node === event.node;
}

const STATEMENTS = {
  // A node's event is kept only about a pod placed on that node, now or before (its containers may still be there);
  // the leader's own, about any pod or deployment that still exists.
  deploymentExists: "select 1 from deployments where uid = ?",
  admissible:
    "select 1 from pods where uid = ? and (cast(? as text) is null or node = ? or exists (select 1 from events where pod_uid = ? and node = ? and source_node_id is null and reason in ('Scheduled', 'Rescheduled')))",
  lastOfPod: "select id, type, reason, message, node from events where pod_uid = ? order by id desc limit 1",
  countRepeat: "update events set count = count + 1, time = ? where id = ?",
  insert:
    "insert into events (pod_uid, time, first_time, type, reason, message, node, source_node_id, source_sequence, count) values (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
  trim: "delete from events where pod_uid = ? and id <= (select id from events where pod_uid = ? order by id desc limit 1 offset ?)",
  deliveredUpTo: "select up_to from event_marks where node_id = ?",
  markDelivered:
    "insert into event_marks (node_id, up_to) values (?, ?) on conflict (node_id) do update set up_to = excluded.up_to where event_marks.up_to < excluded.up_to",
};

/**
 * The pods' events in the leader's database: each node's events stored exactly once (a node sends them in the order
 * of its sequence, so one mark per node says what was stored), repeats merged into a count with first and last times
 * (as Kubernetes does: `x21 over 3m`), and at most `maxPerPod` kept per pod, the oldest dropped: a pod restarting for
 * a year does not grow the database. Runs inside the caller's transaction.
 */
export class EventLog {
  /** Told of each event recorded (repeats included), when set: the metrics. */
  recorded?: (event: PodEvent) => void;

  constructor(private readonly maxPerPod: number) {}

  /** Records an event about a pod (or, from the leader itself, a deployment): `podUid` is the resource's uid. */
  async record(sql: Sql, podUid: string, event: PodEvent, source?: { nodeId: string; sequence: number }): Promise<void> {
    const batch = this.batch(sql);
    await batch.record(podUid, event, source);
    await batch.finish();
  }

  /**
   * For many events in one transaction (the nodes' reports of a group commit): each node's mark is read and written
   * once, and each pod trimmed to the bound once, rather than at every event. `finish` before the transaction ends.
   */
  batch(sql: Sql): EventBatch {
    return new EventBatch(sql, this.maxPerPod, (event) => this.recorded?.(event));
  }
}

export class EventBatch {
  /** Each node's last sequence stored, as the batch goes: read at its first event, written at the end if it moved. */
  private readonly marks = new Map<string, { upTo?: number; moved: boolean }>();
  /** Pods given a new line: trimmed to the bound at the end. */
  private readonly grown = new Set<string>();

  constructor(
    private readonly sql: Sql,
    private readonly maxPerPod: number,
    private readonly recorded: (event: PodEvent) => void,
  ) {}

  async record(podUid: string, event: PodEvent, source?: { nodeId: string; sequence: number }): Promise<void> {
    const { sql } = this;
    const { admissible, deploymentExists, lastOfPod, countRepeat, insert } = STATEMENTS;
    if (source) {
      const mark = await this.markOf(source.nodeId);
      if (mark.upTo !== undefined && source.sequence <= mark.upTo) return; // delivered again: stored already
      mark.upTo = source.sequence;
      mark.moved = true;
    }
    const from = source ? event.node : null;
    if (!(await sql.get(admissible, podUid, from, from, podUid, from)) && (source || !(await sql.get(deploymentExists, podUid)))) return;
    const last = await sql.get<Pick<PodEvent, "type" | "reason" | "message" | "node"> & { id: number }>(lastOfPod, podUid);
    const time = event.time.getTime();
    this.recorded(event);
    if (repeats(last, event)) {
      await sql.run(countRepeat, time, last!.id);
      return;
    }
    await sql.run(insert, podUid, time, time, event.type, event.reason, event.message, event.node, source?.nodeId ?? null, source?.sequence ?? null);
    this.grown.add(podUid);
  }

  async finish(): Promise<void> {
    for (const [nodeId, mark] of this.marks) if (mark.moved) await this.sql.run(STATEMENTS.markDelivered, nodeId, mark.upTo!);
    for (const podUid of this.grown) await this.sql.run(STATEMENTS.trim, podUid, podUid, this.maxPerPod);
  }

  private async markOf(nodeId: string): Promise<{ upTo?: number; moved: boolean }> {
    let mark = this.marks.get(nodeId);
    if (!mark) {
      const row = await this.sql.get<{ up_to: number }>(STATEMENTS.deliveredUpTo, nodeId);
      mark = { upTo: row?.up_to, moved: false };
      this.marks.set(nodeId, mark);
    }
    return mark;
  }
}
