import { expect } from "chai";
import { join } from "node:path";
import { FakeRuntime } from "../../src/agent/testing/fake-runtime.js";
import type { LeaderClient } from "../../src/cli/leader-client.js";
import { openLeaderClient } from "../../src/cli/leader-trust.js";
import { startLeader } from "../../src/leader/start-leader.js";
import { formatHostPort } from "../../src/shared/host-port.js";
import type { RunningServer } from "../../src/shared/running-server.js";
import { inProcessLeaderConfig } from "../helpers/in-process-leader.js";
import { eventually, startSimulatedNodes, type TestProcess } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";

const token = "large-apply-token-0123456789";
const PODS = 3000;
const NODES = 20;

/**
 * A large apply must not stall the leader: validation, the transaction, placement, the assignments and the flood of
 * status reports that follows are done in slices, so that every other request is answered meanwhile. The leader runs
 * in this process, its nodes in another (simulated, as the scale benchmark's): client and leader share this event
 * loop, so a ListNodes round trip is how long the leader kept it.
 */
describe("a 3 000-pod apply on an in-process leader, over 20 simulated nodes", function () {
  this.timeout(120_000);
  let leader: RunningServer;
  let nodes: TestProcess;
  let client: LeaderClient;
  const configDir = tempDir("large-apply-cli");

  before(async () => {
    leader = await startLeader(inProcessLeaderConfig(token, { podsOnLeader: false }), { runtime: new FakeRuntime(), writeLog: () => undefined });
    nodes = startSimulatedNodes(formatHostPort(leader.address), token, NODES, "bulk", "app:1");
    client = await openLeaderClient({ leaderUrl: formatHostPort(leader.address), password: token }, join(configDir.path, "config"));
    await eventually(`${NODES} simulated nodes Ready`, async () =>
      (await client.listNodes()).nodes.filter((node) => node.status === "Ready").length === NODES + 1 ? true : undefined,
    );
  });
  after(async () => {
    client?.close();
    await nodes?.kill("SIGTERM");
    await leader?.stop();
    configDir.remove();
  });

  it("answers ListNodes throughout, each within a small share of the time the apply takes to run every pod", async () => {
    const manifest = Array.from({ length: PODS }, (_, i) => ({
      type: "pod",
      metadata: { name: `bulk-${i}`, labels: { index: String(i) } },
      spec: { containers: [{ name: "main", image: "app:1", env: { INDEX: String(i) } }] },
    }));
    let done = false;
    const waits: number[] = [];
    const probing = (async () => {
      while (!done) {
        const start = performance.now();
        await client.listNodes();
        waits.push(performance.now() - start);
      }
    })();
    const begin = performance.now();
    const { results } = await client.apply(JSON.stringify(manifest));
    const appliedMs = performance.now() - begin;
    await eventually(
      `${PODS} pods Running`,
      async () => ((await client.list("pod")).items.filter((item) => item.status === "Running").length === PODS ? true : undefined),
      100_000,
      250,
    );
    const runningMs = performance.now() - begin;
    done = true;
    await probing;

    expect(results.filter((result) => result.outcome === "created")).to.have.length(PODS);
    // Done at once, the apply held the loop for most of its time (validation, transaction, placement: 3/4 of it here,
    // about 15 % of the run). Measured against the whole run, as this test's name says: against the apply's own time
    // (half of it, until issue 32), the bound shrank as the apply got faster (630 → 480 ms here) while the waits from
    // the rest of the run stayed (140–210 ms, before and after).
    const longestWait = Math.max(...waits);
    expect(longestWait, `longest ListNodes wait (apply acknowledged in ${Math.round(appliedMs)} ms, all Running in ${Math.round(runningMs)} ms)`).to.be.below(
      runningMs / 8,
    );
  });
});
