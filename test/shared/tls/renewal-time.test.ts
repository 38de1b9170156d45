import { expect } from "chai";
import { renewalTime } from "../../../src/shared/tls/renewal-time.js";

describe("renewalTime", () => {
  const from = new Date(Date.UTC(2026, 0, 1));
  const to = new Date(from.getTime() + 100_000);

  it("renews between 50 % and 80 % of the lifetime, as the random draw says", () => {
    expect(renewalTime(from, to, () => 0).getTime() - from.getTime()).to.equal(50_000);
    expect(renewalTime(from, to, () => 0.5).getTime() - from.getTime()).to.equal(65_000);
    expect(renewalTime(from, to, () => 1).getTime() - from.getTime()).to.equal(80_000);
  });
});
