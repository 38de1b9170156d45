import type Database from "better-sqlite3";
import type { Kysely } from "kysely";
import type { OpenedDatabase } from "../../shared/open-database.js";
import type { LeaderSchema } from "./leader-rows.js";

const STATEMENTS = {
  bind: "insert into volume_homes (pod_name, node) values (?, ?) on conflict (pod_name) do nothing",
  forget: "delete from volume_homes where pod_name = ?",
};

/**
 * Where each pod's persistent volumes live: the node a pod with such volumes first ran on, by the pod's name (a pod
 * deleted and applied again finds its data). Kept until the pod is purged or the node removed for good.
 */
export class VolumeHomes {
  private readonly db: Kysely<LeaderSchema>;
  private readonly statements: Record<keyof typeof STATEMENTS, Database.Statement>;

  constructor(database: OpenedDatabase<LeaderSchema>) {
    this.db = database.db;
    this.statements = database.prepareAll(STATEMENTS);
  }

  /** The pod's volumes live on `node` from now on, unless they already live somewhere (inside the caller's transaction). */
  bind(pod: string, node: string): void {
    this.statements.bind.run(pod, node);
  }

  /** The pod's volumes were purged (inside the caller's transaction). */
  forget(pod: string): void {
    this.statements.forget.run(pod);
  }

  /** A node is gone for good: the persistent volumes it held are no pod's home any more. */
  async forgetNode(node: string): Promise<void> {
    await this.db.deleteFrom("volume_homes").where("node", "=", node).execute();
  }

  /** The node that holds the persistent volumes of the pod of each name that has some. */
  async all(): Promise<Map<string, string>> {
    const rows = await this.db.selectFrom("volume_homes").selectAll().execute();
    return new Map(rows.map((row) => [row.pod_name, row.node]));
  }
}
