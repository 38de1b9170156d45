import { expect } from "chai";
import { readContainerIdentity } from "../../src/agent/container-labels.js";
import type { PodSync } from "../../src/agent/pod-sync.js";
import type { FakeRuntime } from "../../src/agent/testing/fake-runtime.js";
import type { FakeClock } from "../helpers/fake-clock.js";
import { placed, singleContainerPod } from "../helpers/pod-fixtures.js";
import { PodSyncBed } from "../helpers/pod-sync-bed.js";

/** What the sync loop does when the engine refuses a start, a stop, a removal or a rename, and how it stops a pod. */
describe("PodSync, when the engine fails it (fake runtime, fake clock)", () => {
  let bed: PodSyncBed;
  let runtime: FakeRuntime;
  let clock: FakeClock;
  let sync: PodSync;
  const pod = placed(singleContainerPod());

  beforeEach(async () => {
    bed = await PodSyncBed.open("engine-failures");
    ({ runtime, clock } = bed);
    sync = bed.makeSync();
  });
  afterEach(() => bed.close());

  const syncNow = async () => {
    sync.trigger();
    await sync.idle();
  };
  const events = async () =>
    (await bed.store.outboxAfter(0)).map((e) => (e.kind === "event" ? `${e.event.type} ${e.event.reason}: ${e.event.message}` : "removed"));
  const app = () => runtime.all().find((c) => readContainerIdentity(c.labels, c.options.name).containerName === "app");
  const states = () => runtime.all().map((c) => `${readContainerIdentity(c.labels, c.options.name).containerName ?? "pause"} ${c.state}`);
  /** Lets the loop and its workers run until `condition` holds (they wait on the fake clock or a held engine call). */
  const until = async (what: string, condition: () => boolean) => {
    for (let turn = 0; !condition(); turn++) {
      if (turn === 1000) throw new Error(`never: ${what}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const deletePod = () => bed.store.replaceAssignments([{ ...pod, deleting: true }]);
  const running = async () => {
    await bed.store.replaceAssignments([pod]);
    await syncNow();
    expect(states()).to.deep.equal(["pause running", "app running"]);
  };

  it("gives a container that ignores SIGTERM the pod's whole grace period, then kills it, and only then removes it", async () => {
    await running();
    runtime.ignoreTerm(app()!.id);
    const removal = runtime.hold("removeContainer");
    await deletePod();
    sync.trigger();
    await until("the stop waits the grace period", () => clock.sleeps.includes(7000));
    clock.advance(6999);
    await until("a turn of the loop", () => true);
    expect(app()!.state, "within the grace period").to.equal("running");
    clock.advance(1);
    await until("the container killed", () => app()?.state === "exited");
    expect(app()).to.deep.include({ state: "exited", exitCode: 137 });
    expect(runtime.holdsWaiting(), "its removal waits at the hold").to.equal(1);
    removal();
    await sync.idle();
    await syncNow();
    expect(runtime.all()).to.deep.equal([]);
    expect(await bed.store.localPods()).to.deep.equal([]);
  });

  it("keeps a pod being deleted while the engine refuses to stop its container, and retries after a back-off", async () => {
    await running();
    runtime.failNext("stopContainer", "Error response from daemon: cannot stop container: permission denied");
    await deletePod();
    await syncNow();
    expect((await events()).at(-1)).to.equal(
      "Warning Failed: removing container app failed: Error response from daemon: cannot stop container: permission denied",
    );
    expect(states()).to.deep.equal(["pause running", "app running"]);
    expect(await bed.store.localPods(), "not forgotten: the leader is not told it is gone").to.have.length(1);
    await syncNow();
    expect(states(), "not before the back-off").to.deep.equal(["pause running", "app running"]);
    clock.advance(1000);
    await syncNow();
    await syncNow();
    expect(runtime.all()).to.deep.equal([]);
    expect(await bed.store.localPods()).to.deep.equal([]);
    expect((await events()).at(-1)).to.equal("removed");
  });

  it("keeps a pod being deleted while the engine refuses to remove its containers, and retries after a back-off", async () => {
    await running();
    runtime.failNext("removeContainer", "Error response from daemon: removal of container is already in progress");
    await deletePod();
    await syncNow();
    expect((await events()).at(-1)).to.match(/^Warning Failed: removing container (app|pause) failed: Error response from daemon: removal of container/);
    expect(runtime.all()).to.not.deep.equal([]);
    expect(await bed.store.localPods()).to.have.length(1);
    clock.advance(1000);
    await syncNow();
    await syncNow();
    expect(runtime.all()).to.deep.equal([]);
    expect(await bed.store.localPods()).to.deep.equal([]);
  });

  it("a container the engine will not start: CreateContainerError with the engine's words, removed, started anew after a back-off", async () => {
    await bed.store.replaceAssignments([pod]);
    runtime.passNext("startContainer"); // the sandbox's start
    runtime.failNext("startContainer", "Error response from daemon: OCI runtime create failed: no such file or directory");
    await syncNow();
    expect((await events()).slice(-2)).to.deep.equal([
      "Warning Failed: Error: failed to start container app: Error response from daemon: OCI runtime create failed: no such file or directory",
      "Normal BackOff: Back-off 1s creating container app (Error response from daemon: OCI runtime create failed: no such file or directory)",
    ]);
    expect(states()).to.deep.equal(["pause running"]);
    expect(bed.reports.at(-1)!.status).to.deep.include({
      phase: "CreateContainerError",
      message: "container app: Error response from daemon: OCI runtime create failed: no such file or directory",
    });
    await syncNow();
    expect(states(), "not before the back-off").to.deep.equal(["pause running"]);
    clock.advance(1000);
    await syncNow();
    expect(app()!.state).to.equal("running");
    expect(bed.reports.at(-1)!.status.phase).to.equal("Running");
  });

  it("a sandbox the engine will not start (its host port taken): counted the same, up to the crash limit: Failed", async () => {
    const published = placed(
      singleContainerPod({}, { hostPorts: [{ container: "app", containerPort: 80, protocol: "tcp", hostAddress: "", hostPort: 8080 }] }),
    );
    await bed.store.replaceAssignments([published]);
    const taken = "driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated";
    for (let attempt = 1; attempt <= 5; attempt++) {
      runtime.failNext("startContainer", taken);
      await syncNow();
      expect(runtime.all(), `attempt ${attempt}: nothing left behind`).to.deep.equal([]);
      clock.advance(60_000);
    }
    await syncNow();
    expect(bed.reports.at(-1)!.status).to.deep.include({
      phase: "Failed",
      message: `creating container app failed 5 times in a row (the pod's sandbox did not start: ${taken}, reason CreateContainerError); giving up`,
    });
    expect((await events()).filter((line) => line.startsWith("Warning Failed: Error: the pod's sandbox did not start"))).to.have.length(5);
  });

  it("leaves a warm sandbox it could not claim in the pool, and claims one after a back-off", async () => {
    sync = bed.makeSync({ warmSandboxes: { least: 1, most: 1 } });
    await syncNow();
    const [warm] = runtime.all();
    expect(readContainerIdentity(warm.labels, warm.options.name).warm).to.equal(true);
    runtime.failNext("renameContainer", "Error response from daemon: Error when allocating new name: Conflict");
    await bed.store.replaceAssignments([pod]);
    await syncNow();
    expect((await events()).at(-1)).to.match(
      /^Warning Failed: claiming warm sandbox cube_n1_warm_\w+ failed: Error response from daemon: Error when allocating new name/,
    );
    expect(runtime.all().map((c) => c.id)).to.deep.equal([warm.id]);
    expect(readContainerIdentity(warm.labels, runtime.all()[0].options.name).warm, "still in the pool").to.equal(true);
    clock.advance(1000);
    await syncNow();
    await syncNow();
    expect(states()).to.deep.equal(["pause running", "app running"]);
    expect(runtime.all()[0].id, "the same sandbox, claimed").to.equal(warm.id);
    expect(bed.reports.at(-1)!.status.phase).to.equal("Running");
  });
});
