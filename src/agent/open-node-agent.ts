import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { AgentService } from "../gen/agent.js";
import { systemClock, type Clock } from "../shared/clock.js";
import type { RestartSettings } from "../shared/domain.js";
import { parseJoinToken } from "../shared/tls/join-token.js";
import { createLogger, type Logger } from "../shared/logger.js";
import { readIfExists } from "../shared/secret-file.js";
import type { RenewableServerCredentials } from "../shared/tls/tls-credentials.js";
import { databaseFile, IN_MEMORY } from "../shared/open-database.js";
import { KEYED_VOLUMES_DIR, MemoryVolumeHost, TmpfsVolumeHost } from "./keyed/keyed-volume-host.js";
import { createAgentService } from "./agent-service.js";
import { AgentStore } from "./agent-store.js";
import type { ContainerRuntime } from "./container-runtime.js";
import { DockerRuntime } from "./docker-runtime.js";
import { NodeAgent } from "./node-agent.js";
import { AgentMetrics } from "./agent-metrics.js";
import type { Registry } from "prom-client";
import type { OptionalEndpoint } from "../shared/optional-endpoint.js";
import { DEFAULT_USAGE_INTERVAL_MS } from "./usage/usage-sampler.js";
import { runHostCommand, type RunCommand } from "./network/host-network.js";
import type { NodeCertificate } from "./node-certificate.js";
import { NO_WARM_POOL, type WarmPoolSize } from "./warm-pool-demand.js";

export interface NodeAgentConfig {
  name: string;
  /** The join token, plain or full (with the CA's digest). */
  token: string;
  dataDir: string;
  /** The node's restart settings (a pod may override them). */
  restart: RestartSettings;
  /** The node's labels (`--label`). */
  labels?: Record<string, string>;
  /** Sandboxes the node keeps made ahead of need (`--warm-sandboxes`, `--warm-sandboxes-max`; none when unset). */
  warmSandboxes?: WarmPoolSize;
  /** The node of a leader standing by: it says so when it joins (listed as "Standby"). */
  standbyLeader?: boolean;
  /** How often the node measures its pods' CPU and memory (`--usage-interval`; 10 s when unset). */
  usageIntervalMs?: number;
  /** Where the server serves its metrics (`--metrics-listen`); none: it serves none. */
  metrics?: OptionalEndpoint;
}

export interface NodeAgentDependencies {
  clock?: Clock;
  /** The container engine: Docker unless a test or a simulated node gives another. */
  runtime?: ContainerRuntime;
  /** How often the node compares its containers with its pods even when nothing told it to. */
  syncIntervalMs?: number;
  /** Where log lines go: standard error unless a test keeps them. */
  writeLog?: (line: string) => void;
  /** Runs the host's network commands for the pod network: the host's own unless a test gives another. */
  hostCommands?: RunCommand;
  /** The server's metrics, which the node adds its own to (none: the server serves none). */
  metrics?: Registry;
}

/**
 * A node on a runtime a test or the benchmark gives (in memory) has no host of its own: its pod network changes
 * nothing on this machine, and sees nothing there.
 */
const NO_HOST: RunCommand = async () => "";

/** A node's agent, ready to join: its database and identity are open, its Agent service is on the server. */
export interface OpenedNodeAgent {
  nodeId: string;
  /**
   * Joins the leader at one of `leaderAddresses` (the one that answers), telling it to reach this node at
   * `agentAddress`, and runs the node's pods.
   */
  start(leaderAddresses: string[], agentAddress: string): void;
  /** Leaves the leader and lets the work in progress end. */
  stop(): Promise<void>;
  /** Closes the database, once the server no longer serves the Agent service. */
  close(): Promise<void>;
}

/**
 * The node id, checked against the copy kept beside the database: a database that is new while the node had one
 * before (emptied, truncated, replaced) loses the node's restart counts and undelivered events. That is said loudly,
 * and the node keeps its id (its pods' containers are found again in Docker, by their labels).
 */
async function checkedNodeId(store: AgentStore, dataDir: string, log: Logger): Promise<string> {
  if (dataDir === IN_MEMORY) return (await store.nodeId()).nodeId;
  const marker = join(dataDir, "node-id");
  const recorded = readIfExists(marker)?.trim() || undefined;
  const { nodeId, created } = await store.nodeId(recorded);
  if (created && recorded) {
    log.error(
      `${databaseFile(dataDir, "agent.db")} was empty though this node has run before (node id ${recorded} in ${marker}): its local state was lost (restart counts, events not yet delivered to the leader); the node goes on with its id and finds its containers in Docker`,
    );
  }
  if (recorded !== nodeId) writeFileSync(marker, `${nodeId}\n`);
  return nodeId;
}

/**
 * The one way a node's agent starts, on a follower and on the leader's own node alike (as k3s's server runs the
 * agent's own entry point): it opens the node's database, serves the Agent service on the node's gRPC server, and,
 * once that server listens, gets a certificate with the join token if it has none, and joins the leader.
 */
export async function openNodeAgent(
  server: grpc.Server,
  config: NodeAgentConfig,
  deps: NodeAgentDependencies,
  identity: { certificate: NodeCertificate; serverCredentials?: RenewableServerCredentials },
): Promise<OpenedNodeAgent> {
  const log = createLogger("agent", deps.writeLog);
  const store = await AgentStore.open(databaseFile(config.dataDir, "agent.db"));
  const metrics = deps.metrics && new AgentMetrics(deps.metrics);
  const engine = deps.runtime ?? new DockerRuntime();
  const runtime = metrics ? metrics.measured(engine) : engine;
  server.addService(AgentService, createAgentService({ node: config.name, store, runtime, log }));
  const nodeId = await checkedNodeId(store, config.dataDir, log);
  let agent: NodeAgent | undefined;
  return {
    nodeId,
    start(leaderAddresses, agentAddress) {
      agent = new NodeAgent({
        name: config.name,
        leaderAddresses,
        agentAddress,
        nodeId,
        token: parseJoinToken(config.token),
        ...identity,
        store,
        runtime,
        restartDefaults: config.restart,
        warmSandboxes: config.warmSandboxes ?? NO_WARM_POOL,
        labels: config.labels ?? {},
        standbyLeader: config.standbyLeader,
        log,
        clock: deps.clock ?? systemClock,
        syncIntervalMs: deps.syncIntervalMs,
        usageIntervalMs: config.usageIntervalMs ?? DEFAULT_USAGE_INTERVAL_MS,
        metrics,
        hostCommands: deps.hostCommands ?? (deps.runtime ? NO_HOST : runHostCommand),
        // A node of the fake runtime, or without a data directory, touches nothing of its host.
        keyedVolumes: deps.runtime || config.dataDir === IN_MEMORY ? new MemoryVolumeHost() : new TmpfsVolumeHost(join(config.dataDir, KEYED_VOLUMES_DIR)),
      });
      agent.start();
    },
    stop: async () => agent?.stop(),
    close: () => store.close(),
  };
}
