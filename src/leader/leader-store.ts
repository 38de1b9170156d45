import type { Kysely } from "kysely";
import type { NodeInfo, NodeStatus, NodeType } from "../shared/domain.js";
import { openDatabase } from "../shared/open-database.js";
import { leaderMigrations } from "./leader-migrations.js";

interface NodesTable {
  name: string;
  node_id: string;
  type: NodeType;
  address: string;
  status: NodeStatus;
  joined_at: number;
  last_heartbeat_at: number;
}

interface LeaderSchema {
  nodes: NodesTable;
}

export interface StoredNode extends NodeInfo {
  nodeId: string;
}

function toStoredNode(row: NodesTable): StoredNode {
  return {
    name: row.name,
    nodeId: row.node_id,
    type: row.type,
    address: row.address,
    status: row.status,
    joinedAt: new Date(row.joined_at),
    lastHeartbeatAt: new Date(row.last_heartbeat_at),
  };
}

/** The leader's durable state, in SQLite. */
export class LeaderStore {
  private constructor(private readonly db: Kysely<LeaderSchema>) {}

  static async open(file: string): Promise<LeaderStore> {
    return new LeaderStore(await openDatabase<LeaderSchema>(file, leaderMigrations));
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async listNodes(): Promise<StoredNode[]> {
    const rows = await this.db.selectFrom("nodes").selectAll().orderBy("name").execute();
    return rows.map(toStoredNode);
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
    };
    await this.db
      .insertInto("nodes")
      .values(row)
      .onConflict((c) => c.column("name").doUpdateSet(row))
      .execute();
  }
}
