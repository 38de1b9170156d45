import { DEFAULT_POD_CIDR } from "../../src/leader/allocate-subnet.js";
import { join } from "node:path";
import { expect } from "chai";
import { LeaderStore } from "../../src/leader/store/leader-store.js";
import { NodeRegistry } from "../../src/leader/node-registry.js";
import { PodController } from "../../src/leader/pod-controller.js";
import type { DeploymentResource } from "../../src/shared/domain.js";
import { deploymentSchema, validateManifest } from "../../src/shared/manifest.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { MemoryLogger } from "../helpers/memory-logger.js";
import { tempDir } from "../helpers/temp-dir.js";

/** A validated manifest entry for a one-container pod, with `spec` added to its spec. */
function pod(name: string, spec: object = {}) {
  const manifest = validateManifest({ type: "pod", metadata: { name }, spec: { containers: [{ name: "main", image: "busybox" }], ...spec } });
  if (!manifest.ok) throw new Error(manifest.problems.join("\n"));
  return manifest.entries[0];
}

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
    registry = await NodeRegistry.load(store, clock, new MemoryLogger(), {
      graceMs: 15_000,
      leaderNodeId: "leader",
      podCidr: DEFAULT_POD_CIDR,
      podNetwork: "vxlan",
    });
    notified = [];
    controller = new PodController(store, registry, { notify: (node) => notified.push(node), keyedChanged: () => {} }, clock, new MemoryLogger());
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it("keeps a pod Pending, with an event saying why, while no node is Ready; places it once one is", async () => {
    await controller.apply([pod("web")]);
    let found = await controller.get("web");
    expect(found!.pod.phase).to.equal("Pending");
    expect(found!.events.map((e) => `${e.type} ${e.reason}: ${e.message}`)).to.deep.equal([
      "Warning FailedScheduling: cannot place pod/web: no node has joined the cluster",
    ]);

    await controller.schedulePending();
    expect((await controller.get("web"))!.events).to.have.length(1); // the same reason is not repeated

    await registry.join({ name: "n1", nodeId: "n1-id", address: "a:1" });
    await controller.schedulePending();
    found = await controller.get("web");
    expect(found!.pod.node).to.equal("n1");
    expect(found!.events.at(-1)).to.deep.include({ type: "Normal", reason: "Scheduled", message: "Successfully assigned pod/web to n1", node: "n1" });
    expect(notified).to.deep.equal(["n1"]);
    expect((await store.pods.desiredFor("n1")).map((p) => p.name)).to.deep.equal(["web"]);
  });

  it("holds a pod back, saying for what, until what it depends on holds; then places it", async () => {
    await registry.join({ name: "n1", nodeId: "n1-id", address: "a:1" });
    await controller.apply([pod("db"), pod("web", { dependsOn: [{ name: "db", condition: "Ready" }] })]);
    const db = (await store.pods.get("db"))!;
    expect(db.node).to.equal("n1");
    expect((await controller.get("web"))!.pod.node).to.equal(undefined);
    const report = async (ready: boolean) => {
      await store.applyNodeUpdates(
        [{ kind: "status", node: "n1", podUid: db.uid, specHash: db.specHash, status: { phase: "Running", containers: [], ready } }],
        new Date(clock.now()),
      );
      await controller.schedulePending();
    };
    await report(false);
    await controller.schedulePending();
    const waiting = (await controller.get("web"))!;
    expect(waiting.pod.node).to.equal(undefined);
    expect(waiting.events.map((e) => `${e.type} ${e.reason}: ${e.message}`)).to.deep.equal([
      "Normal Waiting: waiting for db to be ready before placing pod/web",
    ]);
    await report(true);
    expect((await controller.get("web"))!.pod.node).to.equal("n1");
  });

  it("keeps pods off the leader's own node when told to", async () => {
    controller = new PodController(store, registry, { notify: (node) => notified.push(node), keyedChanged: () => {} }, clock, new MemoryLogger(), {
      podsOnLeader: false,
    });
    await registry.join({ name: "boss", nodeId: "leader", address: "a:1" });
    await controller.apply([pod("web")]);
    expect((await controller.get("web"))!.events.at(-1)!.message).to.equal("cannot place pod/web: no node has joined the cluster");
    await registry.join({ name: "worker", nodeId: "w", address: "b:1" });
    await controller.schedulePending();
    expect((await controller.get("web"))!.pod.node).to.equal("worker");
  });

  it("moves the pods of a lost node to a Ready one, with an event; or, held, says once why it does not", async () => {
    await registry.join({ name: "n1", nodeId: "n1-id", address: "a:1" });
    await controller.apply([pod("web"), pod("db")]);
    const { sessionId } = await registry.join({ name: "n2", nodeId: "n2-id", address: "b:1" });
    clock.advance(16_000);
    registry.heartbeat("n2", sessionId);
    expect(await registry.checkLiveness()).to.deep.equal(["n1"]);
    const placements = async () => (await controller.list()).map((p) => `${p.name}@${p.node}`);

    const why = "the leader's own network is the likelier fault";
    await controller.rescheduleFrom(["n1"], why);
    await controller.rescheduleFrom(["n1"], why);
    expect(await placements()).to.deep.equal(["db@n1", "web@n1"]);
    const held = (await controller.get("web"))!.events.filter((e) => e.reason === "NotRescheduled");
    expect(held.map((e) => `${e.type} ${e.node}: ${e.message}`)).to.deep.equal([`Warning n1: not moved from n1: ${why}`]);

    notified.length = 0;
    await controller.rescheduleFrom(["n1"]);
    expect(await placements()).to.deep.equal(["db@n2", "web@n2"]);
    expect((await controller.get("web"))!.events.at(-1)).to.deep.include({
      type: "Warning",
      reason: "Rescheduled",
      message: "Rescheduled pod/web from n1 to n2: n1 was lost",
      node: "n2",
    });
    expect(notified).to.deep.equal(["n2"]);
  });

  it("keeps a pod with a persistent volume on its node: not moved when the node is lost, back there when re-created", async () => {
    const data = { volumes: [{ name: "data", persistent: {} }] };
    await registry.join({ name: "n1", nodeId: "n1-id", address: "a:1" });
    await controller.apply([pod("db", data), pod("web")]);
    const { sessionId } = await registry.join({ name: "n2", nodeId: "n2-id", address: "b:1" });
    clock.advance(16_000);
    registry.heartbeat("n2", sessionId);
    await registry.checkLiveness();
    expect(await controller.rescheduleFrom(["n1"])).to.equal(1);
    expect((await controller.list()).map((p) => `${p.name}@${p.node}`)).to.deep.equal(["db@n1", "web@n2"]);
    expect((await controller.get("db"))!.events.at(-1)!.message).to.equal(
      "not moved from n1: its persistent volumes are on that node; it runs again when the node returns",
    );

    // Deleted (its node confirms) and applied again: it waits for n1, where its data is, rather than run on n2.
    const { uid } = (await controller.get("db"))!.pod;
    await controller.delete("db");
    await store.applyNodeUpdates([{ kind: "removed", node: "n1", podUid: uid }], new Date());
    await controller.apply([pod("db", data)]);
    expect((await controller.get("db"))!.events.at(-1)!.message).to.equal("cannot place pod/db: its persistent volumes are on node n1, which is not Ready");
    await registry.join({ name: "n1", nodeId: "n1-id", address: "a:1" });
    await controller.schedulePending();
    expect((await controller.get("db"))!.pod.node).to.equal("n1");
  });

  it("moves a deployment's replica with a persistent volume when its node is lost: the volume is its deployment's on each node", async () => {
    await registry.join({ name: "n1", nodeId: "n1-id", address: "a:1" });
    const web = deploymentSchema.parse({
      type: "deployment",
      metadata: { name: "web" },
      spec: { template: { spec: { containers: [{ name: "main", image: "busybox" }], volumes: [{ name: "data", persistent: {} }] } } },
    }) as DeploymentResource;
    await store.applyResources([{ resource: web, source: web }], new Date(clock.now()));
    const [name] = await store.pods.createReplicas((await store.deployments.get("web"))!, 1, new Date(clock.now()));
    await controller.schedulePending();
    expect((await controller.get(name))!.pod.node).to.equal("n1");
    expect((await store.pods.volumeHomes.all()).size).to.equal(0);
    const { sessionId } = await registry.join({ name: "n2", nodeId: "n2-id", address: "b:1" });
    clock.advance(16_000);
    registry.heartbeat("n2", sessionId);
    await registry.checkLiveness();
    expect(await controller.rescheduleFrom(["n1"])).to.equal(1);
    expect((await controller.get(name))!.pod.node).to.equal("n2");
  });

  it("moves a pod with a persistent volume when an admin removes its node (its data stays behind)", async () => {
    await registry.join({ name: "n1", nodeId: "n1-id", address: "a:1" });
    await controller.apply([pod("db", { volumes: [{ name: "data", persistent: {} }] })]);
    await registry.join({ name: "n2", nodeId: "n2-id", address: "b:1" });
    await registry.remove("n1");
    expect(await controller.nodeRemoved("n1")).to.equal(1);
    expect((await controller.get("db"))!.pod.node).to.equal("n2");
    expect(await store.pods.volumeHomes.all()).to.deep.equal(new Map([["db", "n2"]]));
  });

  it("places anew a pod whose new spec needs what its node may not have; keeps one whose needs did not change", async () => {
    await registry.join({ name: "n1", nodeId: "n1-id", address: "a:1", cpuMillis: 1000, memoryBytes: 2 ** 30 });
    await registry.join({ name: "n2", nodeId: "n2-id", address: "b:1", cpuMillis: 4000, memoryBytes: 2 ** 32 });
    const web = (env: Record<string, string>, cpu: string) =>
      validateManifest({
        type: "pod",
        metadata: { name: "web" },
        spec: { containers: [{ name: "main", image: "busybox", env, resources: { cpu }, ports: [{ containerPort: 80, hostPort: "auto" }] }] },
      });
    const entries = (result: ReturnType<typeof validateManifest>) => (result.ok ? result.entries : []);
    await controller.apply(entries(web({}, "500m")));
    const first = (await controller.get("web"))!.pod;
    expect(first.node).to.equal("n2"); // the least allocated once placed
    await controller.apply(entries(web({ MODE: "b" }, "500m")));
    expect((await controller.get("web"))!.pod).to.deep.include({ node: "n2", hostPorts: first.hostPorts });
    await controller.apply(entries(web({ MODE: "b" }, "3")));
    const moved = (await controller.get("web"))!.pod;
    expect(moved.node).to.equal("n2");
    expect((await controller.get("web"))!.events.filter((e) => e.reason === "Scheduled").map((e) => e.count)).to.deep.equal([2]);
    await controller.apply(entries(web({ MODE: "b" }, "8")));
    expect((await controller.get("web"))!.pod.node).to.equal(undefined);
    expect((await controller.get("web"))!.events.at(-1)!.message).to.equal("cannot place pod/web: insufficient cpu: needs 8, largest free 4 on n2");
  });

  it("restarts a pod under a new hash (new containers, fresh failure counts), with an event; not one being deleted", async () => {
    await registry.join({ name: "n1", nodeId: "n1-id", address: "a:1" });
    await controller.apply([pod("web")]);
    const [before] = await store.pods.desiredFor("n1");
    notified.length = 0;
    expect(await controller.restart("web")).to.equal(true);
    const [after] = await store.pods.desiredFor("n1");
    expect(after.specHash).to.not.equal(before.specHash);
    expect(after.specHash.startsWith(before.specHash)).to.equal(true);
    expect(notified).to.deep.equal(["n1"]);
    expect((await controller.get("web"))!.events.at(-1)).to.deep.include({ reason: "Restarted", node: "n1" });
    // Applying the same manifest again changes nothing: the spec did not change.
    expect((await controller.apply([pod("web")]))[0].outcome).to.equal("unchanged");
    expect(await controller.restart("nope")).to.equal(false);
    await controller.delete("web");
    let refusal: Error | undefined;
    await controller.restart("web").catch((error: Error) => (refusal = error));
    expect(refusal?.message).to.equal("pod/web is being deleted: there is nothing to restart");
  });

  it("deletes a pod only once its node reports its containers gone", async () => {
    await registry.join({ name: "n1", nodeId: "n1-id", address: "a:1" });
    await controller.apply([pod("web")]);
    const { uid } = (await controller.get("web"))!.pod;
    expect(await controller.delete("web")).to.equal(true);
    expect((await controller.get("web"))!.pod.phase).to.equal("Terminating");
    expect((await store.pods.desiredFor("n1")).map((p) => `${p.name} deleting=${p.deleting}`)).to.deep.equal(["web deleting=true"]);
    await store.applyNodeUpdates([{ kind: "removed", node: "another-node", podUid: uid }], new Date());
    expect(await controller.get("web")).to.not.equal(undefined);
    await store.applyNodeUpdates([{ kind: "removed", node: "n1", podUid: uid }], new Date());
    expect(await controller.get("web")).to.equal(undefined);
    expect(await controller.delete("web")).to.equal(false);
  });

  it("keeps the host port of a pod being deleted taken until its containers are gone: a new pod needing it waits", async () => {
    await registry.join({ name: "n1", nodeId: "n1-id", address: "a:1" });
    const published = { containers: [{ name: "main", image: "busybox", ports: [{ containerPort: 80, hostPort: 8080 }] }] };
    await controller.apply([pod("old", published)]);
    const { uid } = (await controller.get("old"))!.pod;
    await controller.delete("old");
    await controller.apply([pod("new", published)]);
    expect((await controller.get("new"))!.pod.node, "placed while the old one still publishes 8080").to.equal(undefined);
    await store.applyNodeUpdates([{ kind: "removed", node: "n1", podUid: uid }], new Date());
    await controller.schedulePending();
    expect((await controller.get("new"))!.pod.node).to.equal("n1");
  });

  it("looks at pods no node can take again only when something changed that may make room for them", async () => {
    await registry.join({ name: "n1", nodeId: "n1-id", address: "a:1" });
    const published = { containers: [{ name: "main", image: "busybox", ports: [{ containerPort: 80, hostPort: 8080 }] }] };
    await controller.apply([pod("old", published)]);
    const { uid } = (await controller.get("old"))!.pod;
    await controller.apply([pod("new", published)]);
    let passes = 0;
    const unscheduled = store.pods.unscheduled.bind(store.pods);
    store.pods.unscheduled = () => (passes++, unscheduled());
    const check = async (what: string, expected: number) => {
      await controller.schedulePendingIfChanged();
      expect(passes, what).to.equal(expected);
    };
    await check("a first check looks (a leader starting knows nothing of the last pass)", 1);
    await check("nothing changed", 1);
    controller.nodesReported(0, true);
    await check("statuses, with no pod waiting for a dependency", 1);
    controller.roomMayHaveChanged();
    await check("room may have changed (a node uncordoned, a service removed)", 2);
    expect((await controller.get("new"))!.pod.node).to.equal(undefined);
    await controller.delete("old");
    await check("a pod being deleted still holds its port", 2);
    await store.applyNodeUpdates([{ kind: "removed", node: "n1", podUid: uid }], new Date());
    controller.nodesReported(1, false);
    await check("its node removed it", 3);
    expect((await controller.get("new"))!.pod.node).to.equal("n1");
    await check("nothing changed since", 3);
  });

  it("gives nodes that share one container engine one set of host ports: a fixed port once, an auto port each its own", async () => {
    for (const name of ["n1", "n2", "n3"]) await registry.join({ name, nodeId: `${name}-id`, address: `${name}:1`, engineId: "one-engine" });
    const fixed = { containers: [{ name: "main", image: "busybox", ports: [{ containerPort: 80, hostPort: 8080 }] }] };
    const auto = { containers: [{ name: "main", image: "busybox", ports: [{ containerPort: 80, hostPort: "auto" }] }] };
    await controller.apply([pod("a", fixed), pod("b", fixed), pod("c", auto), pod("d", auto), pod("e", auto)]);
    const placed = async (name: string) => (await controller.get(name))!.pod;
    expect((await placed("a")).node).to.not.equal(undefined);
    expect((await placed("b")).node, "8080 is the engine's: taken once").to.equal(undefined);
    expect((await controller.get("b"))!.events.at(-1)!.message).to.equal("cannot place pod/b: host port 8080/tcp is taken on 3 of 3 nodes");
    const autoPorts = await Promise.all(["c", "d", "e"].map(async (name) => (await placed(name)).hostPorts[0].hostPort));
    expect(new Set(autoPorts).size, `auto ports ${autoPorts.join(", ")}`).to.equal(3);
  });

  it("drains a cordoned node: its pods move to another now, one with persistent volumes stays, with an event", async () => {
    await registry.join({ name: "n1", nodeId: "n1-id", address: "a:1" });
    await controller.apply([pod("db", { volumes: [{ name: "data", persistent: {} }] }), pod("web")]);
    await registry.join({ name: "n2", nodeId: "n2-id", address: "b:1" });
    expect(await registry.setCordoned("n1", true)).to.equal(true);
    expect(await controller.drain("n1")).to.deep.equal({ moved: 1, evicted: [], held: [{ pod: "db", reason: "its persistent volumes are on the node" }] });
    expect((await controller.list()).map((p) => `${p.name}@${p.node}`)).to.deep.equal(["db@n1", "web@n2"]);
    expect((await controller.get("web"))!.events.at(-1)!.message).to.equal("Rescheduled pod/web from n1 to n2: n1 is being drained");
    expect((await controller.get("db"))!.events.at(-1)!.message).to.equal("not moved from n1 (drained): its persistent volumes are on that node");
    await controller.apply([pod("late")]);
    expect((await controller.get("late"))!.pod.node, "a cordoned node takes no new pod").to.equal("n2");
    expect(registry.list().find((n) => n.name === "n1")!.cordoned).to.equal(true);
  });
});
