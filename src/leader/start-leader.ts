import { join } from "node:path";
import { AgentService, ClusterService } from "../gen/agent.js";
import { CubeService } from "../gen/cube.js";
import { createAgentService } from "../agent/agent-service.js";
import { AgentStore } from "../agent/agent-store.js";
import { DockerRuntime } from "../agent/docker-runtime.js";
import { NodeAgent } from "../agent/node-agent.js";
import { systemClock, type Clock } from "../shared/clock.js";
import type { RestartSettings } from "../shared/domain.js";
import { createAuthenticatedServer, listen, shutdown } from "../shared/grpc-server.js";
import { formatHostPort, localDialAddress, type HostPort } from "../shared/host-port.js";
import { createLogger } from "../shared/logger.js";
import type { RunningServer } from "../shared/running-server.js";
import { createClusterService } from "./cluster-service.js";
import { createCubeService } from "./cube-service.js";
import { LeaderStore } from "./leader-store.js";
import { NodeRegistry } from "./node-registry.js";
import { AgentClients } from "./agent-clients.js";
import { AssignmentHub } from "./assignment-hub.js";
import { NodeUpdateBatcher } from "./node-update-batcher.js";
import { PodController } from "./pod-controller.js";

export interface LeaderConfig {
  token: string;
  listen: HostPort;
  dataDir: string;
  name: string;
  /** The node's restart settings (a pod may override them). */
  restart: RestartSettings;
  heartbeatGraceMs: number;
  /** How much longer than the grace period a node must be silent before its pods move elsewhere. */
  rescheduleDelayMs: number;
  /** Whether the leader's own node takes pods (it is still a node, listed as Leader). */
  podsOnLeader: boolean;
}

/** Nodes send heartbeats many times per grace period, so a few lost messages never make a node NotReady. */
export function heartbeatIntervalFor(graceMs: number): number {
  return Math.max(100, Math.min(1000, Math.floor(graceMs / 10)));
}

/** How often the leader checks liveness: a node is NotReady at most this long after its grace period ends. */
const LIVENESS_CHECK_MS = 250;

/**
 * The leader: the Cube service for the CLI, the Cluster service for the nodes, and its own node, whose agent joins
 * the leader over the loopback address exactly as a remote follower does.
 */
export async function startLeader(config: LeaderConfig, clock: Clock = systemClock): Promise<RunningServer> {
  const log = createLogger("leader");
  const store = await LeaderStore.open(join(config.dataDir, "leader.db"));
  const agentStore = await AgentStore.open(join(config.dataDir, "agent.db"));
  const nodeId = await agentStore.nodeId();
  const schedule = () => void pods.schedulePending().catch((error: Error) => log.error(`scheduling failed: ${error.message}`));
  const registry = await NodeRegistry.load(store, clock, log, {
    graceMs: config.heartbeatGraceMs,
    leaderNodeId: nodeId,
    onReady: schedule,
    onNotReady: (node) => void pods.nodeLost(node).catch((error: Error) => log.error(`cannot record the loss of ${node}: ${error.message}`)),
  });

  const hub = new AssignmentHub((node) => pods.desiredPodsFor(node), log);
  const pods = new PodController(store, registry, clock, log, (node) => hub.notify(node), { podsOnLeader: config.podsOnLeader });
  const updates = new NodeUpdateBatcher((batch) => pods.recordNodeUpdates(batch));

  const server = createAuthenticatedServer(config.token);
  const agents = new AgentClients(config.token);
  server.addService(CubeService, createCubeService(registry, pods, agents, log));
  server.addService(
    ClusterService,
    createClusterService({ registry, updates, hub, log }, { heartbeatIntervalMs: heartbeatIntervalFor(config.heartbeatGraceMs) }),
  );
  // The leader's own node serves its Agent service on the leader's port.
  const runtime = new DockerRuntime();
  const agentLog = createLogger("agent");
  server.addService(AgentService, createAgentService({ node: config.name, store: agentStore, runtime, log: agentLog }));
  const port = await listen(server, config.listen);
  const address = { ...config.listen, port };
  log.info(`listening on ${formatHostPort(address)} (data in ${config.dataDir})`);

  // Liveness, node loss, and a safety net for placement (a pod left unplaced by a failed attempt is placed here).
  let checking = false;
  const livenessCheck = setInterval(() => {
    if (checking) return;
    checking = true;
    registry
      .checkLiveness()
      .then(() => pods.rescheduleFrom(registry.lostNodes(config.rescheduleDelayMs)))
      .then(() => pods.schedulePending())
      .catch((error: Error) => log.error(`periodic check failed: ${error.message}`))
      .finally(() => (checking = false));
  }, LIVENESS_CHECK_MS);

  const selfAddress = formatHostPort(localDialAddress(address));
  const agent = new NodeAgent({
    name: config.name,
    leaderAddress: selfAddress,
    agentAddress: selfAddress,
    nodeId,
    token: config.token,
    store: agentStore,
    runtime,
    restartDefaults: config.restart,
    log: agentLog,
    clock,
  });
  agent.start();

  return {
    address,
    async stop() {
      clearInterval(livenessCheck);
      await agent.stop();
      agents.close();
      await shutdown(server);
      await agentStore.close();
      await store.close();
    },
  };
}
