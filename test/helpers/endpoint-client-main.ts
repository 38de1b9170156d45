// A client of a deployment as a load balancer with service discovery would be (on a test bed's host):
// endpoint-client-main.ts DEPLOYMENT PORT. Each request goes to the next of the deployment's replicas the leader lists
// as Running and Ready (asked afresh before each request), at its node's address and the published PORT. Until SIGTERM,
// then prints one JSON line: how many requests were answered, with which bodies, and every failure.
import { openLeaderClient } from "../../src/cli/leader-trust.js";
import { loadConfig } from "../../src/cli/config.js";
import { parseHostPort } from "../../src/shared/host-port.js";

const [deployment, port] = process.argv.slice(2);
const configPath = process.env.CUBE_CONFIG!;
const leader = await openLeaderClient(loadConfig(configPath), configPath);
const bodies: Record<string, number> = {};
const failures: { endpoint: string; error: string; at: string }[] = [];
let stopping = false;
process.on("SIGTERM", () => (stopping = true));

const nodeHosts = new Map<string, string>();
let turn = 0;
let answered = false;
let leaderDown = 0;
const reasons = new Set<string>();
while (!stopping) {
  let endpoints: string[];
  try {
    if (nodeHosts.size === 0) for (const node of (await leader.listNodes()).nodes) nodeHosts.set(node.name, parseHostPort(node.address, "address").host);
    const { pods } = await leader.get("deployment", deployment);
    endpoints = pods.filter((pod) => pod.status?.phase === "Running" && pod.status.ready && pod.node).map((pod) => nodeHosts.get(pod.node!)!);
  } catch (error) {
    // A leader being restarted: ask again (saying why, once per reason, for whoever reads a failed test's output).
    const reason = (error as Error).message;
    if (!reasons.has(reason)) process.stderr.write(`asking the leader failed: ${reason}\n`);
    reasons.add(reason);
    leaderDown++;
    await new Promise((resolve) => setTimeout(resolve, 50));
    continue;
  }
  if (endpoints.length === 0) {
    failures.push({ endpoint: "", error: "no replica Running and Ready", at: new Date().toISOString() });
    await new Promise((resolve) => setTimeout(resolve, 50));
    continue;
  }
  const endpoint = `${endpoints[turn++ % endpoints.length]}:${port}`;
  try {
    const body = (await (await fetch(`http://${endpoint}/`, { signal: AbortSignal.timeout(2000) })).text()).trim();
    bodies[body] = (bodies[body] ?? 0) + 1;
    if (!answered) process.stdout.write("answered\n");
    answered = true;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    failures.push({ endpoint, error: cause, at: new Date().toISOString() });
  }
}
leader.close();
process.stdout.write(`${JSON.stringify({ bodies, failures, leaderDown })}\n`);
