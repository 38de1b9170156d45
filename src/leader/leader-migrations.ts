import { type Kysely, type Migration } from "kysely";

/** The leader's schema, one migration per change, applied in name order. Never edit a migration once landed. */
export const leaderMigrations: Record<string, Migration> = {
  "0001-nodes": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("nodes")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("node_id", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("address", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("joined_at", "integer", (c) => c.notNull())
        .addColumn("last_heartbeat_at", "integer", (c) => c.notNull())
        .execute();
    },
  },
};
