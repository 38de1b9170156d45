import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { openDatabase } from "../shared/open-database.js";
import { agentMigrations } from "./agent-migrations.js";

interface AgentSchema {
  settings: { key: string; value: string };
}

/** A node's durable state, in its own SQLite. */
export class AgentStore {
  private constructor(private readonly db: Kysely<AgentSchema>) {}

  static async open(file: string): Promise<AgentStore> {
    return new AgentStore(await openDatabase<AgentSchema>(file, agentMigrations));
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** The node's stable identity, made on first use: it tells the leader a restarted node from another one. */
  async nodeId(): Promise<string> {
    await this.db
      .insertInto("settings")
      .values({ key: "node_id", value: randomUUID() })
      .onConflict((c) => c.column("key").doNothing())
      .execute();
    const row = await this.db.selectFrom("settings").select("value").where("key", "=", "node_id").executeTakeFirstOrThrow();
    return row.value;
  }
}
