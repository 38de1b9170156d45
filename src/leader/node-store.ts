import type { Kysely } from "kysely";
import { canonicalJson } from "../shared/spec-hash.js";
import { toStoredNode, type LeaderSchema, type NodesTable, type StoredNode } from "./leader-rows.js";

/** The nodes in the leader's database, and the key each node's name is bound to. */
export class NodeStore {
  constructor(private readonly db: Kysely<LeaderSchema>) {}

  async listNodes(): Promise<StoredNode[]> {
    const rows = await this.db.selectFrom("nodes").selectAll().orderBy("name").execute();
    return rows.map(toStoredNode);
  }

  /** Node name → the digest of the key it is bound to. */
  async nodeKeys(): Promise<Map<string, string>> {
    const rows = await this.db.selectFrom("node_keys").select(["name", "key_digest"]).execute();
    return new Map(rows.map((row) => [row.name, row.key_digest]));
  }

  async bindNodeKey(name: string, keyDigest: string, at: Date): Promise<void> {
    await this.db.insertInto("node_keys").values({ name, key_digest: keyDigest, bound_at: at.getTime() }).execute();
  }

  /** Forgets a node and the key its name was bound to. */
  async removeNode(name: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("nodes").where("name", "=", name).execute();
      await trx.deleteFrom("node_keys").where("name", "=", name).execute();
    });
  }

  async saveNode(node: StoredNode): Promise<void> {
    const row: NodesTable = {
      name: node.name,
      node_id: node.nodeId,
      type: node.type,
      address: node.address,
      status: node.status,
      joined_at: node.joinedAt.getTime(),
      last_heartbeat_at: node.lastHeartbeatAt.getTime(),
      labels_json: canonicalJson(node.labels),
      cpu_millis: node.cpuMillis,
      memory_bytes: node.memoryBytes,
      cordoned: node.cordoned ? 1 : 0,
    };
    await this.db
      .insertInto("nodes")
      .values(row)
      .onConflict((c) => c.column("name").doUpdateSet(row))
      .execute();
  }
}
