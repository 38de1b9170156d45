// The domain types that the leader, the agents and the CLI share.

/** "Standby": the node of a leader standing by (several leaders on one store), a follower for its pods. */
export type NodeType = "Leader" | "Follower" | "Standby";
/** "Pending approval": a node certified under a leader started with --approve-nodes, which waits for `cube node approve`. */
export type NodeStatus = "Ready" | "NotReady" | "Pending approval";

export interface NodeInfo {
  name: string;
  status: NodeStatus;
  type: NodeType;
  /** host:port of the node's Agent service. */
  address: string;
  joinedAt: Date;
  lastHeartbeatAt: Date;
  /** The node's labels (`--label`), which pods select with `nodeSelector`. */
  labels: Record<string, string>;
  /** What its container engine has. */
  cpuMillis: number;
  memoryBytes: number;
  /** Takes no new pod (`cube cordon`, `cube drain`); the pods it runs stay. */
  cordoned: boolean;
  /** The node's container engine's id: nodes that share an engine share its host ports ("" when unknown). */
  engineId?: string;
  /** The addresses of its pods, given by the leader at its first join; none when the pod CIDR had no subnet left. */
  podSubnet?: string;
}

/** How nodes carry pod traffic to each other: VXLAN over any IP network, or direct routes between nodes on one link. */
export type PodNetworkBackend = "vxlan" | "host-gw";
export const POD_NETWORK_BACKENDS: readonly PodNetworkBackend[] = ["vxlan", "host-gw"];
/** The UDP port VXLAN carries pod traffic on between nodes: flannel's, the Linux default. */
export const VXLAN_PORT = 8472;

/** One node of the pod network, as the others reach it. */
export interface NetworkPeer {
  node: string;
  /** The node's IP address. */
  address: string;
  subnet: string;
  /** Nodes on one engine share a host: nothing is routed between them. */
  engineId: string;
}

/**
 * The DNS zone of the cluster's names: `web.cube.internal` (and `web` alone, through the pods' search list). ".local"
 * belongs to multicast DNS (RFC 6762: resolvers send it to mDNS, not to the pod's server), and ICANN keeps ".internal"
 * for private names (2024), so no public name can ever be hidden by a cluster's.
 */
export const CLUSTER_ZONE = "cube.internal";

/** A name the cluster answers, and its addresses; none: the name is gone. */
export interface NameRecord {
  name: string;
  addresses: string[];
}

/** The cluster's pod network, as the leader tells each node. */
export interface PodNetworkSettings {
  clusterCidr: string;
  backend: PodNetworkBackend;
  /** Every node with a subnet, the receiving one included. */
  peers: NetworkPeer[];
}

/** What the leader sends of the pod network: all of it (`complete`), or the peers new or changed and those gone. */
export interface PodNetworkUpdate extends PodNetworkSettings {
  complete: boolean;
  removed: string[];
}

/** Node names follow DNS rules (host names are the default), which also keeps them safe in labels and logs. */
export const NODE_NAME_PATTERN = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

export type Protocol = "tcp" | "udp";

/** A port of a container; with `hostPort`, published on its node ("auto": one the leader chose from its range). */
export interface ContainerPort {
  containerPort: number;
  hostPort?: number | "auto";
  protocol: Protocol;
  /** The node's address to publish on; all of them when absent. */
  hostIP?: string;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly: boolean;
  /** One file of a secret or config volume, mounted alone at `mountPath` (as a file it does not change after the container starts). */
  subPath?: string;
}

/** What a container may use, enforced by Docker, and what placement counts: CPUs (0.5 or "500m") and memory ("256Mi"). */
export interface ResourceAmounts {
  cpu?: number | string;
  memory?: number | string;
}

