import { expect } from "chai";
import { backoffDelay } from "../../src/shared/backoff.js";

describe("backoffDelay", () => {
  const policy = { initialMs: 1000, maxMs: 30_000 };

  it("doubles from the initial delay up to the cap", () => {
    const upperBounds = [0, 1, 2, 3, 4, 5, 6, 50].map((attempt) => backoffDelay(attempt, policy, () => 1));
    expect(upperBounds).to.deep.equal([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it("keeps at least half of the delay whatever the jitter draws", () => {
    expect([0, 3, 9].map((attempt) => backoffDelay(attempt, policy, () => 0))).to.deep.equal([500, 4000, 15000]);
    expect(backoffDelay(2, policy, () => 0.5)).to.equal(3000);
  });
});
