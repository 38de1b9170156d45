import { expect } from "chai";
import { placePod, type PlacementCandidate } from "../../src/leader/place-pod.js";

describe("placePod", () => {
  const node = (name: string, podCount: number, status: PlacementCandidate["status"] = "Ready") => ({ name, podCount, status });

  it("picks the Ready node running the fewest pods", () => {
    expect(placePod([node("a", 3), node("b", 1), node("c", 2)])).to.deep.equal({ node: "b" });
  });

  it("breaks ties by name", () => {
    expect(placePod([node("c", 1), node("a", 1), node("b", 1)])).to.deep.equal({ node: "a" });
  });

  it("skips nodes that are not Ready, however idle", () => {
    expect(placePod([node("idle", 0, "NotReady"), node("busy", 9)])).to.deep.equal({ node: "busy" });
  });

  it("says why when no node can take the pod", () => {
    expect(placePod([node("a", 0, "NotReady"), node("b", 0, "NotReady")])).to.deep.equal({ reason: "0/2 nodes are Ready" });
    expect(placePod([])).to.deep.equal({ reason: "no node has joined the cluster" });
  });
});
