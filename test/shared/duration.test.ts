import { expect } from "chai";
import { parseDuration } from "../../src/shared/duration.js";

describe("parseDuration", () => {
  it("reads the units a user types", () => {
    expect(["10s", "5m", "2h", "1d", "250ms", "1.5h"].map(parseDuration)).to.deep.equal([10_000, 300_000, 7_200_000, 86_400_000, 250, 5_400_000]);
  });

  it("refuses what is not a positive duration", () => {
    for (const bad of ["soon", "", "-5s", "0s", "5 parsecs"]) expect(parseDuration(bad), bad).to.equal(undefined);
  });
});
