import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalCluster } from "../helpers/local-cluster.js";
import { PrivateDockerEngine } from "../helpers/private-docker-engine.js";
import { eventually } from "../helpers/processes.js";

describe("a Docker Engine restart on a node", function () {
  this.timeout(120_000);
  const cluster = new LocalCluster(5);
  const engine = new PrivateDockerEngine();
  const prefix = `d${Math.random().toString(36).slice(2, 6)}`;
  // Placement breaks ties by name: the follower ("a…") gets the first pod, not the leader ("z…").
  const follower = `a${prefix}-node`;

  before(async () => {
    await engine.start();
    await engine.copyImage("cube-test/busybox:latest");
    await cluster.startLeader(`z${prefix}-main`);
    cluster.startFollower(follower, { env: engine.env });
    await eventually("2 Ready nodes", async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 2 ? true : undefined));
  });
  after(async () => {
    await cluster.stop();
    await engine.remove();
  });

  const running = async () =>
    (await engine.docker("ps", "--filter", "label=cube.pod=survivor", "--format", "{{.ID}} {{.Label \"cube.container\"}}")).split("\n").filter(Boolean);

  it("is ridden out: the agent reconnects and brings the pod back", async () => {
    const manifest = join(cluster.dir.path, "survivor.json");
    writeFileSync(manifest, JSON.stringify({
      type: "pod",
      metadata: { name: "survivor" },
      spec: { containers: [{ name: "main", image: "cube-test/busybox:latest", command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"] }] },
    }));
    await cluster.cubeOk("apply", manifest);
    const before = await cluster.waitForPodStatus("survivor", "Running");
    expect(before.node).to.equal(follower);
    const containersBefore = await running();
    expect(containersBefore).to.have.length(2);

    await engine.stop();
    await engine.start();
    const after = await eventually("the pod running again on new containers", async () => {
      const now = await running();
      const pod = await cluster.pod("survivor");
      return now.length === 2 && !now.some((line) => containersBefore.includes(line)) && pod.status === "Running" ? pod : undefined;
    }, 60_000);
    expect(after.node).to.equal(follower);
    // The engine stopped the container: that counts as a restart (as it does for kubelet).
    expect(after.containers[0].restartCount).to.be.at.least(1);
  });
});
