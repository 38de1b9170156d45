import { expect } from "chai";
import { AgentStore } from "../../src/agent/agent-store.js";
import { containerLabels, readContainerIdentity } from "../../src/agent/container-labels.js";
import { PAUSE_IMAGE } from "../../src/agent/pause-image.js";
import { PodSync } from "../../src/agent/pod-sync.js";
import type { RunProbe } from "../../src/agent/prober.js";
import { FakeRuntime } from "../../src/agent/testing/fake-runtime.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { MemoryLogger } from "../helpers/memory-logger.js";
import { placed, singleContainerPod, webPod } from "../helpers/pod-fixtures.js";
import { PodSyncBed } from "../helpers/pod-sync-bed.js";

describe("PodSync, on the fake runtime", () => {
  let bed: PodSyncBed;
  let store: AgentStore;
  let runtime: FakeRuntime;
  let clock: FakeClock;
  let sync: PodSync;
  let log: MemoryLogger;
  let reports: PodSyncBed["reports"];
  const makeSync = (runProbe?: RunProbe) => bed.makeSync({ runProbe });
  const { uid, specHash, spec } = webPod();
  const assigned = placed();

  beforeEach(async () => {
    bed = await PodSyncBed.open("pod-sync");
    ({ store, runtime, clock, log, reports } = bed);
    sync = makeSync();
  });

  afterEach(() => bed.close());

  const syncNow = async () => {
    sync.trigger();
    await sync.idle();
  };
  const events = async () =>
    (await store.outboxAfter(0)).map((e) => (e.kind === "event" ? `${e.event.type} ${e.event.reason}: ${e.event.message}` : "removed"));

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
    expect(pause.labels).to.deep.equal({ "cube.node": "n1", "cube.pod": "web", "cube.pod.uid": uid, "cube.spec-hash": specHash });
    expect(app.labels).to.deep.equal({ ...pause.labels, "cube.container": "app" });
    expect(await events()).to.deep.equal([
      "Normal Created: Created container app",
      "Normal Started: Started container app",
      "Normal Created: Created container sidecar",
      "Normal Started: Started container sidecar",
    ]);
    expect(reports.at(-1)).to.deep.include({ pod: "web" });
    expect(reports.at(-1)!.status.phase).to.equal("Running");
  });

  const single = (change: Partial<typeof spec> = {}) => placed(singleContainerPod(change));
  const lastStatus = () => reports.at(-1)!.status;
  const app = () => runtime.all().filter((c) => readContainerIdentity(c.labels, c.options.name).containerName === "app");
  const runningApp = () => app().find((c) => c.state === "running")!;

  it("restarts a crashed container after a doubling back-off, then gives up: CrashLoopBackOff, then Failed", async () => {
    await store.replaceAssignments([single()]);
    await syncNow();
    const delays = [1000, 2000, 4000, 8000];
    for (const [index, delay] of delays.entries()) {
      runtime.exit(runningApp().id, 1);
      await syncNow();
      expect(lastStatus().phase, `crash ${index + 1}`).to.equal("CrashLoopBackOff");
      expect((await events()).at(-1)).to.equal(`Warning BackOff: Back-off ${delay / 1000}s restarting failed container app (exit code 1)`);
      clock.advance(delay - 1);
      await syncNow();
      expect(
        app().some((c) => c.state === "running"),
        "still backing off",
      ).to.equal(false);
      clock.advance(1);
      await syncNow();
      expect(lastStatus().phase).to.equal("Running");
      expect(lastStatus().containers[0].restartCount).to.equal(index + 1);
      // the last dead instance is kept for `logs --previous`, older ones are removed
      expect(app().map((c) => c.state)).to.deep.equal(["exited", "running"]);
    }
    runtime.exit(runningApp().id, 1);
    await syncNow();
    await syncNow();
    expect(lastStatus()).to.deep.include({ phase: "Failed", message: "container app failed 5 times in a row (exit code 1, reason Error); giving up" });
    expect((await events()).slice(-2)).to.deep.equal([
      "Warning Died: Container app died with exit code 1 (Error)",
      "Warning Failed: container app failed 5 times in a row (exit code 1, reason Error); giving up: the pod is Failed",
    ]);
    expect(
      runtime.all().filter((c) => c.state === "running"),
      "every container stopped",
    ).to.deep.equal([]);
    clock.advance(60_000);
    await syncNow();
    expect(
      runtime.all().filter((c) => c.state === "running"),
      "and not restarted",
    ).to.deep.equal([]);
  });

  it("starts a fresh failure count when a container ran long enough", async () => {
    await store.replaceAssignments([single()]);
    await syncNow();
    for (let i = 0; i < 3; i++) {
      runtime.exit(runningApp().id, 1);
      await syncNow();
      clock.advance(2 ** i * 1000);
      await syncNow();
    }
    clock.advance(60_000);
    runtime.exit(runningApp().id, 1);
    await syncNow();
    expect((await events()).at(-1)).to.equal("Warning BackOff: Back-off 1s restarting failed container app (exit code 1)");
  });

  const notRestarted = [
    { name: "a cleanly finished container under OnFailure: the pod Succeeded", policy: "OnFailure", exitCode: 0, status: { phase: "Succeeded" } },
    {
      name: "a failed container under Never: the pod is Failed",
      policy: "Never",
      exitCode: 2,
      status: { phase: "Failed", message: "container app exited with code 2 (Error)" },
    },
  ] as const;
  for (const c of notRestarted) {
    it(`does not restart ${c.name}`, async () => {
      await store.replaceAssignments([single({ restartPolicy: c.policy })]);
      await syncNow();
      runtime.exit(runningApp().id, c.exitCode);
      await syncNow();
      clock.advance(60_000);
      await syncNow();
      expect(app().map((container) => container.state)).to.deep.equal(["exited"]);
      expect(lastStatus()).to.deep.include(c.status);
    });
  }

  it("honours the pod's own restart settings", async () => {
    await store.replaceAssignments([single({ restart: { maxFailures: 1 } })]);
    await syncNow();
    runtime.exit(runningApp().id, 1);
    await syncNow();
    expect(lastStatus().phase).to.equal("Failed");
  });

  it("keeps restart counts and back-offs across a restart of the node", async () => {
    await store.replaceAssignments([single()]);
    await syncNow();
    runtime.exit(runningApp().id, 1);
    await syncNow();
    clock.advance(1000);
    await syncNow();
    runtime.exit(runningApp().id, 1);
    await syncNow();
    sync = makeSync(); // the agent process restarted; its store and the engine's containers remain
    await syncNow();
    expect(lastStatus()).to.deep.include({ phase: "CrashLoopBackOff" });
    expect(lastStatus().containers[0].restartCount).to.equal(1);
    clock.advance(2000);
    await syncNow();
    expect(lastStatus().containers[0].restartCount).to.equal(2);
  });

  it("adopts the containers it finds for its pods: no call but listing", async () => {
    await store.replaceAssignments([assigned]);
    await syncNow();
    const before = runtime.all().map((c) => c.id);
    runtime.calls.length = 0;
    sync = makeSync();
    await syncNow();
    expect(runtime.calls).to.deep.equal([]);
    expect(runtime.all().map((c) => c.id)).to.deep.equal(before);
  });

  it("replaces containers whose spec hash is not the pod's", async () => {
    await store.replaceAssignments([assigned]);
    await syncNow();
    const before = runtime.all().map((c) => c.id);
    await store.replaceAssignments([{ ...assigned, specHash: "hash-2" }]);
    await syncNow();
    await syncNow();
    const after = runtime.all();
    expect(after.map((c) => readContainerIdentity(c.labels, c.options.name).specHash)).to.deep.equal(["hash-2", "hash-2", "hash-2"]);
    expect(after.some((c) => before.includes(c.id))).to.equal(false);
  });

  it("rides out an engine outage, logging it once, and reconciles when the engine is back", async () => {
    await store.replaceAssignments([assigned]);
    await syncNow();
    for (let i = 0; i < 3; i++) {
      runtime.failNext("listContainers", "connect ENOENT /var/run/docker.sock");
      await syncNow();
    }
    expect(log.lines.filter((line) => line.includes("ENOENT"))).to.have.length(1);
    // The engine restarted: every container was stopped.
    for (const container of runtime.all()) if (container.state === "running") runtime.exit(container.id, 0);
    await syncNow();
    // A new sandbox at once; its containers after their restart back-off (they stopped, like a crash).
    expect(
      runtime
        .all()
        .filter((c) => c.state === "running")
        .map((c) => readContainerIdentity(c.labels, c.options.name).containerName ?? "pause"),
    ).to.deep.equal(["pause"]);
    clock.advance(1000);
    await syncNow();
    const running = runtime.all().filter((c) => c.state === "running");
    expect(running.map((c) => readContainerIdentity(c.labels, c.options.name).containerName ?? "pause")).to.deep.equal(["pause", "app", "sidecar"]);
    expect(log.lines).to.include("INFO sync works again");
  });

  it("pulls a missing image, with events", async () => {
    runtime.images.delete("app:1");
    runtime.registry.set("app:1", undefined);
    await store.replaceAssignments([assigned]);
    await syncNow();
    expect(runtime.calls).to.include("pull app:1");
    expect((await events()).slice(0, 2)).to.deep.equal(['Normal Pulling: Pulling image "app:1"', 'Normal Pulled: Successfully pulled image "app:1" in 0.0s']);
  });

  it("retries a failed pull with a back-off: ErrImagePull, then ImagePullBackOff, then Failed, with the engine's words", async () => {
    runtime.images.delete("app:1");
    await store.replaceAssignments([single()]);
    await syncNow();
    expect(await events()).to.include(
      `Warning Failed: Failed to pull image "app:1": pull access denied for app:1, repository does not exist or may require 'docker login'`,
    );
    expect(lastStatus().phase).to.equal("ErrImagePull");
    const phases = [];
    for (const delay of [1000, 2000, 4000, 8000]) {
      clock.advance(delay);
      await syncNow();
      phases.push(lastStatus().phase);
    }
    expect(runtime.calls.filter((call) => call === "pull app:1")).to.have.length(5);
    expect(phases).to.deep.equal(["ImagePullBackOff", "ImagePullBackOff", "ImagePullBackOff", "Failed"]);
    clock.advance(60_000);
    await syncNow();
    expect(runtime.calls.filter((call) => call === "pull app:1")).to.have.length(5);
  });

  it("tears down a pod being deleted: stops its containers gracefully, then tells the leader it is gone", async () => {
    await store.replaceAssignments([assigned]);
    await syncNow();
    await store.replaceAssignments([{ ...assigned, deleting: true }]);
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

  describe("probes (run by a scripted prober, on the fake clock)", () => {
    /** What the next runs of each probe kind answer; an empty script answers ok. */
    let answers: Record<string, boolean[]>;
    const probed: string[] = [];
    const withProbes = (probes: object) => webPod({ spec: { ...spec, containers: [{ ...spec.containers[0], ...probes }, spec.containers[1]] } });
    const probe = (kind: string, change: object = {}) => ({
      exec: { command: [kind] },
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 2,
      ...change,
    });
    const probingSync = () =>
      makeSync(async (spec) => {
        const kind = spec.exec!.command[0];
        probed.push(kind);
        const ok = answers[kind]?.shift() ?? true;
        return { ok, message: ok ? "command exited with 0" : "command exited with 1" };
      });
    /** Lets the probes started by a sync answer, then syncs again (a changed result wakes the loop). */
    const probeRound = async () => {
      await syncNow();
      await new Promise((resolve) => setImmediate(resolve));
      await syncNow();
    };
    const app = () => runtime.all().filter((c) => readContainerIdentity(c.labels, c.options.name).containerName === "app");

    beforeEach(async () => {
      await sync.idle();
      sync = probingSync();
      answers = {};
      probed.length = 0;
    });

    it("stops a container whose liveness probe fails failureThreshold times, counted as an Unhealthy failure, and starts a new one", async () => {
      answers.live = [false, false];
      await store.replaceAssignments([placed(withProbes({ livenessProbe: probe("live") }))]);
      await probeRound();
      const first = app()[0].id;
      expect(await events()).to.not.include("Warning Unhealthy: Liveness probe of container app failed: command exited with 1");
      clock.advance(10_000);
      await probeRound();
      expect(app().find((c) => c.id === first)?.state).to.equal("exited");
      expect(await events()).to.include("Warning Unhealthy: Liveness probe of container app failed: command exited with 1");
      expect((await events()).some((e) => e.startsWith("Normal Killing: Stopping container app: container app is unhealthy (Liveness probe failed"))).to.equal(
        true,
      );
      expect(await events()).to.include("Warning Died: Container app died with exit code 143 (Unhealthy): Liveness probe failed: command exited with 1");
      clock.advance(2_000); // past the first back-off
      await syncNow();
      expect(
        app()
          .filter((c) => c.state === "running")
          .map((c) => c.id),
      )
        .to.have.length(1)
        .and.not.include(first);
    });

    it("sets the container and the pod ready only once the readiness probe passes, and back when it fails", async () => {
      await store.replaceAssignments([placed(withProbes({ readinessProbe: probe("ready", { failureThreshold: 1 }) }))]);
      answers.ready = [false];
      await probeRound();
      const last = () => reports.at(-1)!.status;
      expect(last()).to.deep.include({ phase: "Running", ready: false });
      clock.advance(10_000);
      await probeRound();
      expect(last()).to.deep.include({ phase: "Running", ready: true });
      expect(last().containers.map((c) => c.ready)).to.deep.equal([true, true]);
      answers.ready = [false];
      clock.advance(10_000);
      await probeRound();
      expect(last()).to.deep.include({ ready: false });
      expect(await events()).to.include("Warning Unhealthy: Readiness probe of container app failed: command exited with 1");
    });

    it("holds liveness and readiness back until the startup probe succeeds", async () => {
      await store.replaceAssignments([placed(withProbes({ startupProbe: probe("start"), livenessProbe: probe("live"), readinessProbe: probe("ready") }))]);
      answers.start = [false];
      await probeRound();
      expect(probed).to.deep.equal(["start"]);
      clock.advance(10_000);
      await probeRound();
      clock.advance(10_000);
      await probeRound();
      expect(probed.slice(0, 2)).to.deep.equal(["start", "start"]);
      expect(new Set(probed.slice(2))).to.deep.equal(new Set(["live", "ready"]));
    });

    it("waits for a probe's initial delay", async () => {
      await store.replaceAssignments([placed(withProbes({ livenessProbe: probe("live", { initialDelaySeconds: 30 }) }))]);
      await probeRound();
      clock.advance(29_000);
      await probeRound();
      expect(probed).to.deep.equal([]);
      clock.advance(1_000);
      await probeRound();
      expect(probed).to.deep.equal(["live"]);
    });
  });

  describe("ports, volumes and limits", () => {
    const withAll = webPod({
      spec: {
        ...spec,
        volumes: [
          { name: "scratch", emptyDir: {} },
          { name: "data", persistent: {} },
          { name: "logs", hostPath: { path: "/var/log" } },
        ],
        containers: [
          {
            ...spec.containers[0],
            ports: [{ containerPort: 80, hostPort: "auto", protocol: "tcp" }],
            resources: { cpu: "500m", memory: "64Mi" },
            volumeMounts: [
              { name: "scratch", mountPath: "/tmp/s", readOnly: false },
              { name: "data", mountPath: "/data", readOnly: false },
              { name: "logs", mountPath: "/logs", readOnly: true },
            ],
          },
          spec.containers[1],
        ],
      },
      hostPorts: [{ container: "app", containerPort: 80, protocol: "tcp", hostAddress: "", hostPort: 30007 }],
    });

    it("publishes the pod's ports on its sandbox; mounts its volumes (created on first use) and limits each container", async () => {
      await store.replaceAssignments([placed(withAll)]);
      await syncNow();
      const [pause, app, sidecar] = runtime.all();
      expect(pause.options.ports).to.deep.equal([{ containerPort: 80, protocol: "tcp", hostIP: "", hostPort: 30007 }]);
      expect(app.options.ports).to.equal(undefined);
      expect(app.options.mounts).to.deep.equal([
        { type: "volume", source: `cube_n1_${uid}_scratch`, target: "/tmp/s", readOnly: false },
        { type: "volume", source: "cube_n1_web_data", target: "/data", readOnly: false },
        { type: "bind", source: "/var/log", target: "/logs", readOnly: true },
      ]);
      expect(app.options.limits).to.deep.equal({ cpuMillis: 500, memoryBytes: 64 * 2 ** 20 });
      expect(sidecar.options.mounts).to.deep.equal([]);
      expect([...runtime.volumes.keys()].sort()).to.deep.equal([`cube_n1_${uid}_scratch`, "cube_n1_web_data"]);
    });

    it("removes a deleted pod's emptyDir and keeps its persistent volume, unless it was purged", async () => {
      await store.replaceAssignments([placed(withAll)]);
      await syncNow();
      await store.replaceAssignments([{ ...placed(withAll), deleting: true }]);
      await syncNow();
      await syncNow();
      expect([...runtime.volumes.keys()]).to.deep.equal(["cube_n1_web_data"]);

      const again = { ...placed({ ...withAll, uid: "uid-web-2" }) };
      await store.replaceAssignments([again]);
      await syncNow();
      await store.replaceAssignments([{ ...again, deleting: true, purge: true }]);
      await syncNow();
      await syncNow();
      expect([...runtime.volumes.keys()]).to.deep.equal([]);
    });

    it("gives a deployment's replicas on the node one persistent volume, the deployment's, which outlives them, purged or not", async () => {
      const replica = (n: number) => placed({ ...withAll, uid: `uid-web-${n}`, name: `web-abc-${n}`, owner: "web" });
      await store.replaceAssignments([replica(1), replica(2)]);
      await syncNow();
      const mounts = runtime.all().flatMap((container) => container.options.mounts ?? []);
      expect(mounts.filter((mount) => mount.target === "/data").map((mount) => mount.source)).to.deep.equal([
        "cube_n1_deployment.web_data",
        "cube_n1_deployment.web_data",
      ]);
      await store.replaceAssignments([
        { ...replica(1), deleting: true, purge: true },
        { ...replica(2), deleting: true },
      ]);
      await syncNow();
      await syncNow();
      expect([...runtime.volumes.keys()]).to.deep.equal(["cube_n1_deployment.web_data"]);
    });
  });

  it("tears down a pod the leader no longer places on this node, saying so", async () => {
    await store.replaceAssignments([assigned]);
    await syncNow();
    await store.replaceAssignments([]);
    await syncNow();
    await syncNow();
    expect(runtime.all()).to.deep.equal([]);
    expect((await events()).slice(-3)).to.deep.equal([
      "Normal Killing: Stopping container app: the pod is no longer assigned to this node",
      "Normal Killing: Stopping container sidecar: the pod is no longer assigned to this node",
      "removed",
    ]);
  });

  it("removes containers of pods it does not know, and only its own node's", async () => {
    const foreign = await runtime.createContainer({
      name: "other-node",
      image: "app:1",
      labels: containerLabels("n2", { uid: "x", name: "x", specHash: "h" }),
    });
    await runtime.createContainer({ name: "orphan", image: "app:1", labels: containerLabels("n1", { uid: "gone", name: "gone", specHash: "h" }, "app") });
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

  it("shows a container the engine refuses as CreateContainerError, with a Warning, and retries it after a back-off", async () => {
    await store.replaceAssignments([single()]);
    // The sandbox is created first: the refusal is for the app's container.
    runtime.passNext("createContainer");
    runtime.failNext("createContainer", "Error response from daemon: invalid environment variable: bad=name");
    await syncNow();
    expect(await events()).to.include.members([
      "Warning Failed: Error: failed to create container app: Error response from daemon: invalid environment variable: bad=name",
      "Normal BackOff: Back-off 1s creating container app (Error response from daemon: invalid environment variable: bad=name)",
    ]);
    expect(lastStatus()).to.deep.include({
      phase: "CreateContainerError",
      message: "container app: Error response from daemon: invalid environment variable: bad=name",
    });
    await syncNow();
    expect(runtime.all().filter((c) => c.state === "running")).to.have.length(1); // the sandbox only, until the back-off ends
    clock.advance(1000);
    await syncNow();
    expect(lastStatus().phase).to.equal("Running");
  });
});
