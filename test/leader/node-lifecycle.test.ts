import { DEFAULT_POD_CIDR } from "../../src/leader/allocate-subnet.js";
import { expect } from "chai";
import { LeaderStore } from "../../src/leader/store/leader-store.js";
import { NodeKeys } from "../../src/leader/identity/node-keys.js";
import { NodeLifecycle } from "../../src/leader/node-lifecycle.js";
import { NodeRegistry } from "../../src/leader/node-registry.js";
import { PodController } from "../../src/leader/pod-controller.js";
import { validateManifest } from "../../src/shared/manifest.js";
import { IN_MEMORY } from "../../src/shared/open-database.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { MemoryLogger } from "../helpers/memory-logger.js";

const GRACE_MS = 2000;
const DELAY_MS = 3000;

function pods(...names: string[]) {
  const manifest = validateManifest(names.map((name) => ({ type: "pod", metadata: { name }, spec: { containers: [{ name: "main", image: "busybox" }] } })));
  if (!manifest.ok) throw new Error(manifest.problems.join("\n"));
  return manifest.entries;
}

describe("NodeLifecycle", () => {
  let store: LeaderStore;
  let clock: FakeClock;
  let log: MemoryLogger;
  let registry: NodeRegistry;
  let controller: PodController;
  let lifecycle: NodeLifecycle;
  let ended: string[];
  let keys: NodeKeys;
  const sessions = new Map<string, string>();

  const join = async (name: string) => sessions.set(name, (await registry.join({ name, nodeId: `${name}-id`, address: `${name}:1` })).sessionId);
  /** Time passes with only `alive` sending heartbeats; then one pass. */
  const after = async (ms: number, ...alive: string[]) => {
    clock.advance(ms);
    for (const name of alive) registry.heartbeat(name, sessions.get(name)!);
    await lifecycle.check();
  };
  const placements = async () => (await controller.list()).map((p) => `${p.name}@${p.node}`);
  const reasons = async (pod: string) => (await controller.get(pod))!.events.map((e) => e.reason);

  beforeEach(async () => {
    store = await LeaderStore.open(IN_MEMORY);
    clock = new FakeClock();
    log = new MemoryLogger();
    registry = await NodeRegistry.load(store, clock, log, { graceMs: GRACE_MS, leaderNodeId: "boss-id", podCidr: DEFAULT_POD_CIDR, podNetwork: "vxlan" });
    ended = [];
    const hub = {
      notify: () => {},
      networkChanged: () => {},
      keyedChanged: () => {},
      disconnect: (node: string, reason: string) => void ended.push(`${node}: ${reason}`),
    };
    controller = new PodController(store, registry, hub, clock, log, { podsOnLeader: false });
    keys = await NodeKeys.load(store);
    lifecycle = new NodeLifecycle(registry, controller, hub, keys, log, { rescheduleDelayMs: DELAY_MS, disruptionThreshold: 0.55 });
    await join("boss");
    await join("f1");
    await join("f2");
    await controller.apply(pods("a", "b"));
    expect(await placements()).to.deep.equal(["a@f1", "b@f2"]);
  });
  afterEach(() => store.close());

  it("everything answers: nothing changes", async () => {
    await after(GRACE_MS + DELAY_MS, "boss", "f1", "f2");
    expect(await placements()).to.deep.equal(["a@f1", "b@f2"]);
    expect(ended).to.deep.equal([]);
  });

  it("an admin removes a node: its session ends, its name is free, its key revoked, its pods move now", async () => {
    await keys.bind("f1", "key-of-f1", new Date(clock.now()));
    expect(await lifecycle.remove("f1")).to.equal(1);
    expect(ended).to.deep.equal(["f1: the node was removed by an admin"]);
    expect(registry.list().map((n) => n.name)).to.deep.equal(["boss", "f2"]);
    expect(keys.has("f1")).to.equal(false);
    expect((await store.nodes.nodeKeys()).bindings.has("f1")).to.equal(false);
    expect((await store.nodes.nodeKeys()).revoked.get("key-of-f1")).to.equal("f1");
    expect(await placements()).to.deep.equal(["a@f2", "b@f2"]);
    expect(await lifecycle.remove("f1")).to.equal(undefined);
    await lifecycle.remove("boss").then(
      () => expect.fail("the leader's node was removed"),
      (error: Error) => expect(error.message).to.equal("the leader's own node cannot be removed"),
    );
  });

  it("a follower goes silent: NotReady, its session ended, NodeLost; after the delay its pods move", async () => {
    await after(GRACE_MS + 1, "boss", "f2");
    expect(registry.status("f1")).to.equal("NotReady");
    expect(ended).to.deep.equal(["f1: the node was NotReady: join again"]);
    expect(await reasons("a")).to.include("NodeLost");
    expect(await placements()).to.deep.equal(["a@f1", "b@f2"]);
    await after(DELAY_MS, "boss", "f2");
    expect(await placements()).to.deep.equal(["a@f2", "b@f2"]);
  });

  it("every follower silent at once: they turn NotReady but nothing moves, with a log line and an event, until one comes back", async () => {
    await after(GRACE_MS + 1, "boss");
    await after(DELAY_MS, "boss");
    await after(DELAY_MS, "boss");
    expect(await placements()).to.deep.equal(["a@f1", "b@f2"]);
    expect(log.lines.filter((line) => line.includes("at once"))).to.deep.equal([
      "WARN 2 of 2 followers are NotReady at once, so the leader's own network is the likelier fault: no pod moves while 55% or more of the followers are NotReady (--disruption-threshold)",
    ]);
    expect((await reasons("a")).filter((reason) => reason === "NotRescheduled")).to.have.length(1);

    // f2 comes back (it joins again): f1 gets a fresh grace period to come back too, then, still silent, is lost.
    await join("f2");
    await after(0, "boss", "f2");
    expect(log.lines).to.include("INFO fewer followers are NotReady: the nodes still NotReady get a fresh grace period, then their pods move");
    await after(GRACE_MS + DELAY_MS - 1, "boss", "f2");
    expect(await placements()).to.deep.equal(["a@f1", "b@f2"]);
    await after(1, "boss", "f2");
    expect(await placements()).to.deep.equal(["a@f2", "b@f2"]);
  });
});
