import { expect } from "chai";
import type { LeaderStoreContract } from "../../../src/leader/store/store-contract.js";
import { STORE_BACKENDS } from "../../helpers/store-backends.js";
import { isRefusal } from "../../../src/leader/refusals.js";
import type { DeploymentResource, PodResource } from "../../../src/shared/domain.js";
import { deploymentSchema } from "../../../src/shared/manifest.js";
import { tempDir } from "../../helpers/temp-dir.js";

const pod = (name: string, image = "busybox", labels: Record<string, string> = {}): PodResource => ({
  type: "pod",
  metadata: { name, labels },
  spec: { containers: [{ name: "main", image, env: {} }], restartPolicy: "Always", terminationGracePeriodSeconds: 10 },
});
const apply = (store: LeaderStoreContract, ...resources: PodResource[]) =>
  store
    .applyResources(
      resources.map((resource) => ({ resource, source: resource })),
      new Date(),
    )
    .then((results) => results.map((r) => `${r.name} ${r.outcome}`));

for (const backend of STORE_BACKENDS)
  describe(`the leader's store (${backend.name}): apply semantics`, () => {
    let dir: ReturnType<typeof tempDir>;
    let store: LeaderStoreContract;

    beforeEach(async () => {
      dir = tempDir("leader-store");
      store = await backend.open(dir.path);
    });
    afterEach(async () => {
      await store.close();
      dir.remove();
    });

    it("creates, then leaves unchanged, then configures when the spec or the labels change", async () => {
      expect(await apply(store, pod("a"))).to.deep.equal(["a created"]);
      const { uid, specHash } = (await store.pods.get("a"))!;
      expect(await apply(store, pod("a"))).to.deep.equal(["a unchanged"]);
      expect(await apply(store, pod("a", "busybox:2"))).to.deep.equal(["a configured"]);
      const configured = (await store.pods.get("a"))!;
      expect(configured.uid).to.equal(uid);
      expect(configured.specHash).to.not.equal(specHash);
      expect(await apply(store, pod("a", "busybox:2", { tier: "web" }))).to.deep.equal(["a configured"]);
    });

    it("reads the summaries in pages: every pod once, in name order, with its status", async () => {
      const names = ["b-2", "a", "c", "b-10", "b", "d", "a-1"];
      await apply(store, ...names.map((name) => pod(name, "busybox", { index: name })));
      const { uid, specHash } = (await store.pods.get("c"))!;
      await store.pods.assign([
        { uid, node: "n1", hostPorts: [], event: { time: new Date(), type: "Normal", reason: "Scheduled", message: "to n1", node: "n1" } },
      ]);
      await store.applyNodeUpdates(
        [{ kind: "status", node: "n1", podUid: uid, specHash, status: { phase: "Running", containers: [], podIp: "10.0.0.3" } }],
        new Date(),
      );
      const whole = await store.pods.summaries();
      expect(whole.map((p) => p.name)).to.deep.equal(["a", "a-1", "b", "b-10", "b-2", "c", "d"]);
      expect(whole.find((p) => p.name === "c")?.status?.podIp).to.equal("10.0.0.3");
      for (const pageSize of [1, 3, 7, 50]) expect(await store.pods.summaries(pageSize), `pages of ${pageSize}`).to.deep.equal(whole);
      const pages: string[][] = [];
      for await (const page of store.pods.summaryPages(3)) pages.push(page.map((p) => p.name));
      expect(pages).to.deep.equal([["a", "a-1", "b"], ["b-10", "b-2", "c"], ["d"]]);
    });

    it("reads the pods no node holds in pages, oldest first, those of one instant by name, the placed and the deleted left out", async () => {
      const at = (time: number, ...names: string[]) =>
        store.applyResources(
          names.map((name) => ({ resource: pod(name), source: pod(name) })),
          new Date(time),
        );
      await at(3000, "late");
      await at(1000, "e", "b", "d", "a");
      await at(2000, "placed", "deleted", "c");
      const { uid } = (await store.pods.get("placed"))!;
      await store.pods.assign([
        { uid, node: "n1", hostPorts: [], event: { time: new Date(), type: "Normal", reason: "Scheduled", message: "to n1", node: "n1" } },
      ]);
      await store.pods.markDeleting((await store.pods.get("deleted"))!.uid, new Date(), false);
      const order = ["1000 a", "1000 b", "1000 d", "1000 e", "2000 c", "3000 late"];
      for (const pageSize of [1, 2, 5, 6, 50]) {
        const names = (await store.pods.unscheduled(pageSize)).map((p) => `${p.createdAt.getTime()} ${p.name}`);
        expect(names, `pages of ${pageSize}`).to.deep.equal(order);
      }
    });

    it("forgets a node's status report once the spec changes", async () => {
      await apply(store, pod("a"));
      const { uid, specHash } = (await store.pods.get("a"))!;
      await store.pods.assign([
        { uid, node: "n1", hostPorts: [], event: { time: new Date(), type: "Normal", reason: "Scheduled", message: "to n1", node: "n1" } },
      ]);
      await store.applyNodeUpdates([{ kind: "status", node: "n1", podUid: uid, specHash, status: { phase: "Running", containers: [] } }], new Date());
      expect((await store.pods.get("a"))!.status?.phase).to.equal("Running");
      await apply(store, pod("a", "busybox:2"));
      expect((await store.pods.get("a"))!.status).to.equal(undefined);
    });

    it("ends racing applies of one name with exactly one pod", async () => {
      const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => apply(store, pod("race", i % 2 ? "busybox" : "busybox:2"))));
      expect(outcomes.flat().filter((o) => o === "race created")).to.have.length(1);
      expect((await store.pods.summaries()).map((p) => p.name)).to.deep.equal(["race"]);
    });

    it("applies all of a manifest or nothing", async () => {
      await apply(store, pod("doomed"));
      await store.pods.markDeleting((await store.pods.get("doomed"))!.uid, new Date(), false);
      let refusal: unknown;
      await apply(store, pod("first"), pod("doomed"), pod("last")).catch((error) => (refusal = error));
      expect(isRefusal(refusal, "Conflict"), String(refusal)).to.equal(true);
      expect((await store.pods.summaries()).map((p) => p.name)).to.deep.equal(["doomed"]);
    });

    it("stores an event a node delivers twice only once", async () => {
      await apply(store, pod("a"));
      const { uid } = (await store.pods.get("a"))!;
      await store.pods.assign([
        { uid, node: "n1", hostPorts: [], event: { time: new Date(), type: "Normal", reason: "Scheduled", message: "to n1", node: "n1" } },
      ]);
      const event = { time: new Date(), type: "Normal" as const, reason: "Started", message: "Started container main", node: "n1" };
      const delivery = (nodeId: string, podUid = uid) => ({ kind: "event" as const, nodeId, podUid, event, sequence: 1 });
      await store.applyNodeUpdates([delivery("node-1"), delivery("node-1")], new Date());
      await store.applyNodeUpdates([delivery("node-1"), delivery("node-2"), delivery("node-3", "no-such-pod")], new Date());
      // node-1's once, and node-2's (the same words: a repeat, counted).
      expect((await store.eventsOf(uid)).filter((e) => e.reason === "Started").map((e) => e.count)).to.deep.equal([2]);
    });

    it("merges repeats of the last event into one with a count and first and last times, and keeps at most the bound", async () => {
      const bounded = await backend.open(dir.path, 5);
      try {
        await apply(bounded, pod("a"));
        const { uid } = (await bounded.pods.get("a"))!;
        const event = (seconds: number, reason: string) => ({ time: new Date(seconds * 1000), type: "Warning" as const, reason, message: reason, node: "" });
        for (let i = 0; i < 21; i++) await bounded.recordEvent(uid, event(i, "BackOff"));
        await bounded.recordEvent(uid, event(30, "Other"));
        await bounded.recordEvent(uid, event(31, "BackOff"));
        expect((await bounded.eventsOf(uid)).map((e) => [e.reason, e.count, e.firstTime?.getTime(), e.time.getTime()])).to.deep.equal([
          ["BackOff", 21, 0, 20_000],
          ["Other", undefined, undefined, 30_000],
          ["BackOff", undefined, undefined, 31_000],
        ]);
        for (let i = 0; i < 10; i++) await bounded.recordEvent(uid, event(40 + i, `Distinct${i}`));
        const kept = await bounded.eventsOf(uid);
        expect(kept.map((e) => e.reason)).to.deep.equal(["Distinct5", "Distinct6", "Distinct7", "Distinct8", "Distinct9"]);
      } finally {
        await bounded.close();
      }
    });

    it("stores a node's events of one group commit once each, the pod kept to the bound, whatever was delivered before", async () => {
      const bounded = await backend.open(dir.path, 5);
      try {
        await apply(bounded, pod("a"));
        const { uid } = (await bounded.pods.get("a"))!;
        await bounded.pods.assign([
          { uid, node: "n1", hostPorts: [], event: { time: new Date(0), type: "Normal", reason: "Scheduled", message: "to n1", node: "n1" } },
        ]);
        const from = (sequence: number) => ({
          kind: "event" as const,
          nodeId: "n1-id",
          podUid: uid,
          event: { time: new Date(sequence * 1000), type: "Normal" as const, reason: `Step${sequence}`, message: `step ${sequence}`, node: "n1" },
          sequence,
        });
        const steps = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
        await bounded.applyNodeUpdates(steps(1, 4).map(from), new Date());
        // 3 and 4 again (the node did not hear the acknowledgement), then 5 to 7, then 6 again in the same commit.
        await bounded.applyNodeUpdates([...steps(3, 7).map(from), from(6)], new Date());
        expect((await bounded.eventsOf(uid)).map((e) => [e.reason, e.count])).to.deep.equal(steps(3, 7).map((n) => [`Step${n}`, undefined]));
        await bounded.applyNodeUpdates(steps(1, 8).map(from), new Date());
        expect((await bounded.eventsOf(uid)).map((e) => e.reason)).to.deep.equal(steps(4, 8).map((n) => `Step${n}`));
      } finally {
        await bounded.close();
      }
    });

    it("keeps a node's events only about pods placed on that node, now or before", async () => {
      await apply(store, pod("a"));
      const { uid } = (await store.pods.get("a"))!;
      const from = (node: string, sequence: number) => ({
        kind: "event" as const,
        nodeId: `${node}-id`,
        podUid: uid,
        event: { time: new Date(), type: "Normal" as const, reason: "Started", message: `from ${node}`, node },
        sequence,
      });
      const reported = async () => (await store.eventsOf(uid)).filter((e) => e.reason === "Started").map((e) => e.message);
      await store.applyNodeUpdates([from("n1", 1)], new Date());
      expect(await reported()).to.deep.equal([]);
      await store.pods.assign([
        { uid, node: "n1", hostPorts: [], event: { time: new Date(), type: "Normal", reason: "Scheduled", message: "to n1", node: "n1" } },
      ]);
      await store.applyNodeUpdates([from("n1", 2), from("n2", 1)], new Date());
      expect(await reported()).to.deep.equal(["from n1"]);
      // Moved to n2: n1, which ran it, may still say what it does with its old copy.
      await store.pods.assign([
        { uid, from: "n1", node: "n2", hostPorts: [], event: { time: new Date(), type: "Warning", reason: "Rescheduled", message: "to n2", node: "n2" } },
      ]);
      await store.applyNodeUpdates([from("n1", 3), from("n2", 2), from("n3", 1)], new Date());
      expect(await reported()).to.deep.equal(["from n1", "from n1", "from n2"]);
    });

    it("stamps a replica ready at the time given (the leader's clock, which minReadySeconds counts on), and keeps it", async () => {
      const web = deploymentSchema.parse({
        type: "deployment",
        metadata: { name: "web" },
        spec: { replicas: 1, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "main", image: "app:1" }] } } },
      }) as DeploymentResource;
      await store.applyResources([{ resource: web, source: web }], new Date(1000));
      const [name] = await store.pods.createReplicas((await store.deployments.get("web"))!, 1, new Date(1000));
      const { uid, specHash } = (await store.pods.get(name))!;
      await store.pods.assign([
        { uid, node: "n1", hostPorts: [], event: { time: new Date(), type: "Normal", reason: "Scheduled", message: "to n1", node: "n1" } },
      ]);
      const ready = { kind: "status" as const, node: "n1", podUid: uid, specHash, status: { phase: "Running" as const, ready: true, containers: [] } };
      await store.applyNodeUpdates([ready], new Date(5000));
      await store.applyNodeUpdates([ready], new Date(9000)); // still ready: since the first time
      expect((await store.pods.owned("web", () => "Ready")).map((p) => p.readySince)).to.deep.equal([5000]);
    });

    it("keeps a status only from the pod's own node, and forgets a deleting pod its node removed", async () => {
      await apply(store, pod("a"));
      const { uid, specHash } = (await store.pods.get("a"))!;
      await store.pods.assign([
        { uid, node: "n1", hostPorts: [], event: { time: new Date(), type: "Normal", reason: "Scheduled", message: "to n1", node: "n1" } },
      ]);
      const running = { phase: "Running" as const, containers: [] };
      await store.applyNodeUpdates([{ kind: "status", node: "n2", podUid: uid, specHash, status: running }], new Date());
      expect((await store.pods.get("a"))!.status).to.equal(undefined);
      await store.applyNodeUpdates([{ kind: "status", node: "n1", podUid: uid, specHash, status: running }], new Date());
      expect((await store.pods.get("a"))!.status).to.deep.equal(running);
      expect(await store.applyNodeUpdates([{ kind: "removed", node: "n1", podUid: uid }], new Date())).to.deep.equal([]); // not being deleted
      await store.pods.markDeleting(uid, new Date(), false);
      expect(await store.applyNodeUpdates([{ kind: "removed", node: "n2", podUid: uid }], new Date())).to.deep.equal([]);
      expect(await store.applyNodeUpdates([{ kind: "removed", node: "n1", podUid: uid }], new Date())).to.deep.equal(["a"]);
      expect(await store.pods.get("a")).to.equal(undefined);
    });
  });
