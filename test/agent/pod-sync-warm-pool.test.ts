import { expect } from "chai";
import { readContainerIdentity } from "../../src/agent/container-labels.js";
import type { PodSync } from "../../src/agent/pod-sync.js";
import type { FakeRuntime } from "../../src/agent/testing/fake-runtime.js";
import { placed, webPod } from "../helpers/pod-fixtures.js";
import { PodSyncBed } from "../helpers/pod-sync-bed.js";
import { REMEMBER_BURST_MS } from "../../src/agent/warm-pool-demand.js";

describe("PodSync's warm sandboxes, on the fake runtime", () => {
  let bed: PodSyncBed;
  let runtime: FakeRuntime;
  let sync: PodSync;
  const makeSync = (least: number, most = least) => bed.makeSync({ warmSandboxes: { least, most } });

  beforeEach(async () => {
    bed = await PodSyncBed.open("warm-pool");
    runtime = bed.runtime;
    sync = makeSync(2);
  });

  afterEach(() => bed.close());

  const syncNow = async () => {
    sync.trigger();
    await sync.idle();
  };
  const identity = (c: ReturnType<FakeRuntime["all"]>[number]) => readContainerIdentity(c.labels, c.options.name);
  const warm = () => runtime.all().filter((c) => identity(c).warm && c.state === "running");
  const podContainers = (name: string) => runtime.all().filter((c) => identity(c).podName === name);

  it("fills the pool while the node is idle: labelled warm sandboxes, which are no pod", async () => {
    await syncNow();
    expect(warm().map((c) => [c.options.name.replace(/_[0-9a-f]{6}$/, "_…"), c.labels])).to.deep.equal([
      ["cube_n1_warm_…", { "cube.node": "n1", "cube.warm-sandbox": "true" }],
      ["cube_n1_warm_…", { "cube.node": "n1", "cube.warm-sandbox": "true" }],
    ]);
    expect(bed.reports).to.deep.equal([]);
    await syncNow();
    expect(runtime.all()).to.have.length(2);
  });

  it("hands a pod a warm sandbox: no sandbox made for it, its containers join the claimed one, the pool refills", async () => {
    await syncNow();
    const [first] = warm();
    runtime.calls.length = 0;
    await bed.store.replaceAssignments([placed()]);
    await syncNow();
    const { uid, specHash } = webPod();
    const containers = podContainers("web");
    expect(containers.map((c) => [identity(c).containerName ?? "pause", c.state])).to.deep.equal([
      ["pause", "running"],
      ["app", "running"],
      ["sidecar", "running"],
    ]);
    const [sandbox, app, sidecar] = containers;
    expect(sandbox.id).to.equal(first.id);
    expect(sandbox.options.name).to.equal(`cube_n1_web_pause_${uid}_${specHash}`);
    expect(identity(sandbox)).to.deep.equal({ podUid: uid, podName: "web", specHash });
    expect([app.options.networkOf, sidecar.options.networkOf]).to.deep.equal([first.id, first.id]);
    // The claim, then its two containers; no refill yet: the node has just had work, and more pods may follow.
    expect(runtime.calls.map((call) => call.split(" ")[0])).to.deep.equal(["rename", "create", "start", "create", "start"]);
    expect(bed.reports.at(-1)!.status.phase).to.equal("Running");
    expect(warm()).to.have.length(1);
    bed.clock.advance(999);
    await syncNow();
    expect(warm()).to.have.length(1);
    bed.clock.advance(1);
    await syncNow();
    expect(warm()).to.have.length(2);
  });

  it("adopts a claimed sandbox after the agent restarts, and removes it with its pod", async () => {
    await syncNow();
    await bed.store.replaceAssignments([placed()]);
    await syncNow();
    bed.clock.advance(1000);
    await syncNow();
    const before = runtime.all().map((c) => c.id);
    expect(before).to.have.length(5);
    sync = makeSync(2);
    runtime.calls.length = 0;
    await syncNow();
    expect(runtime.calls).to.deep.equal([]);
    expect(runtime.all().map((c) => c.id)).to.deep.equal(before);

    const pool = warm().map((c) => c.id);
    await bed.store.replaceAssignments([placed(webPod(), true)]);
    await syncNow();
    expect(podContainers("web")).to.deep.equal([]);
    expect(warm().map((c) => c.id)).to.deep.equal(pool);
  });

  it("gives a pod that publishes a host port a sandbox of its own, leaving the pool as it is", async () => {
    await syncNow();
    const pool = warm().map((c) => c.id);
    await bed.store.replaceAssignments([
      placed(webPod({ hostPorts: [{ container: "app", containerPort: 80, protocol: "tcp", hostAddress: "0.0.0.0", hostPort: 8080 }] })),
    ]);
    await syncNow();
    const [sandbox] = podContainers("web");
    expect(sandbox.options.ports).to.deep.equal([{ containerPort: 80, protocol: "tcp", hostIP: "0.0.0.0", hostPort: 8080 }]);
    expect(warm().map((c) => c.id)).to.deep.equal(pool);
  });

  it("drains the pool when the node keeps none", async () => {
    await syncNow();
    sync = makeSync(0);
    await syncNow();
    expect(runtime.all()).to.deep.equal([]);
  });

  it("keeps, after a burst, as many as the burst took (within the most), and the least again once it is forgotten", async () => {
    sync = makeSync(1, 4);
    const refill = async () => {
      for (let pass = 0; pass < 6; pass++) {
        bed.clock.advance(1000);
        await syncNow();
      }
    };
    await refill();
    expect(warm()).to.have.length(1);
    const pods = (names: string[]) => names.map((name) => placed(webPod({ uid: `uid-${name}`, name })));
    await bed.store.replaceAssignments(pods(["a", "b", "c"]));
    await syncNow();
    await refill();
    expect(warm(), "after a burst of 3 pods").to.have.length(3);
    await bed.store.replaceAssignments(pods(["a", "b", "c", "d", "e", "f", "g", "h", "i"]));
    await syncNow();
    await refill();
    expect(warm(), "after a burst of 6 more, beyond the most").to.have.length(4);
    bed.clock.advance(REMEMBER_BURST_MS);
    await syncNow();
    expect(warm(), "10 minutes later").to.have.length(1);
  });

  it("backs off when the engine refuses to make warm sandboxes, rather than asking again at once", async () => {
    runtime.failNext("createContainer", "no space left on device");
    await syncNow();
    expect(runtime.calls.filter((call) => call.startsWith("create"))).to.have.length(1);
  });
});
