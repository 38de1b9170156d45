import type { PodNetworkBackend } from "../shared/domain.js";
import { NO_WARM_POOL } from "../agent/warm-pool-demand.js";
import { CubeService } from "../gen/cube.js";
import { AgentService, ClusterService } from "../gen/agent.js";
import { NodeCertificate } from "../agent/node-certificate.js";
import { openNodeAgent, type NodeAgentConfig, type NodeAgentDependencies } from "../agent/open-node-agent.js";
import type { AuthorizationOptions } from "../shared/tls/authorize-calls.js";
import { systemClock } from "../shared/clock.js";
import { GuessLimiter } from "../shared/tls/guess-limiter.js";
import { createAuthorizingServer, listen, shutdown } from "../shared/grpc-server.js";
import { formatHostPort, localDialAddress, reachableAddress, type HostPort } from "../shared/host-port.js";
import { createLogger } from "../shared/logger.js";
import { databaseFile, IN_MEMORY } from "../shared/open-database.js";
import type { RunningServer } from "../shared/running-server.js";
import { makePrivateDirectory } from "../shared/secret-file.js";
import { AgentClients } from "./agent-clients.js";
import { AssignmentHub } from "./assignment-hub.js";
import { ClusterPublisher } from "./cluster-publisher.js";
import { EndpointGate } from "./endpoint-gate.js";
import { DEFAULT_SERVICE_CIDR } from "./service-addresses.js";
import { createCertificateHandlers } from "./identity/certificate-service.js";
import { ClusterIdentity } from "./identity/cluster-identity.js";
import { createClusterService } from "./cluster-service.js";
import { clusterServiceEncodedOnce } from "./written-once.js";
import { LeaderMetrics } from "./leader-metrics.js";
import { serverMetrics } from "../shared/metrics-server.js";
import { serveWebView } from "./web/serve-web.js";
import type { OptionalEndpoint } from "../shared/optional-endpoint.js";
import { UsageBoard } from "./usage-board.js";
import { createCubeService, resourceSummaries, resourceUid } from "./cube-service.js";
import { cubeServiceEncodedAhead } from "./encoded-in-slices.js";
import { watchHandlers } from "./watch-service.js";
import { DEFAULT_POD_CIDR } from "./allocate-subnet.js";
import { OpenStreams } from "./open-streams.js";
import { openLeaderIdentity } from "./identity/leader-certificate.js";
import { resolveLeaderSecrets, warnOfWeakSecrets, writeClientFiles } from "./identity/leader-secrets.js";
import { SecretsKeyring } from "./secrets/secrets-keyring.js";
import { SecretsKeyRotation } from "./secrets/secrets-key-rotation.js";
import { LeaderStore } from "./store/leader-store.js";
import { PostgresDatabase, type WriteFence } from "./store/postgres-database.js";
import { NodeKeys } from "./identity/node-keys.js";
import { NodeLifecycle } from "./node-lifecycle.js";
import { NodeRegistry } from "./node-registry.js";
import { NodeUpdateBatcher } from "./node-update-batcher.js";
import type { PlacementSettings } from "./place-pod.js";
import { PodController } from "./pod-controller.js";
import { DEFAULT_PLACEMENT } from "./pod-placer.js";
import { DeploymentController } from "./deployments/deployment-controller.js";
import { gatherPages } from "../shared/time-slices.js";

export interface LeaderConfig extends Omit<NodeAgentConfig, "token"> {
  listen: HostPort;
  /** Where the web view is served (`--web-listen`); none: it is not. */
  web?: OptionalEndpoint;
  /** The join token given (file or environment); otherwise the one kept in the data directory, or one made. */
  token?: string;
  /** The admin API's password given (the CLI's); otherwise the one kept in the data directory, or one made. */
  adminPassword?: string;
  /** Extra names and addresses the leader's certificate covers (--tls-san). */
  tlsSans: string[];
  /** Lifetime of the certificates the leader issues (its own and the nodes'); they renew at 50–80 % of it. */
  certificateLifetimeMs: number;
  heartbeatGraceMs: number;
  /** How much longer than the grace period a node must be silent before its pods move elsewhere. */
  rescheduleDelayMs: number;
  /** The share of followers NotReady at once (a fraction) from which the leader moves no pod. */
  disruptionThreshold: number;
  /** Whether the leader's own node takes pods (it is still a node, listed as Leader). */
  podsOnLeader: boolean;
  /** How pods are placed (default: spread, auto host ports from 30000-32767). */
  placement?: PlacementSettings;
  /** Whether pods may mount directories of their node (hostPath volumes). */
  allowHostPaths?: boolean;
  /** Whether pods may use their node's network (`hostNetwork`). */
  allowHostNetwork?: boolean;
  /** Whether containers may add capabilities beyond Docker's default set. */
  allowCapabilities?: boolean;
  /** Whether services may name node ports below 1024. */
  allowPrivilegedNodePorts?: boolean;
  /** The pods' addresses, a /24 of them for each node (default 10.42.0.0/16). */
  podCidr?: string;
  /** Services' virtual IPs (default 10.43.0.0/16). */
  serviceCidr?: string;
  /** How nodes carry pod traffic to each other (default vxlan). */
  podNetwork?: PodNetworkBackend;
  /** Events kept per pod, the oldest dropped first (default 300). */
  maxEventsPerPod?: number;
  /** Whether a new node waits for an admin's approval (`cube node approve`) before it may join. */
  approveNodes?: boolean;
  /** A PostgreSQL URL that several leaders share (one active at a time); by default SQLite in the data directory. */
  store?: string;
  /** With `store`: every leader's address (this one's too), which this leader's node follows while it stands by. */
  leaders?: HostPort[];
}

