import { sql, type Kysely, type Migration } from "kysely";

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
  "0002-pods-and-events": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("pods")
        .addColumn("uid", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("labels_json", "text", (c) => c.notNull())
        .addColumn("spec_json", "text", (c) => c.notNull())
        .addColumn("spec_hash", "text", (c) => c.notNull())
        .addColumn("manifest_json", "text", (c) => c.notNull())
        .addColumn("node", "text")
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("deletion_requested_at", "integer")
        // The last status its node reported, and for which spec.
        .addColumn("status_json", "text")
        .addColumn("status_spec_hash", "text")
        .execute();
      await db.schema.createIndex("pods_by_node").on("pods").column("node").execute();
      await db.schema
        .createTable("events")
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("pod_uid", "text", (c) => c.notNull())
        .addColumn("time", "integer", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("node", "text", (c) => c.notNull())
        // Set for events a node recorded: (its node id, its sequence number) makes a re-delivery a no-op.
        .addColumn("source_node_id", "text")
        .addColumn("source_sequence", "integer")
        .addUniqueConstraint("events_delivered_once", ["source_node_id", "source_sequence"])
        .execute();
      await db.schema.createIndex("events_by_pod").on("events").columns(["pod_uid", "time"]).execute();
    },
  },
  "0003-node-keys": {
    async up(db: Kysely<unknown>) {
      // The key each node name is bound to (SHA-256 of its public key): another key cannot take the name.
      await db.schema
        .createTable("node_keys")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("key_digest", "text", (c) => c.notNull())
        .addColumn("bound_at", "integer", (c) => c.notNull())
        .execute();
    },
  },
  "0004-resources-ports-volumes": {
    async up(db: Kysely<unknown>) {
      for (const [column, type, fallback] of [
        ["labels_json", "text", "{}"],
        ["cpu_millis", "integer", 0],
        ["memory_bytes", "integer", 0],
      ] as const) {
        await db.schema
          .alterTable("nodes")
          .addColumn(column, type, (c) => c.notNull().defaultTo(fallback))
          .execute();
      }
      // What placement counts of each pod (its requests, from its spec), the host ports it publishes once placed
      // ("auto" ones resolved, kept for its life), and whether its deletion removes its persistent volumes.
      for (const [column, type, fallback] of [
        ["cpu_millis", "integer", 0],
        ["memory_bytes", "integer", 0],
        ["host_ports_json", "text", "[]"],
        ["purge", "integer", 0],
      ] as const) {
        await db.schema
          .alterTable("pods")
          .addColumn(column, type, (c) => c.notNull().defaultTo(fallback))
          .execute();
      }
      // Where the persistent volumes of the pod of each name live: a pod of that name runs there and nowhere else.
      await db.schema
        .createTable("volume_homes")
        .addColumn("pod_name", "text", (c) => c.primaryKey())
        .addColumn("node", "text", (c) => c.notNull())
        .execute();
    },
  },
  "0005-merged-bounded-events": {
    async up(db: Kysely<unknown>) {
      // Repeats of an event are one row with a count, from first_time to time.
      await db.schema
        .alterTable("events")
        .addColumn("count", "integer", (c) => c.notNull().defaultTo(1))
        .execute();
      await db.schema.alterTable("events").addColumn("first_time", "integer").execute();
      await sql`update events set first_time = time`.execute(db);
      await db.schema.createIndex("events_by_pod_id").on("events").columns(["pod_uid", "id"]).execute();
      // Up to which sequence each node's events are stored (a node sends them in order): a merged repeat keeps no row
      // of its own to refuse a second delivery with.
      await db.schema
        .createTable("event_marks")
        .addColumn("node_id", "text", (c) => c.primaryKey())
        .addColumn("up_to", "integer", (c) => c.notNull())
        .execute();
      await sql`insert into event_marks (node_id, up_to) select source_node_id, max(source_sequence) from events where source_node_id is not null group by source_node_id`.execute(
        db,
      );
    },
  },
  "0006-run-hash": {
    async up(db: Kysely<unknown>) {
      // What the node runs: the spec's hash, made new by `cube restart` (new containers, fresh failure counts).
      await db.schema
        .alterTable("pods")
        .addColumn("run_hash", "text", (c) => c.notNull().defaultTo(""))
        .execute();
      await sql`update pods set run_hash = spec_hash`.execute(db);
    },
  },
  "0007-deployments": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("deployments")
        .addColumn("uid", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("labels_json", "text", (c) => c.notNull())
        .addColumn("spec_json", "text", (c) => c.notNull())
        .addColumn("spec_hash", "text", (c) => c.notNull())
        .addColumn("template_hash", "text", (c) => c.notNull())
        .addColumn("manifest_json", "text", (c) => c.notNull())
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("deletion_requested_at", "integer")
        .execute();
      // A deployment's pods: which deployment, which template, and since when ready (what "available" is judged on).
      for (const column of ["owner", "template_hash"]) await db.schema.alterTable("pods").addColumn(column, "text").execute();
      await db.schema.alterTable("pods").addColumn("ready_since", "integer").execute();
      await db.schema.createIndex("pods_by_owner").on("pods").column("owner").execute();
    },
  },
  "0008-rollouts": {
    async up(db: Kysely<unknown>) {
      // Each template a deployment had, numbered; a revision rolled back to takes the next number (as in Kubernetes).
      await db.schema
        .createTable("deployment_revisions")
        .addColumn("deployment", "text", (c) => c.notNull())
        .addColumn("revision", "integer", (c) => c.notNull())
        .addColumn("template_hash", "text", (c) => c.notNull())
        .addColumn("template_json", "text", (c) => c.notNull())
        .addColumn("created_at", "integer", (c) => c.notNull())
        // Set once a rollout of it completed: a failed rollout goes back to the newest such revision.
        .addColumn("completed_at", "integer")
        .addPrimaryKeyConstraint("deployment_revisions_key", ["deployment", "revision"])
        .execute();
      const columns: [string, "integer" | "text", number | string][] = [
        ["revision", "integer", 1],
        ["rollout_state", "text", "Progressing"],
        ["rollout_message", "text", ""],
        ["rollout_started_at", "integer", 0],
      ];
      for (const [column, type, fallback] of columns) {
        await db.schema
          .alterTable("deployments")
          .addColumn(column, type, (c) => c.notNull().defaultTo(fallback))
          .execute();
      }
      await db.schema.alterTable("deployments").addColumn("rolled_back_from", "integer").execute();
      await sql`update deployments set rollout_started_at = created_at`.execute(db);
      await sql`insert into deployment_revisions select name, 1, template_hash, json_extract(spec_json, '$.template'), created_at, null from deployments`.execute(
        db,
      );
    },
  },
  "0009-cordon-and-evict": {
    async up(db: Kysely<unknown>) {
      // A cordoned node takes no new pod; a pod marked for eviction (a drain) is replaced elsewhere by its deployment.
      await db.schema
        .alterTable("nodes")
        .addColumn("cordoned", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable("pods").addColumn("evict_requested_at", "integer").execute();
    },
  },
  "0010-identity-lifecycle": {
    async up(db: Kysely<unknown>) {
      // A removed node's key is refused for good; a node waits for an admin's approval (--approve-nodes) until
      // approved_at is set (those bound before were approved); a node's certificate's end, for warnings before it.
      await db.schema
        .createTable("revoked_keys")
        .addColumn("key_digest", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("revoked_at", "integer", (c) => c.notNull())
        .execute();
      await db.schema.alterTable("node_keys").addColumn("approved_at", "integer").execute();
      await db.schema.alterTable("node_keys").addColumn("certificate_expires_at", "integer").execute();
      await sql`update node_keys set approved_at = bound_at`.execute(db);
    },
  },
  "0011-engine-id": {
    async up(db: Kysely<unknown>) {
      // Nodes that share one container engine (a local cluster) share its host ports.
      await db.schema
        .alterTable("nodes")
        .addColumn("engine_id", "text", (c) => c.notNull().defaultTo(""))
        .execute();
    },
  },
  "0012-pod-subnets": {
    async up(db: Kysely<unknown>) {
      // Each node's share of the pod CIDR, kept while the node is known (nodes known before get one at their next join).
      await db.schema.alterTable("nodes").addColumn("pod_subnet", "text").execute();
    },
  },
  "0013-services": {
    async up(db: Kysely<unknown>) {
      // A service's virtual IP is held for its life (unique: two services never share one); its spec as resolved
      // (node ports chosen) apart from the hash of the spec as applied, so that applying it again changes nothing.
      await db.schema
        .createTable("services")
        .addColumn("uid", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("labels_json", "text", (c) => c.notNull())
        .addColumn("spec_json", "text", (c) => c.notNull())
        .addColumn("spec_hash", "text", (c) => c.notNull())
        .addColumn("manifest_json", "text", (c) => c.notNull())
        .addColumn("cluster_ip", "text", (c) => c.notNull().unique())
        .addColumn("created_at", "integer", (c) => c.notNull())
        .execute();
    },
  },
  "0014-secrets-and-configs": {
    async up(db: Kysely<unknown>) {
      // Secrets and configs: their keys and sizes in clear (what `get` shows), their values in `payload`, sealed with
      // the data directory's key for a secret (AES-256-GCM), as JSON for a config. `content_id` changes with the content.
      await db.schema
        .createTable("keyed_values")
        .addColumn("uid", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("labels_json", "text", (c) => c.notNull())
        .addColumn("secret_type", "text", (c) => c.notNull())
        .addColumn("keys_json", "text", (c) => c.notNull())
        .addColumn("payload", "blob", (c) => c.notNull())
        .addColumn("content_id", "text", (c) => c.notNull())
        .addColumn("revision", "integer", (c) => c.notNull())
        .addColumn("created_at", "integer", (c) => c.notNull())
        .addColumn("updated_at", "integer", (c) => c.notNull())
        .addUniqueConstraint("keyed_values_by_name", ["kind", "name"])
        .execute();
    },
  },
};
