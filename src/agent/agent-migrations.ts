import type { Kysely, Migration } from "kysely";

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
};
