import { CubeService } from "../gen/cube.js";
import { ClusterService } from "../gen/agent.js";
import { openNodeAgent, type NodeAgentConfig, type NodeAgentDependencies } from "../agent/open-node-agent.js";
import { systemClock } from "../shared/clock.js";
import { createAuthenticatedServer, listen, shutdown } from "../shared/grpc-server.js";
import { formatHostPort, localDialAddress, type HostPort } from "../shared/host-port.js";
import { createLogger } from "../shared/logger.js";
import { databaseFile } from "../shared/open-database.js";
import type { RunningServer } from "../shared/running-server.js";
import { AgentClients } from "./agent-clients.js";
import { AssignmentHub } from "./assignment-hub.js";
import { createClusterService } from "./cluster-service.js";
import { createCubeService } from "./cube-service.js";
import { LeaderStore } from "./leader-store.js";
import { NodeLifecycle } from "./node-lifecycle.js";
import { NodeRegistry } from "./node-registry.js";
import { NodeUpdateBatcher } from "./node-update-batcher.js";
import { PodController } from "./pod-controller.js";

export interface LeaderConfig extends NodeAgentConfig {
  listen: HostPort;
  heartbeatGraceMs: number;
  /** How much longer than the grace period a node must be silent before its pods move elsewhere. */
  rescheduleDelayMs: number;
  /** The share of followers NotReady at once (a fraction) from which the leader moves no pod. */
  disruptionThreshold: number;
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
 * the leader over the leader's own address exactly as a remote follower does. Data flows one way: the CLI's requests
 * and the nodes' reports go into the store; the assignment hub reads from the store what each node must run.
 */
export async function startLeader(config: LeaderConfig, deps: NodeAgentDependencies = {}): Promise<RunningServer> {
  const log = createLogger("leader", deps.writeLog);
  const clock = deps.clock ?? systemClock;
  const server = createAuthenticatedServer(config.token);
  const agent = await openNodeAgent(server, config, deps);
  const store = await LeaderStore.open(databaseFile(config.dataDir, "leader.db"));
  const hub = new AssignmentHub(store, log);
  const registry = await NodeRegistry.load(store, clock, log, { graceMs: config.heartbeatGraceMs, leaderNodeId: agent.nodeId });
  const pods = new PodController(store, registry, hub, clock, log, { podsOnLeader: config.podsOnLeader });
  const lifecycle = new NodeLifecycle(registry, pods, hub, log, config);
  const updates = new NodeUpdateBatcher(async (batch) => {
    for (const name of await store.applyNodeUpdates(batch)) log.info(`pod/${name} deleted`);
  });
  const agents = new AgentClients(config.token);
  const schedule = () => void pods.schedulePending().catch((error: Error) => log.error(`scheduling failed: ${error.message}`));
  server.addService(CubeService, createCubeService(registry, pods, agents, log));
  server.addService(
    ClusterService,
    createClusterService({ registry, updates, hub, log, nodeReady: schedule }, { heartbeatIntervalMs: heartbeatIntervalFor(config.heartbeatGraceMs) }),
  );
  const port = await listen(server, config.listen);
  const address = { ...config.listen, port };
  log.info(`listening on ${formatHostPort(address)} (data in ${config.dataDir})`);

  let checking = false;
  const periodicCheck = setInterval(() => {
    if (checking) return;
    checking = true;
    lifecycle
      .check()
      .catch((error: Error) => log.error(`periodic check failed: ${error.message}`))
      .finally(() => (checking = false));
  }, LIVENESS_CHECK_MS);

  const selfAddress = formatHostPort(localDialAddress(address));
  agent.start(selfAddress, selfAddress);

  return {
    address,
    async stop() {
      clearInterval(periodicCheck);
      await agent.stop();
      agents.close();
      await shutdown(server);
      await agent.close();
      await store.close();
    },
  };
}
