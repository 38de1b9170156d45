import { expect } from "chai";
import { UsageBoard } from "../../src/leader/usage-board.js";
import type { PodUsage } from "../../src/shared/usage.js";

const AT = new Date(Date.UTC(2026, 11, 4, 21));
const MiB = 2 ** 20;
const usage = (cpuMillis: number, memoryBytes: number): PodUsage => ({ sampledAt: AT, containers: [{ name: "app", cpuMillis, memoryBytes }] });
const N1 = { name: "n1", cpuMillis: 2000, memoryBytes: 1024 * MiB };

describe("UsageBoard", () => {
  it("keeps each pod's latest figures and sums a node's against what it has", () => {
    const board = new UsageBoard();
    board.apply("n1", {
      complete: true,
      pods: [
        { podUid: "a", usage: usage(1000, 64 * MiB) },
        { podUid: "b", usage: usage(5, MiB) },
      ],
      removed: [],
    });
    board.apply("n1", { complete: false, pods: [{ podUid: "b", usage: usage(7, 2 * MiB) }], removed: [] });
    expect(board.ofPod("b")).to.deep.equal({ node: "n1", usage: usage(7, 2 * MiB) });
    expect(board.ofNode(N1)).to.deep.equal({
      name: "n1",
      cpuMillis: 1007,
      memoryBytes: 66 * MiB,
      capacityCpuMillis: 2000,
      capacityMemoryBytes: 1024 * MiB,
      pods: 2,
    });
  });

  it("drops the pods a node says are gone, and replaces everything on a complete update", () => {
    const board = new UsageBoard();
    board.apply("n1", {
      complete: true,
      pods: [
        { podUid: "a", usage: usage(1, 1) },
        { podUid: "b", usage: usage(1, 1) },
      ],
      removed: [],
    });
    board.apply("n1", { complete: false, pods: [], removed: ["a"] });
    expect(board.ofPod("a")).to.equal(undefined);
    board.apply("n1", { complete: true, pods: [{ podUid: "c", usage: usage(3, 3) }], removed: [] });
    expect(board.ofPod("b")).to.equal(undefined);
    expect(board.ofNode(N1)).to.include({ cpuMillis: 3, pods: 1 });
  });

  it("forgets a node's figures with its session, and those of no other node", () => {
    const board = new UsageBoard();
    board.apply("n1", { complete: true, pods: [{ podUid: "a", usage: usage(1, 1) }], removed: [] });
    board.apply("n2", { complete: true, pods: [{ podUid: "b", usage: usage(2, 2) }], removed: [] });
    board.forgetNode("n1");
    expect(board.ofPod("a")).to.equal(undefined);
    expect(board.ofNode(N1)).to.include({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
    expect(board.ofPod("b")?.node).to.equal("n2");
  });

  it("moves a pod's figures to the node that runs it now; the old node's late removal does not drop them", () => {
    const board = new UsageBoard();
    board.apply("n1", { complete: true, pods: [{ podUid: "a", usage: usage(1, 1) }], removed: [] });
    board.apply("n2", { complete: false, pods: [{ podUid: "a", usage: usage(9, 9) }], removed: [] });
    board.apply("n1", { complete: false, pods: [], removed: ["a"] });
    expect(board.ofPod("a")).to.deep.equal({ node: "n2", usage: usage(9, 9) });
    expect(board.ofNode(N1).pods).to.equal(0);
  });
});
