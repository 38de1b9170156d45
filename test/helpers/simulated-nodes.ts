// Simulated nodes for the scale benchmark, as Kubernetes' kubemark does: real node agents (join, sync stream,
// heartbeats, PodSync, outbox), started the one way every node's agent starts, in one process, each on the in-memory
// fake container runtime instead of Docker and with its database in memory.
// Usage: tsx test/helpers/simulated-nodes.ts LEADER_HOST:PORT COUNT NAME_PREFIX IMAGE  (token in $CUBE_TOKEN); IMAGE is the one
// image the fake engines hold.
import * as grpc from "@grpc/grpc-js";
import { openNodeAgent, type OpenedNodeAgent } from "../../src/agent/open-node-agent.js";
import { NodeCertificate } from "../../src/agent/node-certificate.js";
import { FakeRuntime } from "../../src/agent/testing/fake-runtime.js";
import { IN_MEMORY } from "../../src/shared/open-database.js";
import { parseJoinToken } from "../../src/shared/tls/join-token.js";

const [leaderAddress, count, prefix, image] = process.argv.slice(2);
const token = process.env.CUBE_TOKEN ?? "";
const agents: OpenedNodeAgent[] = [];
// What the fake engines say their containers use: nothing, until SIGUSR2 makes every reading differ (every pod's
// figures then change at every pass, the most a leader is told), and back.
let usageMoves = false;
process.on("SIGUSR2", () => (usageMoves = !usageMoves));
const usage = () => (usageMoves ? { cpuMillis: Math.floor(Math.random() * 500), memoryBytes: Math.floor(Math.random() * 2 ** 28) } : undefined);
for (let i = 0; i < Number(count); i++) {
  const runtime = new FakeRuntime();
  runtime.images.add(image);
  runtime.usageOf = usage;
  const name = `${prefix}-${String(i).padStart(3, "0")}`;
  const restart = { initialBackoffSeconds: 1, maxBackoffSeconds: 30, resetAfterSeconds: 60, maxFailures: 5 };
  // Certified one at a time, as machines joining over time would be: the leader bounds first contacts from one
  // address (all of these come from loopback), and a crowd of them at once would wait out its back-off.
  const certificate = NodeCertificate.load(IN_MEMORY);
  await certificate.obtain(leaderAddress, parseJoinToken(token), name);
  // The simulated nodes are the load, not what is measured: their Agent services never listen.
  const agent = await openNodeAgent(new grpc.Server(), { name, token, dataDir: IN_MEMORY, restart }, { runtime, syncIntervalMs: 5000 }, { certificate });
  agent.start([leaderAddress], "127.0.0.1:1");
  agents.push(agent);
}
process.stdout.write(`started ${agents.length} simulated nodes\n`);
// Everything they hold is in memory and their engines are fake: nothing to stop gracefully (200 agents whose leader was
// just SIGKILLed can take longer than a test waits).
process.on("SIGTERM", () => process.exit(0));
