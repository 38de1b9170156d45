import { canonicalJson } from "../spec-hash.js";
import { toStoredNode, type NodeKeysTable, type NodesTable, type StoredNode } from "./leader-rows.js";
import { placeholders, type StoreDatabase } from "./store-database.js";

const NODE_COLUMNS =
  "name, node_id, type, address, status, joined_at, last_heartbeat_at, labels_json, cpu_millis, memory_bytes, cordoned, engine_id, pod_subnet";
const NODE_COLUMN_LIST = NODE_COLUMNS.split(", ") as (keyof NodesTable)[];
const SAVE_NODE = `insert into nodes (${NODE_COLUMNS}) values (${placeholders(NODE_COLUMN_LIST.length)}) on conflict (name) do update set ${NODE_COLUMN_LIST.map((column) => `${column} = excluded.${column}`).join(", ")}`;
const KEY_COLUMNS = "key_digest, bound_at, approved_at, certificate_expires_at";

/** The nodes in the leader's database, and the key each node's name is bound to. */
export class NodeStore {
  constructor(private readonly database: StoreDatabase) {}

  async listNodes(): Promise<StoredNode[]> {
    const rows = await this.database.read((sql) => sql.all<NodesTable>(`select ${NODE_COLUMNS} from nodes order by name`));
    return rows.map(toStoredNode);
  }

  /** Every name's key binding, and the keys revoked. */
  async nodeKeys(): Promise<{ bindings: Map<string, KeyBinding>; revoked: Map<string, string> }> {
    const [rows, revoked] = await this.database.read(
      async (sql) =>
        [
          await sql.all<NodeKeysTable>(`select name, ${KEY_COLUMNS} from node_keys`),
          await sql.all<{ key_digest: string; name: string }>("select key_digest, name from revoked_keys"),
        ] as const,
    );
    return {
      bindings: new Map(rows.map((row) => [row.name, toKeyBinding(row)])),
      revoked: new Map(revoked.map((row) => [row.key_digest, row.name])),
    };
  }

  async bindNodeKey(name: string, binding: KeyBinding): Promise<void> {
    await this.database.write((sql) => sql.run(`insert into node_keys (name, ${KEY_COLUMNS}) values (?, ?, ?, ?, ?)`, name, ...keyValues(binding)));
  }

  async updateNodeKey(name: string, binding: KeyBinding): Promise<void> {
    const set = "key_digest = ?, bound_at = ?, approved_at = ?, certificate_expires_at = ?";
    await this.database.write((sql) => sql.run(`update node_keys set ${set} where name = ?`, ...keyValues(binding), name));
  }

  /** Forgets a node, and revokes the key its name was bound to (refused from then on), in one transaction. */
  async removeNode(name: string, at: Date): Promise<void> {
    await this.database.write(async (sql) => {
      await sql.run("delete from nodes where name = ?", name);
      const bound = await sql.get<{ key_digest: string }>("select key_digest from node_keys where name = ?", name);
      if (bound) {
        await sql.run("insert into revoked_keys (key_digest, name, revoked_at) values (?, ?, ?) on conflict do nothing", bound.key_digest, name, at.getTime());
      }
      await sql.run("delete from node_keys where name = ?", name);
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
    await this.database.write((sql) => sql.run(SAVE_NODE, ...NODE_COLUMN_LIST.map((column) => row[column])));
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

/** A binding's values, in KEY_COLUMNS' order. */
function keyValues(binding: KeyBinding): [string, number, number | null, number | null] {
  return [binding.keyDigest, binding.boundAt.getTime(), binding.approvedAt?.getTime() ?? null, binding.certificateExpiresAt?.getTime() ?? null];
}
