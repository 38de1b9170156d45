import { join } from "node:path";
import { AgentService } from "../gen/agent.js";
import { systemClock, type Clock } from "../shared/clock.js";
import type { RestartSettings } from "../shared/domain.js";
import { createAuthenticatedServer, listen, shutdown } from "../shared/grpc-server.js";
import { formatHostPort, type HostPort } from "../shared/host-port.js";
import { createLogger } from "../shared/logger.js";
import type { RunningServer } from "../shared/running-server.js";
import { createAgentService } from "./agent-service.js";
import { AgentStore } from "./agent-store.js";
import { DockerRuntime } from "./docker-runtime.js";
import { NodeAgent } from "./node-agent.js";

export interface FollowerConfig {
  token: string;
  leader: HostPort;
  listen: HostPort;
  /** Where the leader reaches this node; by default the listen address (a wildcard host: the address we call from). */
  advertise?: HostPort;
  dataDir: string;
  name: string;
  /** The node's restart settings (a pod may override them). */
  restart: RestartSettings;
}

/** A follower: serves the Agent service for the leader and stays joined to it. */
export async function startFollower(config: FollowerConfig, clock: Clock = systemClock): Promise<RunningServer> {
  const log = createLogger("agent");
  const store = await AgentStore.open(join(config.dataDir, "agent.db"));
  const server = createAuthenticatedServer(config.token);
  const runtime = new DockerRuntime();
  server.addService(AgentService, createAgentService({ node: config.name, store, runtime, log }));
  const port = await listen(server, config.listen);
  const address = { ...config.listen, port };
  log.info(`node ${config.name} listening on ${formatHostPort(address)} (data in ${config.dataDir})`);

  const agent = new NodeAgent({
    name: config.name,
    leaderAddress: formatHostPort(config.leader),
    agentAddress: formatHostPort(config.advertise ?? address),
    nodeId: await store.nodeId(),
    token: config.token,
    store: store,
    runtime,
    restartDefaults: config.restart,
    log,
    clock,
  });
  agent.start();

  return {
    address,
    async stop() {
      await agent.stop();
      await shutdown(server);
      await store.close();
    },
  };
}
