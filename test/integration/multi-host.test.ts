import { expect } from "chai";
import { containerInfo, type ContainerInfo } from "../helpers/docker.js";
import { LocalCluster, type PodJson } from "../helpers/local-cluster.js";
import { eventually } from "../helpers/processes.js";
import { TestHosts } from "../helpers/test-hosts.js";

const IMAGE = "cube-test/busybox:latest";
const HOSTS = [1, 2, 3];
const nodeOf = (host: number) => `host-${host}`;
const hostOf = (node: string) => Number(node.replace("host-", ""));

describe("a cluster across three hosts, each with its own address and Docker engine", function () {
  this.timeout(300_000);
  let hosts: TestHosts;
  let cluster: LocalCluster;

  const apply = (file: string, resources: unknown) => cluster.apply(file, resources);
  const ticker = (name: string) => ({
    type: "pod",
    metadata: { name },
    spec: {
      containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", "trap 'exit 0' TERM; while true; do echo tick; sleep 1; done"] }],
      terminationGracePeriodSeconds: 1,
    },
  });
  /** Every pod's container on every engine, by host (not the nodes' warm sandboxes, which come and go as they idle). */
  const engines = async (): Promise<Map<number, ContainerInfo[]>> => {
    const listed = await Promise.all(HOSTS.map((host) => hosts.docker(host, "ps", "-a", "--no-trunc", "--format", "{{json .}}")));
    return new Map(
      HOSTS.map((host, index) => [
        host,
        listed[index]
          .split("\n")
          .filter(Boolean)
          .map((line) => containerInfo(JSON.parse(line)))
          .filter((c) => c.pod !== ""),
      ]),
    );
  };
  /** The hosts whose engine runs a container of `pod`. */
  const hostsRunning = (all: Map<number, ContainerInfo[]>, pod: string) =>
    HOSTS.filter((host) => all.get(host)!.some((c) => c.pod === pod && c.state === "running"));
  const podNames = async () => (JSON.parse(await cluster.cubeOk("list", "pod", "-o", "json")) as { name: string }[]).map((p) => p.name);
  const pods = async (): Promise<Map<string, PodJson>> =>
    new Map(await Promise.all((await podNames()).map(async (name) => [name, await cluster.pod(name)] as const)));
  const nodeStatus = async (node: string) => (await cluster.nodes()).find((n) => n.name === node)?.status;
  /** Every pod Running, and its containers running on its own node's engine and on no other. */
  const everyPodRunsOnceOnItsNode = () =>
    eventually(
      "every pod Running exactly once, on its node's engine",
      async () => {
        // The engines are read after the pods: a pod reported Running then has its containers listed (a claimed warm
        // sandbox runs under the pod's name before its app container exists).
        const current = await pods();
        const all = await engines();
        for (const [name, pod] of current) {
          if (pod.status !== "Running" || pod.node === null) return undefined;
          if (JSON.stringify(hostsRunning(all, name)) !== JSON.stringify([hostOf(pod.node)])) return undefined;
        }
        return { all, current };
      },
      60_000,
    );

  before(async () => {
    hosts = await TestHosts.up(HOSTS.length);
    // A node gives up waiting for the leader after 5 s at most: a delay above that, so nodes that come back after a
    // partition are not taken for lost first.
    cluster = new LocalCluster(2, ["--reschedule-delay", "5s"], hosts);
    await cluster.startLeader(nodeOf(1), 0, cluster.leaderArgs, 1);
    // One follower names its address, the other listens on every address and is reached where its calls come from.
    cluster.startFollower(nodeOf(2), { host: 2, advertise: `${hosts.address(2)}:4243` });
    cluster.startFollower(nodeOf(3), { host: 3 });
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") process.stderr.write(`${cluster.recentOutput()}\n`);
  });
  after(async () => {
    await cluster?.stop();
    await hosts?.down();
  });

  it("forms a cluster in which each follower is known by its own host's address", async () => {
    await cluster.waitForNodes([
      { name: nodeOf(1), status: "Ready", type: "Leader" },
      { name: nodeOf(2), status: "Ready", type: "Follower" },
      { name: nodeOf(3), status: "Ready", type: "Follower" },
    ]);
    const nodes = JSON.parse(await cluster.cubeOk("nodes", "-o", "json")) as { name: string; address: string }[];
    expect(nodes.map((n) => `${n.name} ${n.address}`)).to.deep.equal([
      `${nodeOf(1)} ${hosts.address(1)}:${cluster.leaderPort}`,
      `${nodeOf(2)} ${hosts.address(2)}:4243`,
      `${nodeOf(3)} ${hosts.address(3)}:4243`,
    ]);
  });

  it("spreads pods over the hosts, each pod's containers on its own node's engine and on no other", async () => {
    await apply(
      "six",
      ["a", "b", "c", "d", "e", "f"].map((letter) => ticker(`web-${letter}`)),
    );
    const { all, current } = await everyPodRunsOnceOnItsNode();
    const perNode = [...current.values()].map((pod) => pod.node);
    expect(HOSTS.map((host) => perNode.filter((node) => node === nodeOf(host)).length)).to.deep.equal([2, 2, 2]);
    for (const [name, pod] of current) {
      const onItsEngine = all.get(hostOf(pod.node!))!.filter((c) => c.pod === name);
      expect(onItsEngine.map((c) => c.container ?? "pause").sort(), name).to.deep.equal(["main", "pause"]);
    }
  });

  it("serves logs and exec of a pod on another host: stdin, stdout and stderr apart, the exit code", async () => {
    const [name] = [...(await pods())].find(([, pod]) => pod.node === nodeOf(3))!;
    const logs = await cluster.cubeOk("logs", `pod/${name}`, "--tail", "1");
    expect(logs).to.match(/^\[main\] tick\n$/);
    const exec = await cluster.cube(["exec", `pod/${name}`, "--", "sh", "-c", "cat; echo to-stderr >&2; exit 3"], undefined, "from-stdin\n");
    expect(exec).to.deep.equal({ code: 3, stdout: "from-stdin\n", stderr: "to-stderr\n" });
  });

  it("moves the pods of a follower cut off the network; back, it removes its copies, and each pod runs once", async () => {
    const lost = nodeOf(3);
    const before = await pods();
    const moved = [...before].filter(([, pod]) => pod.node === lost).map(([name]) => name);
    expect(moved).to.have.length(2);
    const copies = (await engines())
      .get(3)!
      .filter((c) => c.state === "running")
      .map((c) => c.id)
      .sort();

    await hosts.partition(3);
    await eventually(`${lost} NotReady`, async () => ((await nodeStatus(lost)) === "NotReady" ? true : undefined));
    for (const name of moved) {
      const pod = await eventually(`pod/${name} Running elsewhere`, async () => {
        const pod = await cluster.pod(name);
        return pod.status === "Running" && pod.node !== lost ? pod : undefined;
      });
      const reasons = pod.events.map((e) => e.reason);
      expect(reasons, name).to.include.members(["NodeLost", "Rescheduled"]);
    }
    // Cut off, not dead: the host's engine still runs the old copies.
    const cutOff = (await engines())
      .get(3)!
      .filter((c) => c.state === "running")
      .map((c) => c.id)
      .sort();
    expect(cutOff).to.deep.equal(copies);

    await hosts.heal(3);
    await eventually(`${lost} Ready again`, async () => ((await nodeStatus(lost)) === "Ready" ? true : undefined));
    await everyPodRunsOnceOnItsNode();
    await eventually("the copies on the node that was cut off removed", async () =>
      (await engines()).get(3)!.some((c) => moved.includes(c.pod)) ? undefined : true,
    );
    for (const name of moved) {
      const killing = (await cluster.pod(name)).events.filter((e) => e.reason === "Killing" && e.node === lost).map((e) => e.message);
      expect(killing, name).to.deep.equal(["Stopping container main: the pod is no longer assigned to this node"]);
    }
  });

  it("moves nothing when the leader is cut off from every follower, and finds every container as it was", async () => {
    // The follower emptied by the test before takes the new pods, so that both followers run some.
    await apply("two-more", [ticker("web-g"), ticker("web-h")]);
    const { all: before, current } = await everyPodRunsOnceOnItsNode();
    const onFollowers = [...current].filter(([, pod]) => pod.node !== nodeOf(1)).map(([name, pod]) => [name, pod.node] as const);
    expect(new Set(onFollowers.map(([, node]) => node))).to.deep.equal(new Set([nodeOf(2), nodeOf(3)]));
    const followerContainers = () => engines().then((all) => [2, 3].flatMap((host) => all.get(host)!.map((c) => `${host} ${c.id} ${c.state}`)).sort());
    const containersBefore = await followerContainers();
    expect(containersBefore.every((c) => c.endsWith(" running"))).to.equal(true);
    const leaderEngineBefore = before
      .get(1)!
      .map((c) => c.id)
      .sort();

    await hosts.partition(1);
    await eventually("both followers NotReady", async () => {
      const statuses = await Promise.all([nodeOf(2), nodeOf(3)].map(nodeStatus));
      return statuses.every((status) => status === "NotReady") ? true : undefined;
    });
    await cluster.leaderProcess!.waitForLine(/2 of 2 followers are NotReady at once/);
    // Two more reschedule delays: a leader that moved pods would have done so by now.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    for (const [name, node] of onFollowers) {
      const pod = await cluster.pod(name);
      expect(pod.node, name).to.equal(node);
      expect(pod.status, name).to.equal("Unknown");
      expect(
        pod.events.map((e) => e.reason),
        name,
      ).to.include("NodeLost");
      expect(
        pod.events.filter((e) => e.reason === "Rescheduled" && e.node === nodeOf(1)),
        name,
      ).to.deep.equal([]);
    }
    expect(
      (await engines())
        .get(1)!
        .map((c) => c.id)
        .sort(),
    ).to.deep.equal(leaderEngineBefore);

    await hosts.heal(1);
    await cluster.waitForNodes(
      HOSTS.map((host) => ({ name: nodeOf(host), status: "Ready", type: host === 1 ? "Leader" : "Follower" })),
      60_000,
    );
    await everyPodRunsOnceOnItsNode();
    expect(await followerContainers()).to.deep.equal(containersBefore);
  });

  it("brings a follower's pods back when its host's Docker engine stops and starts again", async () => {
    const node = nodeOf(2);
    const onIt = [...(await pods())].filter(([, pod]) => pod.node === node).map(([name]) => name);
    expect(onIt.length).to.be.at.least(1);
    const idsBefore = (await engines()).get(2)!.map((c) => c.id);

    await hosts.stopEngine(2);
    await hosts.startEngine(2);
    const { all, current } = await everyPodRunsOnceOnItsNode();
    for (const name of onIt) expect(current.get(name)!.node, name).to.equal(node);
    const running = all.get(2)!.filter((c) => c.state === "running");
    expect(running.filter((c) => idsBefore.includes(c.id))).to.deep.equal([]);
    // The engine stopped the containers: each counts as a restart, as it does for kubelet.
    for (const name of onIt) expect(current.get(name)!.containers[0].restartCount, name).to.be.at.least(1);
  });
});
