import type { Sql, StoreDatabase } from "./store-database.js";

/**
 * Where each pod's persistent volumes live: the node a pod with such volumes first ran on, by the pod's name (a pod
 * deleted and applied again finds its data). Kept until the pod is purged or the node removed for good.
 */
export class VolumeHomes {
  constructor(private readonly database: StoreDatabase) {}

  /** The pod's volumes live on `node` from now on, unless they already live somewhere (inside the caller's transaction). */
  async bind(sql: Sql, pod: string, node: string): Promise<void> {
    await sql.run("insert into volume_homes (pod_name, node) values (?, ?) on conflict (pod_name) do nothing", pod, node);
  }

  /** The pod's volumes were purged (inside the caller's transaction). */
  async forget(sql: Sql, pod: string): Promise<void> {
    await sql.run("delete from volume_homes where pod_name = ?", pod);
  }

  /** A node is gone for good: the persistent volumes it held are no pod's home any more. */
  async forgetNode(node: string): Promise<void> {
    await this.database.write((sql) => sql.run("delete from volume_homes where node = ?", node));
  }

  /** The node that holds the persistent volumes of the pod of each name that has some. */
  async all(): Promise<Map<string, string>> {
    const rows = await this.database.read((sql) => sql.all<{ pod_name: string; node: string }>("select pod_name, node from volume_homes"));
    return new Map(rows.map((row) => [row.pod_name, row.node]));
  }
}
