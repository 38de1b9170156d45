// Simulated nodes for the scale benchmark, as Kubernetes' kubemark does: real node agents (join, sync stream,
// heartbeats, PodSync, outbox) in one process, each on the in-memory fake container runtime instead of Docker.
// Usage: tsx bench/simulated-nodes.ts LEADER_HOST:PORT COUNT NAME_PREFIX IMAGE  (token in $CUBE_TOKEN); IMAGE is the one
// image the fake engines hold.
import { AgentStore } from "../src/agent/agent-store.js";
import { FakeRuntime } from "../src/agent/fake-runtime.js";
import { NodeAgent } from "../src/agent/node-agent.js";
import { createLogger } from "../src/shared/logger.js";

const [leaderAddress, count, prefix, image] = process.argv.slice(2);
const token = process.env.CUBE_TOKEN ?? "";
const agents: NodeAgent[] = [];
const log = createLogger("simulated");
for (let i = 0; i < Number(count); i++) {
  // In-memory stores: the simulated nodes are the load, not what is measured.
  const store = await AgentStore.open(":memory:");
  const runtime = new FakeRuntime();
  runtime.images.add(image);
  const agent = new NodeAgent({
    name: `${prefix}-${String(i).padStart(3, "0")}`,
    leaderAddress,
    agentAddress: "127.0.0.1:1",
    nodeId: await store.nodeId(),
    token,
    store,
    runtime,
    restartDefaults: { initialBackoffSeconds: 1, maxBackoffSeconds: 30, resetAfterSeconds: 60, maxFailures: 5 },
    log,
    syncIntervalMs: 5000,
  });
  agent.start();
  agents.push(agent);
}
process.stdout.write(`started ${agents.length} simulated nodes\n`);
process.on("SIGTERM", () => void Promise.all(agents.map((agent) => agent.stop())).then(() => process.exit(0)));
