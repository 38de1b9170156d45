import type * as grpc from "@grpc/grpc-js";
import type { AuthorizationOptions } from "../shared/tls/authorize-calls.js";
import { GuessLimiter } from "../shared/tls/guess-limiter.js";
import { systemClock } from "../shared/clock.js";
import { createAuthorizingServer, listen, shutdown } from "../shared/grpc-server.js";
import { formatHostPort, type HostPort } from "../shared/host-port.js";
import { createLogger } from "../shared/logger.js";
import type { RunningServer } from "../shared/running-server.js";
import { IN_MEMORY } from "../shared/open-database.js";
import { makePrivateDirectory } from "../shared/secret-file.js";
import { RenewableServerCredentials } from "../shared/tls/tls-credentials.js";
import { NodeCertificate } from "./node-certificate.js";
import { serverMetrics } from "../shared/metrics-server.js";
import { AgentService } from "../gen/agent.js";
import { CubeService } from "../gen/cube.js";
import { openNodeAgent, type NodeAgentConfig, type NodeAgentDependencies } from "./open-node-agent.js";

export interface FollowerConfig extends NodeAgentConfig {
  /** The leaders' addresses: the node joins the one that answers, and moves to the next when it goes. */
  leaders: HostPort[];
  listen: HostPort;
  /** Where the leader reaches this node; by default the listen address (a wildcard host: the address we call from). */
  advertise?: HostPort;
}

/**
 * What a leader standing by serves on its node's server besides the Agent service (see stand-by-or-lead.ts): it
 * serves with the leader's certificate (the CLI's TLS accepts it; the active leader takes it for its node's), the admin
 * API behind the admin password.
 */
export interface StandbyServices {
  credentials: RenewableServerCredentials;
  adminPassword: string;
  serve(server: grpc.Server): void;
}

/**
 * A follower: serves the Agent service to the leader's certificate only, and stays joined to the leader. Until it has
 * a certificate (its first join gets one) its server drops every connection; the leader calls it only once joined.
 */
export async function startFollower(config: FollowerConfig, deps: NodeAgentDependencies = {}, standby?: StandbyServices): Promise<RunningServer> {
  const log = createLogger("agent", deps.writeLog);
  if (config.dataDir !== IN_MEMORY) makePrivateDirectory(config.dataDir);
  const certificate = NodeCertificate.load(config.dataDir);
  // The node's own certificate, renewed with it; a standby's is the leader's, renewed by its owner.
  const serverCredentials =
    standby?.credentials ?? new RenewableServerCredentials(true, certificate.usable(config.name, new Date((deps.clock ?? systemClock).now())));
  const authorization: AuthorizationOptions = { failures: new GuessLimiter(deps.clock ?? systemClock), log, adminPassword: standby?.adminPassword };
  // A standby's metrics are its node's and the calls it forwards.
  const metrics = serverMetrics(config.metrics, AgentService, ...(standby ? [CubeService] : []));
  const server = createAuthorizingServer(authorization, metrics?.calls);
  standby?.serve(server);
  const agent = await openNodeAgent(
    server,
    config,
    { ...deps, metrics: metrics?.registry },
    { certificate, serverCredentials: standby ? undefined : serverCredentials },
  );
  const port = await listen(server, config.listen, serverCredentials);
  const address = { ...config.listen, port };
  log.info(`node ${config.name} listening on ${formatHostPort(address)} (data in ${config.dataDir})`);
  await metrics?.serve(log);
  agent.start(config.leaders.map(formatHostPort), formatHostPort(config.advertise ?? address));

  return {
    address,
    async stop() {
      // As the leader's: no new call, the leader's streams (logs, exec) cut after the grace; container stops under
      // way go on in Docker.
      authorization.stopping = true;
      const closed = shutdown(server);
      await agent.stop();
      await closed;
      await metrics?.stop();
      await agent.close();
    },
  };
}
