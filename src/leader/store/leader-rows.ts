import type { Generated, Selectable } from "kysely";
import type { EventType, NodeInfo, NodeStatus, NodeType, PodEvent, PodPhase, PodSpec, PodStatusReport, PublishedPort } from "../../shared/domain.js";
import { podPhase } from "../pod-phase.js";

// The leader's tables as its database (SQLite or PostgreSQL) holds them, and the rows turned into what the rest of the leader uses.
export interface NodesTable {
  name: string;
  node_id: string;
  type: NodeType;
  address: string;
  status: NodeStatus;
  joined_at: number;
  last_heartbeat_at: number;
  labels_json: string;
  cpu_millis: number;
  memory_bytes: number;
  cordoned: number;
  engine_id: string;
  pod_subnet: string | null;
}

export interface PodsTable {
  uid: string;
  name: string;
  labels_json: string;
  spec_json: string;
  spec_hash: string;
  /** The hash the node runs the pod under: the spec's, with a suffix once `cube restart` replaced its containers. */
  run_hash: string;
  manifest_json: string;
  node: string | null;
  created_at: number;
  deletion_requested_at: number | null;
  status_json: string | null;
  status_spec_hash: string | null;
  cpu_millis: number;
  memory_bytes: number;
  host_ports_json: string;
  purge: number;
  /** The deployment that owns it, its template's hash, and since when its node says it is ready. */
  owner: string | null;
  evict_requested_at: number | null;
  template_hash: string | null;
  ready_since: number | null;
}

export interface VolumeHomesTable {
  pod_name: string;
  node: string;
}

export interface EventsTable {
  id: Generated<number>;
  pod_uid: string;
  time: number;
  type: EventType;
  reason: string;
  message: string;
  node: string;
  source_node_id: string | null;
  source_sequence: number | null;
  count: Generated<number>;
  first_time: number | null;
}

export interface NodeKeysTable {
  name: string;
  key_digest: string;
  bound_at: number;
  /** Null while the node waits for an admin's approval. */
  approved_at: number | null;
  /** When the certificate last issued for this key ends. */
  certificate_expires_at: number | null;
}

export interface RevokedKeysTable {
  key_digest: string;
  /** The node whose key it was. */
  name: string;
  revoked_at: number;
}

/** A pod as the leader keeps it. */
export interface StoredPod {
  uid: string;
  name: string;
  labels: Record<string, string>;
  spec: PodSpec;
  specHash: string;
  /** The resource exactly as it was applied. */
  manifest: unknown;
  node?: string;
  createdAt: Date;
  deletionRequestedAt?: Date;
  /** The node's last report, when it is about the current spec. */
  status?: PodStatusReport;
  /** The ports its node publishes for it, once placed. */
  hostPorts: PublishedPort[];
  /** Deleted with `--purge`. */
  purge: boolean;
  /** The deployment that owns it. */
  owner?: string;
}

/**
 * A pod's status as SQL reads it: the node's last report, when it is about the hash the pod runs under now (a report
 * about an earlier spec, or before a restart, does not count). Every read of a pod's status goes through it.
 */
export const CURRENT_STATUS_JSON = "case when status_spec_hash = run_hash then status_json end";

/** A pod's row, with its status read through `CURRENT_STATUS_JSON`. */
export type PodRow = Selectable<PodsTable> & { current_status_json: string | null };

export function toStoredPod(row: PodRow): StoredPod {
  return {
    uid: row.uid,
    name: row.name,
    labels: JSON.parse(row.labels_json),
    spec: JSON.parse(row.spec_json),
    specHash: row.run_hash,
    manifest: JSON.parse(row.manifest_json),
    node: row.node ?? undefined,
    createdAt: new Date(row.created_at),
    deletionRequestedAt: row.deletion_requested_at === null ? undefined : new Date(row.deletion_requested_at),
    status: row.current_status_json === null ? undefined : JSON.parse(row.current_status_json, reviveDates),
    hostPorts: JSON.parse(row.host_ports_json),
    purge: row.purge === 1,
    owner: row.owner ?? undefined,
  };
}

function reviveDates(key: string, value: unknown): unknown {
  return (key === "startedAt" || key === "finishedAt") && typeof value === "string" ? new Date(value) : value;
}

export function toEvent(row: Pick<Selectable<EventsTable>, "time" | "type" | "reason" | "message" | "node" | "count" | "first_time">): PodEvent {
  const event: PodEvent = { time: new Date(row.time), type: row.type, reason: row.reason, message: row.message, node: row.node };
  return row.count > 1 ? { ...event, count: row.count, firstTime: new Date(row.first_time ?? row.time) } : event;
}

export interface StoredNode extends NodeInfo {
  nodeId: string;
}

export function toStoredNode(row: NodesTable): StoredNode {
  return {
    name: row.name,
    nodeId: row.node_id,
    type: row.type,
    address: row.address,
    status: row.status,
    joinedAt: new Date(row.joined_at),
    lastHeartbeatAt: new Date(row.last_heartbeat_at),
    labels: JSON.parse(row.labels_json),
    cpuMillis: row.cpu_millis,
    memoryBytes: row.memory_bytes,
    cordoned: row.cordoned === 1,
    engineId: row.engine_id,
    ...(row.pod_subnet === null ? {} : { podSubnet: row.pod_subnet }),
  };
}

/** A pod the deployment owns, as the controller sees it. */
export interface OwnedPod {
  name: string;
  templateHash: string;
  createdAt: number;
  /** Ready since then (readiness probe passed, or running without one); undefined while not ready. */
  readySince?: number;
  /** Its deletion has started: it no longer counts, but a Recreate waits for it to be gone. */
  deleting: boolean;
  /** Its node is being drained: it is replaced elsewhere as an old pod is in a rolling update (availability kept). */
  evicting: boolean;
  /** As `cube list` shows it: a Failed pod is replaced. */
  phase: PodPhase;
  node?: string;
}

export interface OwnedRow {
  owner: string;
  name: string;
  template_hash: string;
  created_at: number;
  ready_since: number | null;
  deletion_requested_at: number | null;
  evict_requested_at: number | null;
  node: string | null;
  phase: PodPhase | null;
}

/** A pod as its deployment's controller sees it; its phase as `cube list` shows it (its node's health counts). */
export function toOwnedPod(row: OwnedRow, nodeStatus: (node: string) => NodeStatus | undefined): OwnedPod {
  const node = row.node ?? undefined;
  const deletionRequestedAt = row.deletion_requested_at === null ? undefined : new Date(row.deletion_requested_at);
  return {
    name: row.name,
    templateHash: row.template_hash,
    createdAt: row.created_at,
    readySince: row.ready_since ?? undefined,
    deleting: deletionRequestedAt !== undefined,
    evicting: row.evict_requested_at !== null,
    phase: podPhase({ deletionRequestedAt, node, status: row.phase ? { phase: row.phase } : undefined }, node === undefined ? undefined : nodeStatus(node)),
    node,
  };
}
