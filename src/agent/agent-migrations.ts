import { sql, type Kysely, type Migration } from "kysely";

/** A node's own schema, one migration per change, applied in name order. Never edit a migration once landed. */
export const agentMigrations: Record<string, Migration> = {
  "0001-settings": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("settings")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .execute();
    },
  },
  "0002-pods-and-outbox": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("pods")
        .addColumn("uid", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("labels_json", "text", (c) => c.notNull())
        .addColumn("spec_json", "text", (c) => c.notNull())
        .addColumn("spec_hash", "text", (c) => c.notNull())
        .addColumn("terminating", "integer", (c) => c.notNull())
        .execute();
      // Events and removals not yet acknowledged by the leader, in the order they happened.
      await db.schema
        .createTable("outbox")
        .addColumn("sequence", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("pod_uid", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("event_json", "text")
        .execute();
    },
  },
  "0003-restart-states": {
    async up(db: Kysely<unknown>) {
      // What the restart tracker knows per spec container, so that a restarted node keeps its counts and back-offs.
      await db.schema
        .createTable("restart_states")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("pod_uid", "text", (c) => c.notNull())
        .addColumn("state_json", "text", (c) => c.notNull())
        .execute();
    },
  },
  "0004-termination": {
    async up(db: Kysely<unknown>) {
      // Why a pod is torn down (deleted, or placed elsewhere), for the events that say so; NULL while it runs.
      await db.schema.alterTable("pods").addColumn("termination", "text").execute();
      await sql`update pods set termination = 'unassigned' where terminating = 1`.execute(db);
      await db.schema.alterTable("pods").dropColumn("terminating").execute();
    },
  },
  "0005-host-ports-and-purge": {
    async up(db: Kysely<unknown>) {
      // The ports the node publishes for the pod (as the leader resolved them), and whether its deletion removes its
      // persistent volumes.
      await db.schema
        .alterTable("pods")
        .addColumn("host_ports_json", "text", (c) => c.notNull().defaultTo("[]"))
        .execute();
      await db.schema
        .alterTable("pods")
        .addColumn("purge", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
    },
  },
  "0006-owner": {
    async up(db: Kysely<unknown>) {
      // The deployment a pod belongs to, whose persistent volumes it shares on the node.
      await db.schema.alterTable("pods").addColumn("owner", "text").execute();
    },
  },
};
