import { expect } from "chai";
import { holderText, parseHolder } from "../../../src/leader/election/lease-holder.js";

describe("lease holder: who holds the lease, as the other leaders read it", () => {
  it("names the leader and its address, and tells two processes of one leader apart", () => {
    const first = holderText("leader-1", { host: "10.0.0.1", port: 4242 });
    const restarted = holderText("leader-1", { host: "10.0.0.1", port: 4242 });
    expect(first).to.not.equal(restarted);
    expect(parseHolder(first)).to.deep.equal({ name: "leader-1", address: "10.0.0.1:4242" });
    expect(parseHolder(holderText("v6", { host: "fd00::1", port: 4242 }))).to.deep.equal({ name: "v6", address: "[fd00::1]:4242" });
  });

  it("reads nothing from a holder it did not write (an older leader's, or garbage)", () => {
    for (const text of ["leader-1 3fa2c1d0", "", "leader-1 not-an-address 3fa2c1d0", "a 10.0.0.1:4242 n extra"]) {
      expect(parseHolder(text), text).to.equal(undefined);
    }
  });
});
