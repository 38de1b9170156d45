import { randomUUID } from "node:crypto";
import { sql, type Generated, type Selectable } from "kysely";
import type { DesiredPod, PodEvent, PodNetworkSettings, PodSpec } from "../shared/domain.js";
import { openDatabase, SqliteStore, type OpenedDatabase } from "../shared/open-database.js";
import { agentMigrations } from "./agent-migrations.js";
import type { LocalPod, Termination } from "./local-pod.js";
import type { RestartState } from "./restart-tracker.js";

interface PodsTable {
  uid: string;
  name: string;
  labels_json: string;
  spec_json: string;
  spec_hash: string;
  termination: Termination | null;
  host_ports_json: string;
  purge: number;
  owner: string | null;
}

interface OutboxTable {
  sequence: Generated<number>;
  pod_uid: string;
  kind: "event" | "removed";
  event_json: string | null;
}

interface AgentSchema {
  settings: { key: string; value: string };
  pods: PodsTable;
  outbox: OutboxTable;
  restart_states: { key: string; pod_uid: string; state_json: string };
}

/** A record for the leader, kept until it is acknowledged. */
export type OutboxEntry = { sequence: number; podUid: string; kind: "event"; event: PodEvent } | { sequence: number; podUid: string; kind: "removed" };

function toLocalPod(row: Selectable<PodsTable>, spec: PodSpec): LocalPod {
  return {
    uid: row.uid,
    name: row.name,
    labels: JSON.parse(row.labels_json),
    spec,
    specHash: row.spec_hash,
    hostPorts: JSON.parse(row.host_ports_json),
    purge: row.purge === 1,
    ...(row.owner === null ? {} : { owner: row.owner }),
    ...(row.termination ? { termination: row.termination } : {}),
  };
}

function toOutboxEntry(row: Selectable<OutboxTable>): OutboxEntry {
  if (row.kind === "removed") return { sequence: row.sequence, podUid: row.pod_uid, kind: "removed" };
  const event = JSON.parse(row.event_json!) as PodEvent;
  return { sequence: row.sequence, podUid: row.pod_uid, kind: "event", event: { ...event, time: new Date(event.time) } };
}

/** The sync loop's statements, prepared once (kysely prepares each query anew). */
const STATEMENTS = {
  localPods: "select * from pods order by name",
  upsertPod:
    "insert into pods (uid, name, labels_json, spec_json, spec_hash, termination, host_ports_json, purge, owner) values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (uid) do update set name = excluded.name, labels_json = excluded.labels_json, spec_json = excluded.spec_json, spec_hash = excluded.spec_hash, termination = excluded.termination, host_ports_json = excluded.host_ports_json, purge = excluded.purge, owner = excluded.owner",
  markAllUnassigned: "update pods set termination = coalesce(termination, 'unassigned')",
  appendEvent: "insert into outbox (pod_uid, kind, event_json) values (?, 'event', ?)",
  saveRestartState: "insert into restart_states (key, pod_uid, state_json) values (?, ?, ?) on conflict (key) do update set state_json = excluded.state_json",
  outboxAfter: "select * from outbox where sequence > ? order by sequence",
  acknowledge: "delete from outbox where sequence <= ?",
};

/** A node's durable state, in its own SQLite: its identity, its pods, and what the leader has not yet acknowledged. */
export class AgentStore extends SqliteStore<AgentSchema, keyof typeof STATEMENTS> {
  /** The specs of the last read of the pods, by hash (read-only: pods of one spec share it). */
  private parsedSpecs = new Map<string, PodSpec>();

  private constructor(database: OpenedDatabase<AgentSchema>) {
    super(database, STATEMENTS);
  }

  static async open(file: string): Promise<AgentStore> {
    const database = await openDatabase<AgentSchema>(file, agentMigrations);
    // The leader stores a node's events once each by their sequence, which must only grow: a database made anew (the
    // old one lost) starts its sequence from the clock (microseconds), above anything the old one can have sent.
    await sql`insert into sqlite_sequence (name, seq) select 'outbox', ${Date.now() * 1000} where not exists (select 1 from sqlite_sequence where name = 'outbox')`.execute(
      database.db,
    );
    return new AgentStore(database);
  }

