import { join } from "node:path";
import { expect } from "chai";
import { startFollower } from "../../src/agent/start-follower.js";
import { FakeRuntime } from "../../src/agent/testing/fake-runtime.js";
import { IN_MEMORY } from "../../src/shared/open-database.js";
import { LeaderClient } from "../../src/cli/leader-client.js";
import { startLeader } from "../../src/leader/start-leader.js";
import { formatHostPort } from "../../src/shared/host-port.js";
import type { RunningServer } from "../../src/shared/running-server.js";
import { inProcessLeaderConfig, TEST_RESTART } from "../helpers/in-process-leader.js";
import { eventually } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";

const token = "deployments-token-0123456789";
const deployment = (image: string, replicas = 3) => ({
  type: "deployment",
  metadata: { name: "web" },
  spec: {
    replicas,
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "main", image }], terminationGracePeriodSeconds: 0 } },
  },
});

/** A deployment on an in-process leader and follower, their nodes on fake runtimes. */
describe("deployments, on an in-process leader and follower (first slice: apply, replicas, spread, rolling update, delete)", function () {
  this.timeout(60_000);
  const runtime = new FakeRuntime();
  const followerRuntime = new FakeRuntime();
  let leader: RunningServer;
  let follower: RunningServer;
  let client: LeaderClient;
  const configDir = tempDir("deployments-cli");
  const soon = <T>(what: string, probe: () => Promise<T | undefined>) => eventually(what, probe, 20_000, 20);
  const pods = async () => (await client.list("pod")).items;
  const images = () =>
    [...runtime.all(), ...followerRuntime.all()]
      .filter((c) => c.state === "running" && c.options.image !== "cube/pause:1")
      .map((c) => c.options.image)
      .sort();

  before(async () => {
    for (const engine of [runtime, followerRuntime]) engine.images.add("app:1").add("app:2");
    leader = await startLeader(inProcessLeaderConfig(token), { runtime, writeLog: () => undefined });
    follower = await startFollower(
      { token, name: "follower", dataDir: IN_MEMORY, restart: TEST_RESTART, leader: leader.address, listen: { host: "127.0.0.1", port: 0 } },
      { runtime: followerRuntime, writeLog: () => undefined },
    );
    client = await LeaderClient.open({ leaderUrl: formatHostPort(leader.address), password: token }, join(configDir.path, "config"));
    await soon("two nodes Ready", async () => ((await client.listNodes()).nodes.filter((n) => n.status === "Ready").length === 2 ? true : undefined));
  });
  after(async () => {
    client?.close();
    await follower?.stop();
    await leader?.stop();
    configDir.remove();
  });

  it("keeps its replicas: pods named after it and its template, all Running", async () => {
    const { results } = await client.apply(JSON.stringify(deployment("app:1")));
    expect(results.map((r) => `${r.type}/${r.name} ${r.outcome}`)).to.deep.equal(["deployment/web created"]);
    await soon("3 pods Running", async () => {
      const running = (await pods()).filter((p) => p.status === "Running");
      return running.length === 3 ? running : undefined;
    });
    for (const pod of await pods()) expect(pod.name).to.match(/^web-[0-9a-f]{8}-[0-9a-f]{5}$/);
    expect((await client.list("deployment")).items.map((d) => `${d.name} ${d.status}`)).to.deep.equal(["web 3/3 ready"]);
    expect((await client.apply(JSON.stringify(deployment("app:1")))).results[0].outcome).to.equal("unchanged");
  });

  it("spreads its replicas over the nodes before it doubles any up", async () => {
    const perNode = async () => {
      const nodes = await Promise.all((await pods()).map(async (p) => (await client.get("pod", p.name)).pod?.node));
      return nodes.sort();
    };
    const nodes = await perNode();
    expect(new Set(nodes).size, nodes.join(", ")).to.equal(2);
  });

  it("rolls out a new template: in the end three pods of it, and never fewer than three running meanwhile", async () => {
    let fewest = Infinity;
    const watching = setInterval(
      () =>
        (fewest = Math.min(
          fewest,
          [...runtime.all(), ...followerRuntime.all()].filter((c) => c.state === "running" && c.options.image !== "cube/pause:1").length,
        )),
      5,
    );
    await client.apply(JSON.stringify(deployment("app:2")));
    await soon("3 pods of app:2 and nothing else", async () => (JSON.stringify(images()) === JSON.stringify(["app:2", "app:2", "app:2"]) ? true : undefined));
    clearInterval(watching);
    expect(fewest, "running app containers at the lowest, with maxUnavailable 0").to.be.at.least(3);
    await soon("3 pods listed", async () => ((await pods()).length === 3 ? true : undefined));
  });

  it("scales (by cube scale, or a new replica count), and deleting it deletes its pods", async () => {
    await client.scale("deployment", "web", 5);
    await soon("5 pods Running", async () => ((await pods()).filter((p) => p.status === "Running").length === 5 ? true : undefined));
    expect((await client.list("deployment")).items[0].status).to.equal("5/5 ready");
    // The manifest as applied says 5 now: applying the file that says 1 is a change.
    expect((await client.apply(JSON.stringify(deployment("app:2", 1)))).results[0].outcome).to.equal("configured");
    await soon("1 pod", async () => ((await pods()).length === 1 ? true : undefined));
    let refusal: { details?: string } | undefined;
    await client.scale("deployment", "nope", 2).catch((error) => (refusal = error));
    expect(refusal?.details).to.equal("deployment/nope not found");
    await client.scale("pod", (await pods())[0].name, 2).catch((error) => (refusal = error));
    expect(refusal?.details).to.equal("only a deployment can be scaled, not a pod");
    await client.delete("deployment", "web");
    await soon("no pod and no deployment", async () =>
      (await pods()).length === 0 && (await client.list("deployment")).items.length === 0 ? true : undefined,
    );
    expect(images()).to.deep.equal([]);
  });
});
