import { join } from "node:path";
import { expect } from "chai";
import { LeaderStore } from "../../src/leader/store/leader-store.js";
import { NodeRegistry, nodeStatusAt } from "../../src/leader/node-registry.js";
import { isRefusal } from "../../src/leader/refusals.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { MemoryLogger } from "../helpers/memory-logger.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("nodeStatusAt", () => {
  it("is Ready up to the grace period and NotReady after it", () => {
    expect(nodeStatusAt(1000, 1000, 15_000)).to.equal("Ready");
    expect(nodeStatusAt(1000, 16_000, 15_000)).to.equal("Ready");
    expect(nodeStatusAt(1000, 16_001, 15_000)).to.equal("NotReady");
  });
});

describe("NodeRegistry", () => {
  const grace = 15_000;
  /** Room for two nodes' subnets. */
  const podCidr = "10.42.0.0/23";
  let dir: ReturnType<typeof tempDir>;
  let store: LeaderStore;
  let clock: FakeClock;
  let registry: NodeRegistry;

  const load = async () => NodeRegistry.load(store, clock, new MemoryLogger(), { graceMs: grace, leaderNodeId: "leader-id", podCidr, podNetwork: "vxlan" });
  const statuses = () => Object.fromEntries(registry.list().map((node) => [node.name, node.status]));

  beforeEach(async () => {
    dir = tempDir("registry");
    store = await LeaderStore.open(join(dir.path, "leader.db"));
    clock = new FakeClock();
    registry = await load();
  });

  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it("gives each node a pod subnet at its first join, kept across joins and leader restarts, freed by a removal; none left: joined without one", async () => {
    const subnets = () => Object.fromEntries(registry.list().map((node) => [node.name, node.podSubnet]));
    await registry.join({ name: "main", nodeId: "leader-id", address: "127.0.0.1:4242" });
    await registry.join({ name: "a", nodeId: "a-id", address: "10.0.0.2:4243" });
    expect(subnets()).to.deep.equal({ main: "10.42.0.0/24", a: "10.42.1.0/24" });
    registry = await load(); // the leader restarted: its store kept them
    await registry.join({ name: "a", nodeId: "a-id", address: "10.0.0.2:4243" });
    expect(subnets()).to.deep.equal({ main: "10.42.0.0/24", a: "10.42.1.0/24" });
    const log = new MemoryLogger();
    registry = await NodeRegistry.load(store, clock, log, { graceMs: grace, leaderNodeId: "leader-id", podCidr, podNetwork: "vxlan" });
    await registry.join({ name: "b", nodeId: "b-id", address: "10.0.0.3:4243" });
    expect(subnets()).to.deep.equal({ main: "10.42.0.0/24", a: "10.42.1.0/24", b: undefined });
    expect(log.lines.join("\n")).to.include(
      "node b joins without a pod subnet, and takes no pod until it has one (at a later join): every /24 subnet of the pod CIDR 10.42.0.0/23 is held (2 nodes)",
    );
    await registry.remove("a");
    await registry.remove("b");
    await registry.join({ name: "c", nodeId: "c-id", address: "10.0.0.4:4243" });
    expect(subnets()).to.deep.equal({ main: "10.42.0.0/24", c: "10.42.1.0/24" });
  });

  it("tells the pod network: every node with a subnet at its address's host, NotReady ones included, removed ones not", async () => {
    await registry.join({ name: "main", nodeId: "leader-id", address: "10.0.0.1:4242", engineId: "e1" });
    await registry.join({ name: "worker", nodeId: "w-id", address: "[fd00::2]:4243", engineId: "e2" });
    await registry.join({ name: "late", nodeId: "l-id", address: "10.0.0.3:4243" });
    clock.advance(grace + 1);
    await registry.checkLiveness();
    expect(statuses()).to.deep.equal({ late: "NotReady", main: "NotReady", worker: "NotReady" });
    expect(registry.podNetwork()).to.deep.equal({
      clusterCidr: podCidr,
      backend: "vxlan",
      // Two /24s in the /23: the third node has none and is no peer.
      peers: [
        { node: "main", address: "10.0.0.1", subnet: "10.42.0.0/24", engineId: "e1" },
        { node: "worker", address: "fd00::2", subnet: "10.42.1.0/24", engineId: "e2" },
      ],
    });
    await registry.remove("worker");
    expect(registry.podNetwork().peers.map((peer) => peer.node)).to.deep.equal(["main"]);
  });

  it("lists joined nodes as Ready, the leader's own node as Leader, a standing-by leader's as Standby", async () => {
    await registry.join({ name: "main", nodeId: "leader-id", address: "127.0.0.1:4242" });
    await registry.join({ name: "worker", nodeId: "w-id", address: "10.0.0.2:4243" });
    await registry.join({ name: "second", nodeId: "s-id", address: "10.0.0.3:4242", standbyLeader: true });
    expect(registry.list().map(({ name, status, type, address }) => ({ name, status, type, address }))).to.deep.equal([
      { name: "main", status: "Ready", type: "Leader", address: "127.0.0.1:4242" },
      { name: "second", status: "Ready", type: "Standby", address: "10.0.0.3:4242" },
      { name: "worker", status: "Ready", type: "Follower", address: "10.0.0.2:4243" },
    ]);
  });

  it("marks a node NotReady once its heartbeats stop for longer than the grace period; its session ends, so it must join again", async () => {
    const { sessionId } = await registry.join({ name: "worker", nodeId: "w-id", address: "a:1" });
    clock.advance(grace);
    expect(await registry.checkLiveness()).to.deep.equal([]);
    expect(statuses()).to.deep.equal({ worker: "Ready" });
    clock.advance(1);
    expect(await registry.checkLiveness()).to.deep.equal(["worker"]);
    expect(await registry.checkLiveness()).to.deep.equal([]);
    expect(statuses()).to.deep.equal({ worker: "NotReady" });
    // A late heartbeat of the old session (a packet held up by the cut) does not bring it back.
    expect(registry.heartbeat("worker", sessionId)).to.equal(false);
    expect(statuses()).to.deep.equal({ worker: "NotReady" });
    const again = await registry.join({ name: "worker", nodeId: "w-id", address: "a:1" });
    expect(statuses()).to.deep.equal({ worker: "Ready" });
    expect(registry.heartbeat("worker", again.sessionId)).to.equal(true);
  });

  it("keeps a node Ready while it sends heartbeats", async () => {
    const { sessionId } = await registry.join({ name: "worker", nodeId: "w-id", address: "a:1" });
    for (let i = 0; i < 10; i++) {
      clock.advance(grace / 2);
      registry.heartbeat("worker", sessionId);
      await registry.checkLiveness();
    }
    expect(statuses()).to.deep.equal({ worker: "Ready" });
  });

  it("refuses a second node that claims the name of a live node, and accepts it once that node is gone", async () => {
    await registry.join({ name: "worker", nodeId: "first", address: "a:1" });
    let refusal: unknown;
    await registry.join({ name: "worker", nodeId: "second", address: "b:1" }).catch((error) => (refusal = error));
    expect(isRefusal(refusal, "AlreadyExists"), String(refusal)).to.equal(true);
    expect((refusal as Error).message).to.match(/node name "worker" is already taken by a live node \(a:1\)/);

    clock.advance(grace + 1);
    await registry.checkLiveness();
    await registry.join({ name: "worker", nodeId: "second", address: "b:1" });
    expect(registry.list()[0]).to.include({ status: "Ready", address: "b:1" });
  });

  it("lets a restarted node (same id) join again at once, keeping its join time", async () => {
    const first = await registry.join({ name: "worker", nodeId: "w-id", address: "a:1" });
    const joinedAt = registry.list()[0].joinedAt;
    clock.advance(1000);
    const again = await registry.join({ name: "worker", nodeId: "w-id", address: "a:1" });
    expect(again.sessionId).to.not.equal(first.sessionId);
    expect(registry.list()[0].joinedAt).to.deep.equal(joinedAt);
  });

  it("ignores heartbeats of a superseded session", async () => {
    const first = await registry.join({ name: "worker", nodeId: "w-id", address: "a:1" });
    await registry.join({ name: "worker", nodeId: "w-id", address: "a:1" });
    expect(registry.heartbeat("worker", first.sessionId)).to.equal(false);
    expect(registry.heartbeat("unknown", first.sessionId)).to.equal(false);
  });

  it("after a restart, still lists its nodes and gives the Ready ones a fresh grace period", async () => {
    await registry.join({ name: "alive", nodeId: "a-id", address: "a:1" });
    await registry.join({ name: "dead", nodeId: "d-id", address: "d:1" });
    clock.advance(grace + 1);
    await registry.checkLiveness();
    await registry.join({ name: "alive", nodeId: "a-id", address: "a:1" });

    clock.advance(5000);
    registry = await load();
    expect(statuses()).to.deep.equal({ alive: "Ready", dead: "NotReady" });
    clock.advance(grace);
    await registry.checkLiveness();
    expect(statuses()).to.deep.equal({ alive: "Ready", dead: "NotReady" });
    clock.advance(1);
    await registry.checkLiveness();
    expect(statuses()).to.deep.equal({ alive: "NotReady", dead: "NotReady" });
  });
});