/** A health check of a container, with Kubernetes' names and defaults; exactly one of exec, httpGet, tcpSocket. */
export interface Probe {
  exec?: { command: string[] };
  httpGet?: { path: string; port: number; scheme: "HTTP" | "HTTPS" };
  tcpSocket?: { port: number };
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export type ProbeKind = "startup" | "liveness" | "readiness";

/** One key of a secret or a config, named by a container's env. */
export interface KeyRef {
  name: string;
  key: string;
}

/** An environment variable's value: a string, or a key of a secret or config (resolved by the node at the container's creation). */
export type EnvValue = string | { secretKeyRef: KeyRef } | { configKeyRef: KeyRef };

export interface ContainerSpec {
  name: string;
  image: string;
  env: Record<string, EnvValue>;
  /** Replaces the image's entrypoint when given (as in Kubernetes). */
  command?: string[];
  /** Replaces the image's cmd when given. */
  args?: string[];
  // Absent rather than empty when not given, so that a pod applied before they existed keeps its spec hash.
  ports?: ContainerPort[];
  volumeMounts?: VolumeMount[];
  resources?: ResourceAmounts;
  /** Restarts the container when it fails. */
  livenessProbe?: Probe;
  /** Whether the container is ready to serve (the pod's Ready condition). */
  readinessProbe?: Probe;
  /** Until it succeeds, the other probes wait (a slow start is not a failure). */
  startupProbe?: Probe;
  /** The user (and group) its process runs as, as Docker takes it: "1000", "1000:1000", "app". */
  user?: string;
  /** The directory its process starts in (the image's unless given). */
  workingDir?: string;
  securityContext?: SecurityContext;
  /** The signal that asks it to stop (the image's, else SIGTERM), before SIGKILL at the end of the grace period. */
  stopSignal?: string;
  /** A tiny init as its PID 1 (Docker's --init): it reaps zombies and passes signals on. */
  init?: boolean;
}

/** What a container may do beyond Docker's defaults, with Kubernetes' names. */
export interface SecurityContext {
  /** Its root filesystem read-only (its volumes as mounted). */
  readOnlyRootFilesystem?: boolean;
  /** Linux capabilities added to Docker's default set (a leader allows only its defaults unless told) or dropped ("ALL"). */
  capabilities?: { add?: string[]; drop?: string[] };
}

/**
 * The files of a secret or config volume: every key as a file named after it, or only `items` (each key at its `path`),
 * with `defaultMode` (0400 unless given) or an item's own `mode`.
 */
export interface KeyFilesSource {
  name: string;
  items?: { key: string; path: string; mode?: number }[];
  defaultMode?: number;
}

/**
 * A volume of a pod. `emptyDir`: shared by its containers, removed with the pod. `persistent`: a named volume of the
 * node that outlives the pod (found again by a pod of the same name on that node; removed by `delete --purge`).
 * `hostPath`: a directory of the node (only where the leader allows it). `secret` / `config`: the keys of one, as
 * read-only files kept up to date (on the node's memory, never its disk). Exactly one of them is given.
 */
export interface Volume {
  name: string;
  emptyDir?: Record<string, never>;
  persistent?: Record<string, never>;
  hostPath?: { path: string };
  secret?: KeyFilesSource;
  config?: KeyFilesSource;
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
  volumes?: Volume[];
  /** The labels a node must have to run the pod. */
  nodeSelector?: Record<string, string>;
  /**
   * The hostname its containers see. Unset, they see their sandbox's (a short id, as `docker run` gives): a node can
   * then hand the pod a sandbox it made ahead of need, whose hostname was set before the pod existed.
   */
  hostname?: string;
  /** On the node's own network (its addresses, its ports) instead of the pod network. */
  hostNetwork?: boolean;
  /** Registry secrets whose credentials pull this pod's images (each used for its own registry only). */
  imagePullSecrets?: { name: string }[];
  /** What must hold before the pod is placed (Compose's depends_on); once placed, it runs whatever they become. */
  dependsOn?: PodDependency[];
}

/**
 * A workload a pod waits for: the pods of deployment `name`, or pod `name`. Started: one of them runs (or ran to
 * success); Ready: one of them is ready; Succeeded: all of them ran to success.
 */
export interface PodDependency {
  name: string;
  condition: DependencyCondition;
}
export type DependencyCondition = "Started" | "Ready" | "Succeeded";

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

/** How a deployment replaces its pods when its template changes. */
export type DeploymentStrategy =
  { type: "RollingUpdate"; rollingUpdate: { maxSurge: number | string; maxUnavailable: number | string } } | { type: "Recreate" };

/** N copies of a pod template, updated by rollouts (Kubernetes' Deployment, Swarm's service, Nomad's job with a count). */
export interface DeploymentResource {
  type: "deployment";
  metadata: PodMetadata;
  spec: {
    replicas: number;
    template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
    strategy: DeploymentStrategy;
    minReadySeconds: number;
    progressDeadlineSeconds: number;
    revisionHistoryLimit: number;
    autoRollback: boolean;
  };
}

/** The annotation `cube rollout restart` sets on a template: a new template, so a new revision, with the same pods. */
export const RESTARTED_AT = "cube.dev/restartedAt";

/** A port of a service: `port` on its virtual IP, `targetPort` on its pods, `nodePort` on every node (type NodePort). */
export interface ServicePort {
  name?: string;
  port: number;
  targetPort: number;
  protocol: Protocol;
  nodePort?: number;
}

/** ClusterIP: a virtual IP inside the cluster; NodePort: that, and a port on every node's addresses. */
export type ServiceType = "ClusterIP" | "NodePort";
/** Cluster: any node forwards to any endpoint (the client's address is replaced by the node's); Local: only to its own. */
export type TrafficPolicy = "Cluster" | "Local";

/** One stable name and virtual IP for the pods its selector matches, balanced over the ready ones (Kubernetes' Service). */
export interface ServiceResource {
  type: "service";
  metadata: PodMetadata;
  spec: { type: ServiceType; selector: Record<string, string>; ports: ServicePort[]; externalTrafficPolicy: TrafficPolicy };
}

/** A ready pod behind a service: where its traffic goes. */
export interface ServiceEndpoint {
  pod: string;
  node: string;
  address: string;
}

/** A service as the leader sends it to every node: its virtual IP, ports (node ports resolved) and ready endpoints. */
export interface ServiceEntry {
  name: string;
  clusterIp: string;
  type: ServiceType;
  externalTrafficPolicy: TrafficPolicy;
  ports: ServicePort[];
  endpoints: ServiceEndpoint[];
}

/** What the leader sends of the services: all of them (`complete`), or those changed and those gone; `version` to acknowledge. */
export interface ServiceUpdate {
  version: number;
  complete: boolean;
  services: ServiceEntry[];
  removed: string[];
}

/** Secrets are encrypted at rest and never shown; configs are plain. Both reach a node only while it runs a pod using them. */
export type KeyedKind = "secret" | "config";

/** A registry's credentials, as given: one login, or a Docker `config.json` (its `auths`). */
export type RegistryCredentials = { server: string; username: string; password: string } | { dockerConfigJson: string };

/** Named values for pods: `data` as text, `binaryData` as base64; `registry`: credentials for `imagePullSecrets`. */
export interface SecretResource {
  type: "secret";
  metadata: PodMetadata;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  registry?: RegistryCredentials;
}

export interface ConfigResource {
  type: "config";
  metadata: PodMetadata;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** A secret or config as the node receives it: its keys' bytes, and which revision of its content they are. */
export interface KeyedValues {
  kind: KeyedKind;
  name: string;
  /** Counts changes of its content (1 at creation). */
  revision: number;
  /** Identifies its content: a new one whenever the content changes (also across a delete and create). */
  contentId: string;
  /** "registry" for a registry secret. */
  secretType: string;
  data: Map<string, Buffer>;
}

/** What a node was sent of the secrets and configs its pods use: `complete` replaces all it had. */
export interface KeyedValuesUpdate {
  complete: boolean;
  items: KeyedValues[];
  /** "secret/NAME" or "config/NAME". */
  removed: string[];
}

/** Which revision of a secret or config a pod's files and env were made from. */
export interface UsedRevision {
  kind: KeyedKind;
  name: string;
  revision: number;
}

export type Resource = PodResource | DeploymentResource | ServiceResource | SecretResource | ConfigResource;
export const RESOURCE_TYPES = ["pod", "deployment", "service", "secret", "config"] as const;
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
  /** Deleted with `--purge`: its persistent volumes go too. */
  purge: boolean;
  /** The ports its node publishes for it ("auto" ones resolved by the leader). */
  hostPorts: PublishedPort[];
  /** The deployment it belongs to, whose persistent volumes on the node it shares with the deployment's other replicas there. */
  owner?: string;
}

/** A container port published on the pod's node. */
export interface PublishedPort {
  container: string;
  containerPort: number;
  protocol: Protocol;
  /** The spec's hostIP; in what `get` shows, the node's address when the spec gives none. Empty: every address. */
  hostAddress: string;
  hostPort: number;
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
  | "CreateContainerConfigError"
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
  /** Running and, if it has a readiness probe, passing it. */
  ready?: boolean;
}

/** What a node reports of one of its pods. */
export interface PodStatusReport {
  phase: PodPhase;
  reason?: string;
  message?: string;
  containers: ContainerStatus[];
  /** The pod's Ready condition: Running, and every container ready. */
  ready?: boolean;
  /** The pod's address on the pod network (its sandbox's), once its sandbox runs. */
  podIp?: string;
  /** The revisions of the secrets and configs the node gave it. */
  used?: UsedRevision[];
}

export type EventType = "Normal" | "Warning";

export interface PodEvent {
  time: Date;
  type: EventType;
  reason: string;
  message: string;
  /** The node it happened on; empty for the leader's own decisions made before placement. */
  node: string;
  /** Repeats merged into one: how many times in a row, since when (`time` is the last). Absent: once. */
  count?: number;
  firstTime?: Date;
}

/** The resource type a user typed ("pod", "pods", "po"), or undefined when Cube has no such type. */
export function parseResourceType(word: string): ResourceType | undefined {
  const words: Record<string, ResourceType> = {
    ...{ pod: "pod", pods: "pod", po: "pod", deployment: "deployment", deployments: "deployment", deploy: "deployment" },
    ...{ service: "service", services: "service", svc: "service" },
    ...{ secret: "secret", secrets: "secret", config: "config", configs: "config", cm: "config" },
  };
  return words[word.toLowerCase()];
}
