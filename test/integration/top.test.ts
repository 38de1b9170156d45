import { expect } from "chai";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually } from "../helpers/processes.js";

const IMAGE = "cube-test/busybox:latest";
const MiB = 2 ** 20;

interface PodTopJson {
  name: string;
  node: string;
  cpuMillis: number;
  memoryBytes: number;
  containers: { name: string; cpuMillis: number; memoryBytes: number }[];
}
interface NodeTopJson {
  name: string;
  cpuMillis: number;
  cpuPercent: number | null;
  memoryBytes: number;
  memoryPercent: number | null;
  pods: number;
}

/** Usage measured on a real engine: the leader's own node runs the pods, sampled at the default interval (10 s). */
describe("cube top, on real Docker", function () {
  this.timeout(120_000);
  const cluster = new LocalCluster(2);
  const pod = (name: string, script: string, resources?: object) =>
    cluster.apply(name, {
      type: "pod",
      metadata: { name, labels: { app: "top" } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", script], ...(resources ? { resources } : {}) }],
      },
    });
  const topPods = async (...args: string[]) => JSON.parse(await cluster.cubeOk("top", "pods", "-o", "json", ...args)) as PodTopJson[];
  const topNodes = async () => JSON.parse(await cluster.cubeOk("top", "nodes", "-o", "json")) as NodeTopJson[];

  before(async () => {
    await cluster.startLeader("top");
    await cluster.waitForNodes([{ name: "top", status: "Ready", type: "Leader" }]);
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") process.stderr.write(`${cluster.recentOutput()}\n`);
  });
  after(() => cluster.stop());

  it("shows a busy pod at about one core and an idle one at about none, within 15 s of running", async () => {
    await pod("busy", "trap 'exit 0' TERM; yes > /dev/null & wait");
    await pod("idle", "trap 'exit 0' TERM; sleep 3600 & wait");
    await cluster.waitForPodStatus("busy", "Running");
    await cluster.waitForPodStatus("idle", "Running");
    const measured = await eventually(
      "both pods measured",
      async () => {
        const pods = await topPods();
        return pods.some((p) => p.name === "busy") && pods.some((p) => p.name === "idle") ? pods : undefined;
      },
      15_000,
    );
    const busy = measured.find((p) => p.name === "busy")!;
    const idle = measured.find((p) => p.name === "idle")!;
    // One process spinning: one core, less what the machine's other work takes from it (2 cores here).
    expect(busy.cpuMillis).to.be.within(600, 1100);
    expect(idle.cpuMillis).to.be.at.most(20);
    expect(busy.containers.map((c) => c.name)).to.deep.equal(["main"]);
    expect(busy.node).to.equal("top");

    const table = await cluster.cubeOk("top", "pods", "--sort", "cpu");
    expect(table.split("\n")[0]).to.match(/^NAME\s+\| CPU\(cores\) \| MEMORY\(bytes\)$/);
    expect(table.split("\n")[1]).to.match(/^busy\s+\| \d+m/);
  });

  it("shows a pod that holds 64 MiB at about 64 MiB, next to its limit in cube get", async () => {
    // tmpfs pages count as the writer's memory, and are no reclaimable page cache.
    await pod("holder", "trap 'exit 0' TERM; dd if=/dev/zero of=/dev/shm/fill bs=1M count=64 2>/dev/null; sleep 3600 & wait", { memory: "256Mi" });
    await cluster.waitForPodStatus("holder", "Running");
    const holder = await eventually(
      "the holder measured with its 64 MiB",
      async () => (await topPods("-l", "app=top")).find((p) => p.name === "holder" && p.memoryBytes >= 60 * MiB),
      15_000,
    );
    expect(holder.memoryBytes).to.be.within(60 * MiB, 72 * MiB);
    const shown = await cluster.cubeOk("get", "pod/holder");
    expect(shown).to.match(/memory (6\d)Mi of 256Mi \(2[3-8]%\)/);
  });

  it("sums a node's pods in cube top nodes, against what the node has", async () => {
    const { pods, nodes } = await eventually("top pods and top nodes from the same readings", async () => {
      const [pods, nodes] = [await topPods(), await topNodes()];
      const node = nodes.find((n) => n.name === "top");
      const sum = (key: "cpuMillis" | "memoryBytes") => pods.reduce((total, p) => total + p[key], 0);
      return node && node.cpuMillis === sum("cpuMillis") && node.memoryBytes === sum("memoryBytes") ? { pods, nodes } : undefined;
    });
    const node = nodes.find((n) => n.name === "top")!;
    expect(node.pods).to.equal(pods.length).and.to.equal(3);
    expect(node.cpuMillis).to.be.at.least(600);
    expect(node.memoryBytes).to.be.at.least(60 * MiB);
    expect(node.cpuPercent).to.be.a("number").and.to.be.at.least(1);
    const table = await cluster.cubeOk("top", "nodes");
    expect(table.split("\n")[0]).to.match(/^NAME\s+\| CPU\(cores\) \| CPU% \| MEMORY\(bytes\) \| MEMORY%$/);
  });

  it("refuses what top cannot show, in one line", async () => {
    const wrongKind = await cluster.cube(["top", "deployments"]);
    expect(wrongKind.code).to.not.equal(0);
    expect(wrongKind.stderr.trim()).to.equal('error: top shows pods or nodes, not "deployments": cube top pods, cube top nodes');
    const badSelector = await cluster.cube(["top", "pods", "-l", "a=b,,"]);
    expect(badSelector.code).to.not.equal(0);
    expect(badSelector.stderr.trim().split("\n")).to.have.length(1);
  });

  it("drops a deleted pod from top", async () => {
    await cluster.cubeOk("delete", "pod/busy");
    await eventually("busy gone from top", async () => ((await topPods()).some((p) => p.name === "busy") ? undefined : true), 20_000);
  });
});
