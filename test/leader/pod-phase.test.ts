import { expect } from "chai";
import { podPhase } from "../../src/leader/pod-phase.js";

describe("podPhase", () => {
  const running = { phase: "Running" as const, containers: [] };

  it("is the node's report while the node is Ready", () => {
    expect(podPhase({ node: "n", status: running }, "Ready")).to.equal("Running");
  });

  it("is Pending before placement, and after placement until the node reports", () => {
    expect(podPhase({}, undefined)).to.equal("Pending");
    expect(podPhase({ node: "n" }, "Ready")).to.equal("Pending");
  });

  it("is Unknown while its node is NotReady", () => {
    expect(podPhase({ node: "n", status: running }, "NotReady")).to.equal("Unknown");
  });

  it("is Terminating once deletion is asked, whatever else", () => {
    expect(podPhase({ node: "n", status: running, deletionRequestedAt: new Date() }, "Ready")).to.equal("Terminating");
  });
});
