import type {
  ApplyOutcome,
  DesiredPod,
  KeyedKind,
  KeyedValues,
  NodeStatus,
  PodEvent,
  PodStatusReport,
  PublishedPort,
  ResourceType,
} from "../../shared/domain.js";
import type { ManifestEntry } from "../../shared/manifest.js";
import type { DependencyPod } from "../pod-dependencies.js";
import type { EventRecord } from "./change-feed.js";
import type { PodTemplate, Revision } from "./deployment-revisions.js";
import type { StoredDeployment } from "./deployment-store.js";
import type { OwnedPod, StoredNode, StoredPod } from "./leader-rows.js";
import type { KeyBinding } from "./node-store.js";
import type { StoredService } from "./service-store.js";
import type { StoredKeyed } from "./keyed-store.js";

// What the leader asks of its store, whatever holds it (`LeaderStore` on SQLite or PostgreSQL: StoreDatabase). Every
// method is async, each write one transaction (all of it or none); the store tests run against every implementation
// (test/helpers/store-backends.ts). The controllers know the store by these alone.

/** Something a node reported, as the leader stores it. */
export type NodeUpdate =
  | { kind: "status"; node: string; podUid: string; specHash: string; status: PodStatusReport }
  | { kind: "event"; nodeId: string; podUid: string; event: PodEvent; sequence: number }
  | { kind: "removed"; node: string; podUid: string };

/** What an apply did to one resource; `replaced`: a pod's new spec needs what its node may not offer: placed anew. */
export interface AppliedResource {
  type: ResourceType;
  name: string;
  /** Where it was placed before this apply. */
  node?: string;
  outcome: ApplyOutcome;
  replaced: boolean;
  /** A deployment's revision that this apply made (none for a change of replicas only). */
  revision?: number;
}

/** What a node's live pods take of it. */
export interface NodeAllocation {
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
  hostPorts: PublishedPort[];
  /** How many pods of each deployment. */
  owners: Map<string, number>;
}

export type PodSummary = Pick<StoredPod, "uid" | "name" | "labels" | "hostPorts" | "node" | "createdAt" | "deletionRequestedAt" | "status" | "owner">;

export interface Placement {
  uid: string;
  /** Where the pod was seen: undefined for an unplaced pod. */
  from?: string;
  node: string;
  hostPorts: PublishedPort[];
  /** The pod keeps persistent volumes: they live on this node from now on. */
  volumesHome?: string;
  event: PodEvent;
}

export interface PodStoreContract {
  summaryPages(pageSize?: number): AsyncGenerator<PodSummary[]>;
  summaries(pageSize?: number): Promise<PodSummary[]>;
  get(name: string): Promise<StoredPod | undefined>;
  onNode(node: string): Promise<StoredPod[]>;
  unscheduled(pageSize?: number): Promise<StoredPod[]>;
  dependencyPods(names: string[]): Promise<DependencyPod[]>;
  desiredFor(node: string): Promise<DesiredPod[]>;
  owned(deployment: string, nodeStatus: (node: string) => NodeStatus | undefined): Promise<OwnedPod[]>;
  ownedByDeployment(nodeStatus: (node: string) => NodeStatus | undefined): Promise<Map<string, OwnedPod[]>>;
  createReplicas(deployment: StoredDeployment, count: number, now: Date): Promise<string[]>;
  allocationByNode(): Promise<Map<string, NodeAllocation>>;
  markEvicting(uids: string[], now: Date): Promise<void>;
  assign(placements: Placement[]): Promise<Placement[]>;
  restart(uid: string, event: PodEvent): Promise<boolean>;
  markDeleting(uid: string, now: Date, purge: boolean): Promise<void>;
  remove(uid: string): Promise<void>;
  readonly volumeHomes: { all(): Promise<Map<string, string>>; forgetNode(node: string): Promise<void> };
}

export interface DeploymentStoreContract {
  list(): Promise<StoredDeployment[]>;
  get(name: string): Promise<StoredDeployment | undefined>;
  revisionsOf(name: string): Promise<Revision[]>;
  changeTemplate(name: string, template: PodTemplate, now: Date, rollback?: { from: number; reason: string }): Promise<number | undefined>;
  finishRollout(name: string, revision: number, outcome: { state: "Complete" } | { state: "Failed"; message: string }, now: Date): Promise<boolean>;
  setReplicas(name: string, replicas: number): Promise<boolean>;
  markDeleting(name: string, now: Date): Promise<boolean>;
  removeIfEmpty(name: string): Promise<boolean>;
}

export interface ServiceStoreContract {
  list(): Promise<StoredService[]>;
  get(name: string): Promise<StoredService | undefined>;
  remove(name: string): Promise<boolean>;
}

export interface KeyedStoreContract {
  list(): Promise<StoredKeyed[]>;
  get(kind: KeyedKind, name: string): Promise<StoredKeyed | undefined>;
  currentIds(refs: string[]): Promise<Record<string, string>>;
  values(refs: string[]): Promise<KeyedValues[]>;
  usersOf(kind: KeyedKind, name: string): Promise<{ pod: string; revision: number }[]>;
  remove(kind: KeyedKind, name: string): Promise<boolean>;
  resealAll(): Promise<number>;
}

export interface NodeStoreContract {
  listNodes(): Promise<StoredNode[]>;
  saveNode(node: StoredNode): Promise<void>;
  removeNode(name: string, at: Date): Promise<void>;
  nodeKeys(): Promise<{ bindings: Map<string, KeyBinding>; revoked: Map<string, string> }>;
  bindNodeKey(name: string, binding: KeyBinding): Promise<void>;
  updateNodeKey(name: string, binding: KeyBinding): Promise<void>;
}

export interface ChangeFeedContract {
  /** Moves whenever anything a watch shows was written. */
  version(): Promise<number>;
  eventsSince(since: number, uid?: string): Promise<EventRecord[]>;
}

export interface LeaderStoreContract {
  readonly pods: PodStoreContract;
  readonly deployments: DeploymentStoreContract;
  readonly nodes: NodeStoreContract;
  readonly services: ServiceStoreContract;
  readonly keyed: KeyedStoreContract;
  readonly feed: ChangeFeedContract;
  /** Every resource of a manifest, pods, deployments and services, in one transaction. */
  applyResources(entries: ManifestEntry[], now: Date): Promise<AppliedResource[]>;
  /** What `applyResources` would do, changing nothing. */
  previewResources(entries: ManifestEntry[], now: Date): Promise<AppliedResource[]>;
  /** The nodes' reports, in one transaction; the names of the pods forgotten. */
  applyNodeUpdates(updates: NodeUpdate[], now: Date): Promise<string[]>;
  recordEvent(uid: string, event: PodEvent): Promise<void>;
  eventsOf(uid: string): Promise<PodEvent[]>;
  lastEvent(uid: string): Promise<PodEvent | undefined>;
  close(): Promise<void>;
}
