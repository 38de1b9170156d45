// The domain types that the leader, the agents and the CLI share.

export type NodeType = "Leader" | "Follower";
export type NodeStatus = "Ready" | "NotReady";

export interface NodeInfo {
  name: string;
  status: NodeStatus;
  type: NodeType;
  /** host:port of the node's Agent service. */
  address: string;
  joinedAt: Date;
  lastHeartbeatAt: Date;
}

/** Node names follow DNS rules (host names are the default), which also keeps them safe in labels and logs. */
export const NODE_NAME_PATTERN = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

export interface ContainerSpec {
  name: string;
  image: string;
  env: Record<string, string>;
  /** Replaces the image's entrypoint when given (as in Kubernetes). */
  command?: string[];
  /** Replaces the image's cmd when given. */
  args?: string[];
}

export type RestartPolicy = "Always" | "OnFailure" | "Never";

/** How a node restarts a pod's failed containers (and retries failed pulls); the node's flags give the defaults. */
export interface RestartSettings {
  /** The first back-off; it doubles at each consecutive failure. */
  initialBackoffSeconds: number;
  maxBackoffSeconds: number;
  /** A container that ran this long before it stopped starts a fresh count of failures. */
  resetAfterSeconds: number;
  /** Consecutive failures after which the node gives up: the pod is Failed. */
  maxFailures: number;
}

export interface PodSpec {
  containers: ContainerSpec[];
  /** Which stopped containers are replaced: all (Always), failed ones (OnFailure) or none (Never). */
  restartPolicy: RestartPolicy;
  /** This pod's overrides of the node's restart settings. */
  restart?: Partial<RestartSettings>;
  /** SIGTERM, then SIGKILL after this long, when a pod is deleted or replaced. */
  terminationGracePeriodSeconds: number;
}

export interface PodMetadata {
  name: string;
  labels: Record<string, string>;
}

/** A pod resource as the manifest declares it, after validation and defaults. */
export interface PodResource {
  type: "pod";
  metadata: PodMetadata;
  spec: PodSpec;
}

export type Resource = PodResource;
export const RESOURCE_TYPES = ["pod"] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** A pod placed on a node, as the leader sends it. */
export interface DesiredPod {
  uid: string;
  name: string;
  labels: Record<string, string>;
  /**
   * The pod's spec as JSON (a `PodSpec`: the manifest's schema, defaults applied). It goes from the leader's database
   * to the node's untouched; the node parses it where it uses it.
   */
  specJson: string;
  /** Identifies the spec: a container labelled with another hash belongs to an older spec. */
  specHash: string;
  /** Being deleted: the node stops its containers gracefully, then reports the pod removed. */
  deleting: boolean;
}

export type ApplyOutcome = "created" | "unchanged" | "configured";

/** What `cube list` and `cube get` show of a pod's life. */
export type PodPhase =
  | "Pending"
  | "ContainerCreating"
  | "Running"
  | "CrashLoopBackOff"
  | "ErrImagePull"
  | "ImagePullBackOff"
  | "CreateContainerError"
  | "Succeeded"
  | "Failed"
  | "Terminating"
  | "Unknown";

export type ContainerState = "waiting" | "running" | "terminated";

export interface ContainerStatus {
  name: string;
  state: ContainerState;
  reason?: string;
  message?: string;
  containerId?: string;
  restartCount: number;
  exitCode?: number;
  startedAt?: Date;
  finishedAt?: Date;
  image: string;
}

/** What a node reports of one of its pods. */
export interface PodStatusReport {
  phase: PodPhase;
  reason?: string;
  message?: string;
  containers: ContainerStatus[];
}

export type EventType = "Normal" | "Warning";

export interface PodEvent {
  time: Date;
  type: EventType;
  reason: string;
  message: string;
  /** The node it happened on; empty for the leader's own decisions made before placement. */
  node: string;
}

/** The resource type a user typed ("pod", "pods", "po"), or undefined when Cube has no such type. */
export function parseResourceType(word: string): ResourceType | undefined {
  return ({ pod: "pod", pods: "pod", po: "pod" } as Record<string, ResourceType>)[word.toLowerCase()];
}