/** Nodes send heartbeats many times per grace period, so a few lost messages never make a node NotReady. */
export function heartbeatIntervalFor(graceMs: number): number {
  return Math.max(100, Math.min(1000, Math.floor(graceMs / 10)));
}

/** How often the leader checks liveness: a node is NotReady at most this long after its grace period ends. */
const LIVENESS_CHECK_MS = 250;

/**
 * The leader: the Cube service for the CLI, the Cluster service for the nodes, and its own node, whose agent joins
 * the leader over the leader's own address exactly as a remote follower does (certificate included). Data flows one
 * way: the CLI's requests and the nodes' reports go into the store; the assignment hub reads from the store what each
 * node must run.
 */
export async function startLeader(config: LeaderConfig, deps: NodeAgentDependencies = {}, fenceWrites?: WriteFence): Promise<RunningServer> {
  const log = createLogger("leader", deps.writeLog);
  const clock = deps.clock ?? systemClock;
  if (config.dataDir !== IN_MEMORY) makePrivateDirectory(config.dataDir);
  const secrets = resolveLeaderSecrets(config.dataDir, config);
  warnOfWeakSecrets(config, log);
  const { ca, certificate: leaderCertificate } = await openLeaderIdentity(config, clock, log);
  const placement = config.placement ?? DEFAULT_PLACEMENT;
  const keyring = SecretsKeyring.open(config.dataDir);
  const store = await LeaderStore.open(
    config.store ?? databaseFile(config.dataDir, "leader.db"),
    config.maxEventsPerPod,
    {
      serviceCidr: config.serviceCidr ?? DEFAULT_SERVICE_CIDR,
      nodePortRange: placement.hostPortRange,
      privilegedNodePorts: config.allowPrivilegedNodePorts ?? false,
      leaderPort: config.listen.port,
    },
    keyring,
  );
  // Several leaders on one database: what this one writes is fenced by its term (stand-by-or-lead.ts).
  if (fenceWrites && store.database instanceof PostgresDatabase) store.database.fenceWrites(fenceWrites);
  const secretsKey = new SecretsKeyRotation(keyring, store.keyed);
  const resealed = await secretsKey.finishInterrupted();
  if (resealed !== undefined) log.info(`finished an interrupted rotation of the secrets key: ${resealed} secrets sealed again`);
  const keys = await NodeKeys.load(store, { requireApproval: config.approveNodes, leaderName: config.name });
  const identity = new ClusterIdentity(secrets.token, keys, ca, config.dataDir, clock, log, config.certificateLifetimeMs);
  for (const warning of identity.warnings()) log.warn(warning);
  const authorization: AuthorizationOptions = {
    adminPassword: secrets.adminPassword,
    failures: new GuessLimiter(clock),
    log,
    nodeKeyBound: (name: string, keyDigest: string) => keys.isBound(name, keyDigest),
  };
  const metrics = serverMetrics(config.metrics, CubeService, ClusterService, AgentService);
  const server = createAuthorizingServer(authorization, metrics?.calls);
  // A leader that runs no pods needs no warm sandboxes on its node.
  const agentConfig = { ...config, token: secrets.token, warmSandboxes: config.podsOnLeader ? config.warmSandboxes : NO_WARM_POOL };
  const agent = await openNodeAgent(server, agentConfig, { ...deps, metrics: metrics?.registry }, { certificate: NodeCertificate.load(config.dataDir) });
  const registry = await NodeRegistry.load(store, clock, log, {
    graceMs: config.heartbeatGraceMs,
    leaderNodeId: agent.nodeId,
    podCidr: config.podCidr ?? DEFAULT_POD_CIDR,
    podNetwork: config.podNetwork ?? "vxlan",
  });
  // A pod being deleted keeps running until no node balances traffic to it any more (the gate), told by the publisher.
  const gate: EndpointGate = new EndpointGate(
    clock,
    (): string[] => hub.connectedNodes(),
    (node): void => hub.notify(node),
  );
  const publisher: ClusterPublisher = new ClusterPublisher(
    { version: () => store.feed.version(), summaries: () => store.pods.summaries(), services: () => store.services.list() },
    { names: (changes) => hub.namesChanged(changes), services: (update) => hub.servicesChanged(update) },
    gate,
    log,
  );
  const hub: AssignmentHub = new AssignmentHub(
    store.pods,
    log,
    {
      network: () => registry.podNetwork(),
      names: () => publisher.nameRecords(),
      services: () => publisher.serviceTable(),
      holds: (pod) => gate.holds(pod),
    },
    store.keyed,
  );
  await publisher.start();
  const sources = { pods: (): ReturnType<PodController["list"]> => pods.list(), nodes: () => registry.list() };
  const leaderMetrics = metrics && LeaderMetrics.observing(metrics.registry, sources, store, clock);
  const pods = new PodController(store, registry, hub, clock, log, { podsOnLeader: config.podsOnLeader, placement, metrics: leaderMetrics });
  const lifecycle = new NodeLifecycle(registry, pods, hub, keys, log, config);
  const updates = new NodeUpdateBatcher(async (batch) => {
    const deleted = await store.applyNodeUpdates(batch, new Date(clock.now()));
    for (const name of deleted) log.info(`pod/${name} deleted`);
    pods.nodesReported(
      deleted.length,
      batch.some((update) => update.kind === "status"),
    );
  });
  const agents = new AgentClients(leaderCertificate.clientIdentity, (name, keyDigest) => keys.isBound(name, keyDigest));
  const schedule = () => void pods.schedulePending().catch((error: Error) => log.error(`scheduling failed: ${error.message}`));
  const options = {
    allowHostPaths: config.allowHostPaths ?? false,
    allowHostNetwork: config.allowHostNetwork ?? false,
    allowCapabilities: config.allowCapabilities ?? false,
    identity,
    keyed: store.keyed,
    secretsKey,
    sharedStore: config.store !== undefined,
    usage: new UsageBoard(),
  };
  const deployments = new DeploymentController(store, pods, (node) => registry.status(node), clock, log, options);
  const streams = new OpenStreams();
  const serviceSources = { services: store.services, pods: store.pods };
  const listed = resourceSummaries(registry, pods, deployments, serviceSources, store.keyed);
  const watching = watchHandlers(
    {
      feed: store.feed,
      summaries: (type, selector) => gatherPages(listed(type, selector)),
      nodeStatuses: () =>
        registry
          .list()
          .map((node) => node.status)
          .join(),
      uidOf: resourceUid(pods, deployments, serviceSources, store.keyed),
    },
    streams,
    log,
  );
  server.addService(
    cubeServiceEncodedAhead,
    createCubeService(registry, pods, deployments, lifecycle, agents, log, options, watching, streams, serviceSources),
  );
  server.addService(clusterServiceEncodedOnce, {
    ...createClusterService(
      {
        registry,
        updates,
        hub,
        log,
        nodeReady: schedule,
        isApproved: (name) => identity.isApproved(name),
        servicesApplied: (node, version) => (version === undefined ? gate.forget(node) : gate.acknowledge(node, version)),
        leaderNode: { name: config.name, nodeId: agent.nodeId },
        usage: options.usage,
        metrics: leaderMetrics,
      },
      { heartbeatIntervalMs: heartbeatIntervalFor(config.heartbeatGraceMs) },
    ),
    ...createCertificateHandlers({
      ca,
      leaderCertificate,
      identity,
      adminPassword: secrets.adminPassword,
      keys,
      clock,
      certificateLifetimeMs: config.certificateLifetimeMs,
      authorization,
    }),
  });
  const port = await listen(server, config.listen, leaderCertificate.serverCredentials);
  const address = { ...config.listen, port };
  log.info(`listening on ${formatHostPort(address)} over TLS (data in ${config.dataDir})`);
  await metrics?.serve(log);
  // Several leaders: the CLI is given them all, and asks the next when one does not answer.
  const leaderUrl = config.leaders?.length ? config.leaders.map(formatHostPort).join(",") : formatHostPort(reachableAddress(address));
  if (config.dataDir !== IN_MEMORY) writeClientFiles(config.dataDir, secrets, ca, leaderUrl, log);

  let checking = false;
  const periodicCheck = setInterval(() => {
    if (checking) return;
    checking = true;
    lifecycle
      .check()
      // Deployments follow their pods' readiness and losses: their controller looks again at each check.
      .then(() => deployments.reconcile())
      .catch((error: Error) => log.error(`periodic check failed: ${error.message}`))
      .finally(() => (checking = false));
  }, LIVENESS_CHECK_MS);

  const selfAddress = formatHostPort(localDialAddress(address));
  agent.start([selfAddress], selfAddress);
  const web = { apiAddress: selfAddress, ca: ca.certificate, adminPassword: secrets.adminPassword, certificate: () => leaderCertificate.served, clock, log };
  const stopWebView = await serveWebView(config.web, web);

  return {
    address,
    async stop() {
      // Refuses every call from now on, and lets the calls under way end until the grace is over: within it, this
      // stop's own steps end them (the nodes' streams, the watches), and whatever still runs is cut.
      authorization.stopping = true;
      await stopWebView();
      const closed = shutdown(server);
      clearInterval(periodicCheck);
      leaderCertificate.stop();
      deployments.stop();
      hub.disconnectAll("the leader is stopping");
      streams.endAll();
      await publisher.stop();
      // Its own node's container stops under way go on in Docker; the next start adopts what is left.
      await agent.stop();
      agents.close();
      await closed;
      await deployments.idle();
      await metrics?.stop();
      await agent.close();
      await store.close();
    },
  };
}
