import { join } from "node:path";
import { expect } from "chai";
import { LeaderStore } from "../../src/leader/leader-store.js";
import { NodeRegistry } from "../../src/leader/node-registry.js";
import { InvalidManifest, PodController } from "../../src/leader/pod-controller.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { MemoryLogger } from "../helpers/memory-logger.js";
import { tempDir } from "../helpers/temp-dir.js";

const pod = (name: string) => ({ type: "pod", metadata: { name }, spec: { containers: [{ name: "main", image: "busybox" }] } });

describe("PodController", () => {
  let dir: ReturnType<typeof tempDir>;
  let store: LeaderStore;
  let clock: FakeClock;
  let registry: NodeRegistry;
  let controller: PodController;
  let notified: string[];

  beforeEach(async () => {
    dir = tempDir("controller");
    store = await LeaderStore.open(join(dir.path, "leader.db"));
    clock = new FakeClock();
    registry = await NodeRegistry.load(store, clock, new MemoryLogger(), { graceMs: 15_000, leaderNodeId: "leader" });
    notified = [];
    controller = new PodController(store, registry, clock, new MemoryLogger(), (node) => notified.push(node));
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it("keeps a pod Pending, with an event saying why, while no node is Ready; places it once one is", async () => {
    await controller.apply([pod("web")]);
    let found = await controller.get("web");
    expect(found!.pod.phase).to.equal("Pending");
    expect(found!.events.map((e) => `${e.type} ${e.reason}: ${e.message}`)).to.deep.equal(["Warning FailedScheduling: cannot place pod/web: no node has joined the cluster"]);

    await controller.schedulePending();
    expect((await controller.get("web"))!.events).to.have.length(1); // the same reason is not repeated

    await registry.join({ name: "n1", nodeId: "n1-id", address: "a:1" });
    await controller.schedulePending();
    found = await controller.get("web");
    expect(found!.pod.node).to.equal("n1");
    expect(found!.events.at(-1)).to.deep.include({ type: "Normal", reason: "Scheduled", message: "Successfully assigned pod/web to n1", node: "n1" });
    expect(notified).to.deep.equal(["n1"]);
    expect((await controller.desiredPodsFor("n1")).map((p) => p.name)).to.deep.equal(["web"]);
  });

  it("keeps pods off the leader's own node when told to", async () => {
    controller = new PodController(store, registry, clock, new MemoryLogger(), (node) => notified.push(node), { podsOnLeader: false });
    await registry.join({ name: "boss", nodeId: "leader", address: "a:1" });
    await controller.apply([pod("web")]);
    expect((await controller.get("web"))!.events.at(-1)!.message).to.equal("cannot place pod/web: no node has joined the cluster");
    await registry.join({ name: "worker", nodeId: "w", address: "b:1" });
    await controller.schedulePending();
    expect((await controller.get("web"))!.pod.node).to.equal("worker");
  });

  it("validates on the leader too: an invalid manifest changes nothing", async () => {
    let refusal: unknown;
    await controller.apply([pod("ok"), { type: "pod", metadata: { name: "bad" }, spec: { containers: [] } }]).catch((error) => (refusal = error));
    expect(refusal).to.be.instanceOf(InvalidManifest);
    expect((refusal as InvalidManifest).problems).to.deep.equal(["[1].spec.containers: must list at least one container"]);
    expect(await controller.list()).to.deep.equal([]);
  });

  it("deletes a pod only once its node reports its containers gone", async () => {
    await registry.join({ name: "n1", nodeId: "n1-id", address: "a:1" });
    await controller.apply([pod("web")]);
    const { uid } = (await controller.get("web"))!.pod;
    expect(await controller.delete("web")).to.equal(true);
    expect((await controller.get("web"))!.pod.phase).to.equal("Terminating");
    expect(await controller.desiredPodsFor("n1")).to.deep.equal([]);
    await controller.recordNodeUpdates([{ kind: "removed", node: "another-node", podUid: uid }]);
    expect(await controller.get("web")).to.not.equal(undefined);
    await controller.recordNodeUpdates([{ kind: "removed", node: "n1", podUid: uid }]);
    expect(await controller.get("web")).to.equal(undefined);
    expect(await controller.delete("web")).to.equal(false);
  });
});
