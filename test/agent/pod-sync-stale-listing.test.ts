import { expect } from "chai";
import { readContainerIdentity } from "../../src/agent/container-labels.js";
import type { PodSync } from "../../src/agent/pod-sync.js";
import type { FakeRuntime } from "../../src/agent/testing/fake-runtime.js";
import { placed, singleContainerPod } from "../helpers/pod-fixtures.js";
import { PodSyncBed } from "../helpers/pod-sync-bed.js";

/**
 * A listing of the engine is out of date by the time it returns when a worker changes containers meanwhile: the node
 * must not decide on it for what that worker touched (it would make a container twice, or hand a claimed sandbox out).
 */
describe("PodSync, when a worker ends while the engine is being listed", () => {
  let bed: PodSyncBed;
  let runtime: FakeRuntime;

  beforeEach(async () => {
    bed = await PodSyncBed.open("stale-listing");
    runtime = bed.runtime;
  });

  afterEach(() => bed.close());

  const identity = (c: ReturnType<FakeRuntime["all"]>[number]) => readContainerIdentity(c.labels, c.options.name);
  const containersOf = (pod: string) => runtime.all().filter((c) => identity(c).podName === pod);
  const warm = () => runtime.all().filter((c) => identity(c).warm);
  const callsOf = (kind: string) => runtime.calls.filter((call) => call.startsWith(`${kind} `));
  /** Lets the loop and its workers run until `condition` holds. */
  const until = async (condition: () => boolean) => {
    for (let turn = 0; !condition(); turn++) {
      if (turn > 1000) throw new Error("the condition never held");
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  /** Starts a pass whose listing reads the engine now and returns only once `meanwhile` has run. */
  const passListedBefore = async (sync: PodSync, meanwhile: () => Promise<void>) => {
    const releaseListing = runtime.hold("listContainers");
    const waiting = runtime.holdsWaiting();
    sync.trigger();
    await until(() => runtime.holdsWaiting() === waiting + 1);
    await meanwhile();
    releaseListing();
    await sync.idle();
  };
  const single = (name: string, uid: string) => placed(singleContainerPod({}, { name, uid }));

  it("does not make again the container a worker made meanwhile", async () => {
    const sync = bed.makeSync();
    const releaseAppCreation = runtime.hold("createContainer", 1); // after the sandbox's
    await bed.store.replaceAssignments([single("web", "uid-web")]);
    sync.trigger();
    await until(() => runtime.holdsWaiting() === 1);

    await passListedBefore(sync, async () => {
      releaseAppCreation();
      await until(() => containersOf("web").filter((c) => c.state === "running").length === 2);
    });
    expect(callsOf("create")).to.have.length(2);
    expect(containersOf("web").map((c) => [identity(c).containerName ?? "pause", c.state])).to.deep.equal([
      ["pause", "running"],
      ["app", "running"],
    ]);
  });

  it("does not hand out again a warm sandbox that a pod claimed meanwhile", async () => {
    const sync = bed.makeSync({ warmSandboxes: { least: 1, most: 1 } });
    sync.trigger();
    await sync.idle();
    const [sandbox] = warm();
    const releaseClaim = runtime.hold("renameContainer");
    await bed.store.replaceAssignments([single("web", "uid-web")]);
    sync.trigger();
    await until(() => runtime.holdsWaiting() === 1);

    await bed.store.replaceAssignments([single("web", "uid-web"), single("db", "uid-db")]);
    await passListedBefore(sync, async () => {
      releaseClaim();
      await until(() => containersOf("web").filter((c) => c.state === "running").length === 2);
    });
    expect(callsOf("rename")).to.have.length(1);
    expect(containersOf("web").find((c) => identity(c).containerName === "app")!.options.networkOf).to.equal(sandbox.id);
    const db = containersOf("db");
    expect(db.map((c) => [identity(c).containerName ?? "pause", c.state])).to.deep.equal([
      ["pause", "running"],
      ["app", "running"],
    ]);
    expect(db[0].id).to.not.equal(sandbox.id);
  });

  it("does not make the warm pool's sandbox twice when its worker made it meanwhile", async () => {
    const sync = bed.makeSync({ warmSandboxes: { least: 1, most: 1 } });
    const releaseCreation = runtime.hold("createContainer");
    sync.trigger();
    await until(() => runtime.holdsWaiting() === 1);

    await passListedBefore(sync, async () => {
      releaseCreation();
      await until(() => warm().some((c) => c.state === "running"));
    });
    expect(callsOf("create")).to.have.length(1);
    expect(callsOf("remove")).to.deep.equal([]);
    expect(warm().map((c) => c.state)).to.deep.equal(["running"]);
  });
});
