import { expect } from "chai";
import { REMEMBER_BURST_MS, WarmPoolDemand } from "../../src/agent/warm-pool-demand.js";

describe("WarmPoolDemand: how many warm sandboxes a node keeps", () => {
  /** Bursts as [sandboxes taken, when the node turned quiet after them]; then the target at `at`. */
  const cases: { name: string; size: { least: number; most: number }; bursts: [number, number][]; at: number; target: number }[] = [
    { name: "no burst: the least", size: { least: 3, most: 16 }, bursts: [], at: 0, target: 3 },
    { name: "a burst within the least changes nothing", size: { least: 3, most: 16 }, bursts: [[2, 0]], at: 1, target: 3 },
    { name: "a larger burst: its size", size: { least: 3, most: 16 }, bursts: [[10, 0]], at: 1, target: 10 },
    { name: "a burst beyond the most: the most", size: { least: 3, most: 16 }, bursts: [[40, 0]], at: 1, target: 16 },
    {
      name: "the largest of the bursts remembered",
      size: { least: 3, most: 16 },
      bursts: [
        [10, 0],
        [5, 60_000],
      ],
      at: 120_000,
      target: 10,
    },
    {
      name: "a burst forgotten after a while",
      size: { least: 3, most: 16 },
      bursts: [
        [10, 0],
        [5, 60_000],
      ],
      at: REMEMBER_BURST_MS,
      target: 5,
    },
    { name: "every burst forgotten: the least", size: { least: 3, most: 16 }, bursts: [[10, 0]], at: REMEMBER_BURST_MS + 1, target: 3 },
    { name: "a fixed pool (most = least) never grows", size: { least: 2, most: 2 }, bursts: [[10, 0]], at: 1, target: 2 },
    { name: "none kept, none grown", size: { least: 0, most: 0 }, bursts: [[10, 0]], at: 1, target: 0 },
  ];
  for (const { name, size, bursts, at, target } of cases) {
    it(name, () => {
      const demand = new WarmPoolDemand(size);
      for (const [taken, quietAt] of bursts) {
        demand.took(taken);
        demand.quiet(quietAt);
      }
      expect(demand.target(at)).to.equal(target);
    });
  }

  it("counts a burst once the node is quiet, adding what its passes took", () => {
    const demand = new WarmPoolDemand({ least: 1, most: 16 });
    demand.took(3);
    demand.took(4);
    expect(demand.target(0)).to.equal(1);
    demand.quiet(0);
    expect(demand.target(0)).to.equal(7);
    demand.quiet(1); // quiet again with nothing taken: no burst of none
    demand.took(2);
    demand.quiet(2);
    expect(demand.target(2)).to.equal(7);
  });

  it("keeps none once drained, whatever the bursts", () => {
    const demand = new WarmPoolDemand({ least: 3, most: 16 });
    demand.took(10);
    demand.quiet(0);
    demand.drain();
    expect(demand.target(1)).to.equal(0);
  });
});
