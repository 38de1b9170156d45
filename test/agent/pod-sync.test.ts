import { join } from "node:path";
import { expect } from "chai";
import { AgentStore } from "../../src/agent/agent-store.js";
import { FakeRuntime } from "../../src/agent/fake-runtime.js";
import type { LocalPod } from "../../src/agent/local-pod.js";
import { PAUSE_IMAGE } from "../../src/agent/pause-image.js";
import { PodSync } from "../../src/agent/pod-sync.js";
import { LABELS, type PodStatusReport } from "../../src/shared/domain.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { MemoryLogger } from "../helpers/memory-logger.js";
import { webPod } from "../helpers/pod-fixtures.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("PodSync, on the fake runtime", () => {
  let dir: ReturnType<typeof tempDir>;
  let store: AgentStore;
  let runtime: FakeRuntime;
  let clock: FakeClock;
  let sync: PodSync;
  let reports: { pod: string; status: PodStatusReport }[];
  const { uid, specHash, name, labels, spec } = webPod();
  const assigned = { uid, specHash, name, labels, spec };

  beforeEach(async () => {
    dir = tempDir("pod-sync");
    store = await AgentStore.open(join(dir.path, "agent.db"));
    clock = new FakeClock();
    runtime = new FakeRuntime(clock);
    runtime.images.add("app:1").add("sidecar:1");
    reports = [];
    sync = new PodSync({
      node: "n1",
      runtime,
      store,
      clock,
      log: new MemoryLogger(),
      outboxChanged: () => {},
      report: (pod: LocalPod, status) => reports.push({ pod: pod.name, status }),
    });
  });

  afterEach(async () => {
    await sync.idle();
    await store.close();
    dir.remove();
  });

  const syncNow = async () => {
    sync.trigger();
    await sync.idle();
  };
  const events = async () => (await store.outboxAfter(0)).map((e) => (e.kind === "event" ? `${e.event.type} ${e.event.reason}: ${e.event.message}` : "removed"));

  it("runs an assigned pod: a pause container, then each container joined to its network, all labelled", async () => {
    await store.replaceAssignments([assigned]);
    await syncNow();
    const containers = runtime.all();
    expect(containers.map((c) => [c.options.image, c.state])).to.deep.equal([
      [PAUSE_IMAGE, "running"],
      ["app:1", "running"],
      ["sidecar:1", "running"],
    ]);
    const [pause, app] = containers;
    expect(app.options.networkOf).to.equal(pause.id);
    expect(app.options.env).to.deep.equal({ MODE: "prod" });
    expect(pause.labels).to.deep.equal({ [LABELS.node]: "n1", [LABELS.pod]: "web", [LABELS.podUid]: uid, [LABELS.specHash]: specHash });
    expect(app.labels).to.deep.equal({ ...pause.labels, [LABELS.container]: "app" });
    expect(await events()).to.deep.equal([
      "Normal Created: Created container app",
      "Normal Started: Started container app",
      "Normal Created: Created container sidecar",
      "Normal Started: Started container sidecar",
    ]);
    expect(reports.at(-1)).to.deep.include({ pod: "web" });
    expect(reports.at(-1)!.status.phase).to.equal("Running");
  });

  it("pulls a missing image, with events", async () => {
    runtime.images.delete("app:1");
    runtime.registry.set("app:1", undefined);
    await store.replaceAssignments([assigned]);
    await syncNow();
    expect(runtime.calls).to.include("pull app:1");
    expect((await events()).slice(0, 2)).to.deep.equal(['Normal Pulling: Pulling image "app:1"', 'Normal Pulled: Successfully pulled image "app:1" in 0.0s']);
  });

  it("reports ErrImagePull with the engine's error text when a pull fails, and does not pull again", async () => {
    runtime.images.delete("app:1");
    await store.replaceAssignments([assigned]);
    await syncNow();
    await syncNow();
    expect(runtime.calls.filter((call) => call === "pull app:1")).to.have.length(1);
    expect(await events()).to.include(
      `Warning Failed: Failed to pull image "app:1": pull access denied for app:1, repository does not exist or may require 'docker login'`,
    );
    expect(reports.at(-1)!.status).to.deep.include({ phase: "ErrImagePull" });
  });

  it("tears down a pod no longer assigned: stops its containers gracefully, then tells the leader it is gone", async () => {
    await store.replaceAssignments([assigned]);
    await syncNow();
    await store.replaceAssignments([]);
    await syncNow();
    await syncNow();
    expect(runtime.all()).to.deep.equal([]);
    expect(runtime.calls.filter((call) => call.startsWith("stop"))).to.have.length(2);
    expect(runtime.calls.filter((call) => call.startsWith("stop")).every((call) => call.endsWith(" 7"))).to.equal(true);
    expect(await store.localPods()).to.deep.equal([]);
    expect((await events()).slice(-3)).to.deep.equal([
      "Normal Killing: Stopping container app: the pod was deleted",
      "Normal Killing: Stopping container sidecar: the pod was deleted",
      "removed",
    ]);
  });

  it("removes containers of pods it does not know, and only its own node's", async () => {
    const foreign = await runtime.createContainer({ name: "other-node", image: "app:1", labels: { [LABELS.node]: "n2", [LABELS.podUid]: "x" } });
    await runtime.createContainer({ name: "orphan", image: "app:1", labels: { [LABELS.node]: "n1", [LABELS.podUid]: "gone", [LABELS.container]: "app" } });
    await syncNow();
    expect(runtime.all().map((c) => c.id)).to.deep.equal([foreign]);
  });

  it("records an engine failure as a Warning event and retries after a backoff", async () => {
    runtime.failNext("createContainer", "Error response from daemon: no space left on device");
    await store.replaceAssignments([assigned]);
    await syncNow();
    expect(await events()).to.deep.equal(["Warning Failed: creating the pod's sandbox failed: Error response from daemon: no space left on device"]);
    await syncNow();
    expect(runtime.all()).to.deep.equal([]);
    clock.advance(1000);
    await syncNow();
    expect(runtime.all().map((c) => c.state)).to.deep.equal(["running", "running", "running"]);
  });
});
