import { expect } from "chai";
import { detectDisruption } from "../../src/leader/detect-disruption.js";
import type { NodeStatus } from "../../src/shared/domain.js";

/** A cluster as a table states it: the leader's node, then followers by status ("R" Ready, "N" NotReady). */
function cluster(leader: "R" | "N", followers: string) {
  const status = (letter: string): NodeStatus => (letter === "R" ? "Ready" : "NotReady");
  return [{ type: "Leader" as const, status: status(leader) }, ...[...followers].map((letter) => ({ type: "Follower" as const, status: status(letter) }))];
}

const cases: { name: string; followers: string; threshold?: number; expected: string | undefined }[] = [
  { name: "every node Ready: no disruption", followers: "RR", expected: undefined },
  { name: "one follower of two lost: that follower's fault, not a disruption", followers: "RN", expected: undefined },
  { name: "the only follower lost: one node is never a disruption", followers: "N", expected: undefined },
  { name: "both followers lost at once: the leader is likelier cut off", followers: "NN", expected: "2/2" },
  { name: "two of three (67 %) at the default 55 %", followers: "RNN", expected: "2/3" },
  { name: "two of three, under a 70 % threshold", followers: "RNN", threshold: 0.7, expected: undefined },
  { name: "five of ten (50 %) at 55 %", followers: "RRRRRNNNNN", expected: undefined },
  { name: "six of ten (60 %) at 55 %", followers: "RRRRNNNNNN", expected: "6/10" },
  { name: "100 %: only when every follower is lost", followers: "RNNN", threshold: 1, expected: undefined },
];

describe("detectDisruption", () => {
  for (const c of cases) {
    it(c.name, () => {
      const found = detectDisruption(cluster("R", c.followers), c.threshold ?? 0.55);
      expect(found && `${found.notReady}/${found.followers}`).to.equal(c.expected);
    });
  }

  it("does not count the leader's own node", () => {
    expect(detectDisruption(cluster("N", "RN"), 0.55)).to.equal(undefined);
  });
});
