import { expect } from "chai";
import { networkInterfaces } from "node:os";
import { leaderHosts } from "../../src/leader/leader-certificate.js";

describe("the names of the leader's certificate", () => {
  it("a leader on one address: that address, its host name, loopback, and the extras", () => {
    const hosts = leaderHosts({ host: "10.1.2.3", port: 4242 }, ["cube.example.com", "203.0.113.7"]);
    expect(hosts).to.include.members(["10.1.2.3", "localhost", "127.0.0.1", "::1", "cube.example.com", "203.0.113.7"]);
    const own = Object.values(networkInterfaces())
      .flat()
      .map((a) => a!.address)
      .filter((a) => a !== "127.0.0.1" && a !== "::1");
    for (const address of own) expect(hosts).to.not.include(address);
  });

  it("a leader on a wildcard address: every address of its host", () => {
    const own = Object.values(networkInterfaces())
      .flat()
      .map((a) => a!.address.replace(/%.*$/, ""));
    expect(leaderHosts({ host: "0.0.0.0", port: 4242 }, [])).to.include.members(own);
  });
});
