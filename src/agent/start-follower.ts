import { createAuthenticatedServer, listen, shutdown } from "../shared/grpc-server.js";
import { formatHostPort, type HostPort } from "../shared/host-port.js";
import { createLogger } from "../shared/logger.js";
import type { RunningServer } from "../shared/running-server.js";
import { openNodeAgent, type NodeAgentConfig, type NodeAgentDependencies } from "./open-node-agent.js";

export interface FollowerConfig extends NodeAgentConfig {
  leader: HostPort;
  listen: HostPort;
  /** Where the leader reaches this node; by default the listen address (a wildcard host: the address we call from). */
  advertise?: HostPort;
}

/** A follower: serves the Agent service for the leader and stays joined to it. */
export async function startFollower(config: FollowerConfig, deps: NodeAgentDependencies = {}): Promise<RunningServer> {
  const server = createAuthenticatedServer(config.token);
  const agent = await openNodeAgent(server, config, deps);
  const port = await listen(server, config.listen);
  const address = { ...config.listen, port };
  createLogger("agent", deps.writeLog).info(`node ${config.name} listening on ${formatHostPort(address)} (data in ${config.dataDir})`);
  agent.start(formatHostPort(config.leader), formatHostPort(config.advertise ?? address));

  return {
    address,
    async stop() {
      await agent.stop();
      await shutdown(server);
      await agent.close();
    },
  };
}