  /**
   * The node's stable identity, made on first use (`recorded`, when the node knew it from elsewhere): it tells the
   * leader's own node from the others. `created` says the database had none: a new node, or a database that was lost.
   */
  async nodeId(recorded?: string): Promise<{ nodeId: string; created: boolean }> {
    const { numInsertedOrUpdatedRows } = await this.db
      .insertInto("settings")
      .values({ key: "node_id", value: recorded ?? randomUUID() })
      .onConflict((c) => c.column("key").doNothing())
      .executeTakeFirst();
    const row = await this.db.selectFrom("settings").select("value").where("key", "=", "node_id").executeTakeFirstOrThrow();
    return { nodeId: row.value, created: numInsertedOrUpdatedRows === 1n };
  }

  /** The pod network the leader last told (kept so that a restart sets it up again before the leader answers). */
  async podNetwork(): Promise<PodNetworkSettings | undefined> {
    const row = await this.db.selectFrom("settings").select("value").where("key", "=", "pod_network").executeTakeFirst();
    return row && (JSON.parse(row.value) as PodNetworkSettings);
  }

  /** Undefined forgets it (the node left the cluster). */
  async savePodNetwork(settings: PodNetworkSettings | undefined): Promise<void> {
    if (!settings) {
      await this.db.deleteFrom("settings").where("key", "=", "pod_network").execute();
      return;
    }
    const value = JSON.stringify(settings);
    await this.db
      .insertInto("settings")
      .values({ key: "pod_network", value })
      .onConflict((c) => c.column("key").doUpdateSet({ value }))
      .execute();
  }

  async localPods(): Promise<LocalPod[]> {
    return this.database.inBatch(() => {
      // Every sync pass reads every pod: each spec is parsed once per hash, and only the last pass's are kept.
      const parsed = new Map<string, PodSpec>();
      const pods = (this.statements.localPods.all() as Selectable<PodsTable>[]).map((row) => {
        const spec = this.parsedSpecs.get(row.spec_hash) ?? parsed.get(row.spec_hash) ?? (JSON.parse(row.spec_json) as PodSpec);
        parsed.set(row.spec_hash, spec);
        return toLocalPod(row, spec);
      });
      this.parsedSpecs = parsed;
      return pods;
    });
  }

  /** Takes the leader's complete set of pods for this node: those being deleted and those left out are torn down. */
  async replaceAssignments(desired: DesiredPod[]): Promise<void> {
    const { markAllUnassigned, upsertPod } = this.statements;
    await this.database.inBatch(() => {
      markAllUnassigned.run();
      for (const pod of desired) {
        upsertPod.run(
          pod.uid,
          pod.name,
          JSON.stringify(pod.labels),
          pod.specJson,
          pod.specHash,
          pod.deleting ? "deleted" : null,
          JSON.stringify(pod.hostPorts),
          pod.purge ? 1 : 0,
          pod.owner ?? null,
        );
      }
    });
  }

  async appendEvent(podUid: string, event: PodEvent): Promise<void> {
    await this.database.inBatch(() => this.statements.appendEvent.run(podUid, JSON.stringify(event)));
  }

  /** Forgets a torn-down pod and records, in the same transaction, that the leader must be told. */
  async forgetPod(uid: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("pods").where("uid", "=", uid).execute();
      await trx.deleteFrom("restart_states").where("pod_uid", "=", uid).execute();
      await trx.insertInto("outbox").values({ pod_uid: uid, kind: "removed", event_json: null }).execute();
    });
  }

  async restartStates(): Promise<Map<string, RestartState>> {
    const rows = await this.db.selectFrom("restart_states").selectAll().execute();
    return new Map(rows.map((row) => [row.key, JSON.parse(row.state_json) as RestartState]));
  }

  async saveRestartState(key: string, podUid: string, state: RestartState): Promise<void> {
    await this.database.inBatch(() => this.statements.saveRestartState.run(key, podUid, JSON.stringify(state)));
  }

  async outboxAfter(sequence: number): Promise<OutboxEntry[]> {
    return this.database.inBatch(() => (this.statements.outboxAfter.all(sequence) as Selectable<OutboxTable>[]).map(toOutboxEntry));
  }

  async acknowledge(upToSequence: number): Promise<void> {
    await this.database.inBatch(() => this.statements.acknowledge.run(upToSequence));
  }
}
