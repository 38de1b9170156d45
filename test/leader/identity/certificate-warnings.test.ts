import { expect } from "chai";
import { certificateWarnings } from "../../../src/leader/identity/certificate-warnings.js";

describe("certificateWarnings", () => {
  const day = 86_400_000;
  const now = Date.UTC(2030, 0, 1);
  const lifetime = 30 * day;
  const ca = now + 3000 * day;

  it("a CA far from its end and nodes renewing in time: nothing", () => {
    expect(certificateWarnings(now, ca, new Map([["n1", now + 20 * day]]), lifetime)).to.deep.equal([]);
  });

  it("the CA within 90 days of its end", () => {
    expect(certificateWarnings(now, now + 90 * day, new Map(), lifetime)).to.deep.equal([
      "the cluster CA ends on 2030-04-01 (in 90 days): every certificate of the cluster ends with it",
    ]);
  });

  it("a node past the point where it renews (80 % of its lifetime), and one whose certificate ended", () => {
    const nodes = new Map([
      ["late", now + 5 * day],
      ["gone", now - 1],
      ["fine", now + 7 * day],
    ]);
    expect(certificateWarnings(now, ca, nodes, lifetime)).to.deep.equal([
      "node gone's certificate ended on 2029-12-31T23:59:59.999Z: it must join again with the join token",
      "node late's certificate ends in 5 days and was not renewed (a node renews at 50–80 % of its lifetime): is it down or cut off?",
    ]);
  });
});
