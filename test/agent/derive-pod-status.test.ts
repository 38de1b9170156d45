import { expect } from "chai";
import type { NodeMemory } from "../../src/agent/compute-pod-actions.js";
import { derivePodStatus } from "../../src/agent/derive-pod-status.js";
import type { RestartState } from "../../src/agent/restart-tracker.js";
import { at, healthyWeb, observed, webPod } from "../helpers/pod-fixtures.js";

const NOW = at(100).getTime();
const noMemory: NodeMemory = { restarts: new Map(), now: NOW };
const remembering = (state: Partial<RestartState>): NodeMemory => ({
  restarts: new Map([["uid-web/hash-1/app", { restarts: 0, failures: 1, ...state }]]),
  now: NOW,
});
const pullFailure = { kind: "pull" as const, reason: "ErrImagePull", message: "pull access denied for app" };

describe("derivePodStatus", () => {
  it("is Running when the sandbox and every container run", () => {
    const status = derivePodStatus(webPod(), healthyWeb(), noMemory);
    expect(status.phase).to.equal("Running");
    expect(status.containers.map((c) => [c.name, c.state, c.restartCount])).to.deep.equal([
      ["app", "running", 0],
      ["sidecar", "running", 0],
    ]);
    expect(status.containers[0].startedAt).to.deep.equal(at(1));
  });

  it("gives the pod its sandbox's address once the sandbox runs, whatever its containers do", () => {
    expect(derivePodStatus(webPod(), [observed(undefined, { podIp: "10.42.0.5" })], noMemory)).to.deep.include({
      phase: "ContainerCreating",
      podIp: "10.42.0.5",
    });
    expect(derivePodStatus(webPod(), [observed(undefined, { podIp: "10.42.0.5" }), observed("app"), observed("sidecar")], noMemory).podIp).to.equal(
      "10.42.0.5",
    );
    expect(derivePodStatus(webPod(), [observed(undefined, { podIp: "10.42.0.5", state: "exited" })], noMemory).podIp).to.equal(undefined);
  });

  it("is ContainerCreating while something is missing", () => {
    expect(derivePodStatus(webPod(), [], noMemory).phase).to.equal("ContainerCreating");
    expect(derivePodStatus(webPod(), [observed(undefined), observed("app")], noMemory).containers[1]).to.deep.include({
      state: "waiting",
      reason: "ContainerCreating",
    });
  });

  it("ignores the containers of another version of the spec", () => {
    expect(derivePodStatus(webPod({ specHash: "hash-2" }), healthyWeb(), noMemory).phase).to.equal("ContainerCreating");
  });

  it("is ErrImagePull with the engine's words after a first failed pull, ImagePullBackOff after the next ones", () => {
    const first = derivePodStatus(webPod(), [observed(undefined), observed("sidecar")], remembering({ retryAt: NOW + 1000, lastFailure: pullFailure }));
    expect(first).to.deep.include({ phase: "ErrImagePull", message: "container app: pull access denied for app" });
    expect(first.containers[0]).to.deep.include({ state: "waiting", reason: "ErrImagePull", message: "pull access denied for app" });
    const later = derivePodStatus(
      webPod(),
      [observed(undefined), observed("sidecar")],
      remembering({ failures: 2, retryAt: NOW + 2000, lastFailure: pullFailure }),
    );
    expect(later.phase).to.equal("ImagePullBackOff");
  });

  it("is CrashLoopBackOff while a crashed container waits for its restart, with its restart count", () => {
    const crashed = observed("app", { id: "dead", state: "exited", exitCode: 1 });
    const status = derivePodStatus(
      webPod(),
      [observed(undefined), crashed, observed("sidecar")],
      remembering({
        restarts: 3,
        lastCounted: "dead",
        retryAt: NOW + 8000,
        lastFailure: { kind: "exit", exitCode: 1, reason: "Error", message: "exit code 1" },
      }),
    );
    expect(status).to.deep.include({ phase: "CrashLoopBackOff", message: "container app: exit code 1" });
    expect(status.containers[0]).to.deep.include({ state: "waiting", reason: "CrashLoopBackOff", restartCount: 3 });
  });

  it("is Failed, saying why, once the node gave up on a container", () => {
    const status = derivePodStatus(
      webPod(),
      [observed(undefined), observed("sidecar")],
      remembering({ failures: 5, lastFailure: pullFailure, gaveUp: 'pulling image "app:1" failed 5 times in a row' }),
    );
    expect(status).to.deep.include({ phase: "Failed", message: 'pulling image "app:1" failed 5 times in a row' });
  });

  it("says OOMKilled when the kernel killed a container for memory", () => {
    const status = derivePodStatus(
      webPod(),
      [observed(undefined), observed("app", { state: "exited", exitCode: 137, oomKilled: true }), observed("sidecar")],
      noMemory,
    );
    expect(status).to.deep.include({ phase: "Failed", message: "container app exited with code 137 (OOMKilled)" });
  });

  it("is Failed, naming the container and its exit code, when a container exits with an error", () => {
    const status = derivePodStatus(
      webPod(),
      [observed(undefined), observed("app", { state: "exited", exitCode: 3, finishedAt: at(4) }), observed("sidecar")],
      noMemory,
    );
    expect(status).to.deep.include({ phase: "Failed", reason: "Error", message: "container app exited with code 3 (Error)" });
    expect(status.containers[0]).to.deep.include({ state: "terminated", exitCode: 3, finishedAt: at(4) });
  });

  it("is Failed when the engine could not start a container", () => {
    const status = derivePodStatus(
      webPod(),
      [observed(undefined), observed("app", { state: "created", error: "executable file not found" }), observed("sidecar")],
      noMemory,
    );
    expect(status).to.deep.include({ phase: "Failed", reason: "StartError", message: "container app could not start: executable file not found" });
  });

  it("is Succeeded when every container exited with 0", () => {
    const done = { state: "exited" as const, exitCode: 0 };
    expect(derivePodStatus(webPod(), [observed(undefined), observed("app", done), observed("sidecar", done)], noMemory).phase).to.equal("Succeeded");
  });
});
