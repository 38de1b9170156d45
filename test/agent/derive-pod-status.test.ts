import { expect } from "chai";
import type { NodeMemory } from "../../src/agent/compute-pod-actions.js";
import { derivePodStatus } from "../../src/agent/derive-pod-status.js";
import { at, healthyWeb, observed, webPod } from "../helpers/pod-fixtures.js";

const noMemory: NodeMemory = { failedPulls: new Map() };

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

  it("is ContainerCreating while something is missing", () => {
    expect(derivePodStatus(webPod(), [], noMemory).phase).to.equal("ContainerCreating");
    expect(derivePodStatus(webPod(), [observed(undefined), observed("app")], noMemory).containers[1]).to.deep.include({ state: "waiting", reason: "ContainerCreating" });
  });

  it("ignores the containers of another version of the spec", () => {
    expect(derivePodStatus(webPod({ specHash: "hash-2" }), healthyWeb(), noMemory).phase).to.equal("ContainerCreating");
  });

  it("is ErrImagePull with the engine's words when a pull failed", () => {
    const status = derivePodStatus(webPod(), [observed(undefined), observed("sidecar")], { failedPulls: new Map([["uid-web/hash-1/app", "pull access denied for app"]]) });
    expect(status).to.deep.include({ phase: "ErrImagePull", message: "container app: pull access denied for app" });
    expect(status.containers[0]).to.deep.include({ state: "waiting", reason: "ErrImagePull", message: "pull access denied for app" });
  });

  it("is Failed, naming the container and its exit code, when a container exits with an error", () => {
    const status = derivePodStatus(webPod(), [observed(undefined), observed("app", { state: "exited", exitCode: 3, finishedAt: at(4) }), observed("sidecar")], noMemory);
    expect(status).to.deep.include({ phase: "Failed", reason: "Error", message: "container app exited with code 3" });
    expect(status.containers[0]).to.deep.include({ state: "terminated", exitCode: 3, finishedAt: at(4) });
  });

  it("is Failed when the engine could not start a container", () => {
    const status = derivePodStatus(webPod(), [observed(undefined), observed("app", { state: "created", error: "executable file not found" }), observed("sidecar")], noMemory);
    expect(status).to.deep.include({ phase: "Failed", reason: "StartError", message: "container app could not start: executable file not found" });
  });

  it("is Succeeded when every container exited with 0", () => {
    const done = { state: "exited" as const, exitCode: 0 };
    expect(derivePodStatus(webPod(), [observed(undefined), observed("app", done), observed("sidecar", done)], noMemory).phase).to.equal("Succeeded");
  });
});
