import type { Kysely } from "kysely";
import { canonicalJson } from "../spec-hash.js";
import { toStoredNode, type LeaderSchema, type NodeKeysTable, type NodesTable, type StoredNode } from "./leader-rows.js";

/** The nodes in the leader's database, and the key each node's name is bound to. */
export class NodeStore {
  constructor(private readonly db: Kysely<LeaderSchema>) {}

  async listNodes(): Promise<StoredNode[]> {
    const rows = await this.db.selectFrom("nodes").selectAll().orderBy("name").execute();
    return rows.map(toStoredNode);
  }

  /** Every name's key binding, and the keys revoked. */
  async nodeKeys(): Promise<{ bindings: Map<string, KeyBinding>; revoked: Map<string, string> }> {
    const rows = await this.db.selectFrom("node_keys").selectAll().execute();
    const revoked = await this.db.selectFrom("revoked_keys").select(["key_digest", "name"]).execute();
    return {
      bindings: new Map(rows.map((row) => [row.name, toKeyBinding(row)])),
      revoked: new Map(revoked.map((row) => [row.key_digest, row.name])),
    };
  }

  async bindNodeKey(name: string, binding: KeyBinding): Promise<void> {
    await this.db.insertInto("node_keys").values(fromKeyBinding(name, binding)).execute();
  }

  async updateNodeKey(name: string, binding: KeyBinding): Promise<void> {
    await this.db.updateTable("node_keys").set(fromKeyBinding(name, binding)).where("name", "=", name).execute();
  }

  /** Forgets a node, and revokes the key its name was bound to (refused from then on), in one transaction. */
  async removeNode(name: string, at: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("nodes").where("name", "=", name).execute();
      const bound = await trx.selectFrom("node_keys").select("key_digest").where("name", "=", name).executeTakeFirst();
      if (bound) {
        await trx
          .insertInto("revoked_keys")
          .values({ key_digest: bound.key_digest, name, revoked_at: at.getTime() })
          .onConflict((c) => c.doNothing())
          .execute();
      }
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
      engine_id: node.engineId ?? "",
      pod_subnet: node.podSubnet ?? null,
    };
    await this.db
      .insertInto("nodes")
      .values(row)
      .onConflict((c) => c.column("name").doUpdateSet(row))
      .execute();
  }
}

/** The key a node's name is bound to, whether an admin approved it, and when its certificate ends. */
export interface KeyBinding {
  keyDigest: string;
  boundAt: Date;
  approvedAt?: Date;
  certificateExpiresAt?: Date;
}

function toKeyBinding(row: NodeKeysTable): KeyBinding {
  return {
    keyDigest: row.key_digest,
    boundAt: new Date(row.bound_at),
    approvedAt: row.approved_at === null ? undefined : new Date(row.approved_at),
    certificateExpiresAt: row.certificate_expires_at === null ? undefined : new Date(row.certificate_expires_at),
  };
}

function fromKeyBinding(name: string, binding: KeyBinding): NodeKeysTable {
  return {
    name,
    key_digest: binding.keyDigest,
    bound_at: binding.boundAt.getTime(),
    approved_at: binding.approvedAt?.getTime() ?? null,
    certificate_expires_at: binding.certificateExpiresAt?.getTime() ?? null,
  };
}
