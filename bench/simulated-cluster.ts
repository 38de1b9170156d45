import { setPriority } from "node:os";
import type { LeaderClient } from "../src/cli/leader-client.js";
import { LocalCluster } from "../test/helpers/local-cluster.js";
import { eventually, startSimulatedNodes, type TestProcess } from "../test/helpers/processes.js";

export interface SimulatedCluster {
  cluster: LocalCluster;
  leader: TestProcess;
  /** The leader's node name: `cluster.startLeader(leaderName)` starts it again on its data. */
  leaderName: string;
  simulated: TestProcess;
  /** A client of the leader, in this process. */
  client: LeaderClient;
}

/**
 * Runs `body` against a real leader process (no pods on its own node; `leaderArgs` added to its flags) and `nodes` simulated nodes (one process, fake
 * engines holding `image`; their process at `nodesNiceness`, 0 the leader's), once every node is Ready; stops them all after, and shows the leader's last lines on failure.
 */
export async function withSimulatedCluster<T>(
  nodes: number,
  image: string,
  body: (bed: SimulatedCluster) => Promise<T>,
  leaderArgs: string[] = [],
  nodesNiceness = 0,
): Promise<T> {
  const cluster = new LocalCluster(30, ["--pods-on-leader", "no", ...leaderArgs]);
  const prefix = `sim${Math.random().toString(36).slice(2, 6)}`;
  let simulated: TestProcess | undefined;
  let client: LeaderClient | undefined;
  try {
    const leaderName = `${prefix}-main`;
    const leader = await cluster.startLeader(leaderName);
    simulated = startSimulatedNodes(`127.0.0.1:${cluster.leaderPort}`, cluster.token, nodes, prefix, image);
    if (nodesNiceness !== 0) setPriority(simulated.pid, nodesNiceness);
    client = await cluster.leaderClient();
    const ready = client;
    await eventually(
      `${nodes} nodes`,
      async () => ((await ready.listNodes()).nodes.filter((n) => n.status === "Ready").length === nodes + 1 ? true : undefined),
      120_000,
      500,
    );
    return await body({ cluster, leader, leaderName, simulated, client });
  } catch (error) {
    process.stderr.write(cluster.recentOutput(60));
    if (simulated) process.stderr.write(`--- simulated nodes\n${simulated.lines.slice(-30).join("\n")}\n`);
    throw error;
  } finally {
    client?.close();
    await simulated?.kill("SIGTERM");
    await cluster.stop();
  }
}

/** Resolves once the leader lists `pods` pods Running, looking every `intervalMs` (a list of thousands is work for it too). */
export function allPodsRunning(client: LeaderClient, pods: number, timeoutMs: number, intervalMs: number): Promise<true> {
  return eventually(
    `${pods} pods Running`,
    async () => ((await client.list("pod")).items.filter((item) => item.status === "Running").length === pods ? true : undefined),
    timeoutMs,
    intervalMs,
  );
}
