import { expect } from "chai";
import { readFileSync, statSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { ClusterCa } from "../../../src/leader/identity/cluster-ca.js";
import { LeaderCertificate, leaderHosts } from "../../../src/leader/identity/leader-certificate.js";
import { systemClock } from "../../../src/shared/clock.js";
import { IN_MEMORY } from "../../../src/shared/open-database.js";
import { FakeClock } from "../../helpers/fake-clock.js";
import { eventually } from "../../helpers/processes.js";
import { MemoryLogger } from "../../helpers/memory-logger.js";
import { tempDir } from "../../helpers/temp-dir.js";

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

describe("the leader's certificate across restarts", () => {
  const dir = tempDir("leader-certificate");
  after(() => dir.remove());

  it("is reused while it is valid and names the same hosts, and made anew when the hosts change", async () => {
    const ca = await ClusterCa.open(dir.path, new Date());
    const start = async (hosts: string[]) => {
      const certificate = await LeaderCertificate.create(ca, dir.path, "boss", hosts, 3_600_000, systemClock, new MemoryLogger());
      certificate.stop();
      return readFileSync(join(dir.path, "leader.pem"), "utf8");
    };
    const first = await start(["127.0.0.1", "localhost"]);
    expect(await start(["localhost", "127.0.0.1"])).to.equal(first);
    const moved = await start(["127.0.0.1", "localhost", "10.9.8.7"]);
    expect(moved).to.not.equal(first);
    expect(await start(["127.0.0.1"])).to.not.equal(moved);
    expect(statSync(join(dir.path, "leader-key.pem")).mode & 0o777).to.equal(0o600);
  });
});

describe("the leader's certificate over a long life (an injected clock)", () => {
  it("a one-year certificate: not renewed in its first half year, renewed once past its renewal time, served at once", async () => {
    const clock = new FakeClock(Date.UTC(2030, 0, 1));
    const ca = await ClusterCa.open(IN_MEMORY, new Date(clock.now()));
    const log = new MemoryLogger();
    const year = 365 * 86_400_000;
    const certificate = await LeaderCertificate.create(ca, IN_MEMORY, "boss", ["127.0.0.1"], year, clock, log);
    const renewed = () => log.lines.filter((line) => line.includes("renewed the leader's certificate"));
    const settle = () => new Promise((resolve) => setTimeout(resolve, 100));
    try {
      await settle();
      clock.advance(year / 2 - 86_400_000);
      await settle();
      expect(renewed(), "in its first half year").to.deep.equal([]);
      clock.advance(0.3 * year + 86_400_000); // past 80 %: its renewal time, wherever the draw put it
      await eventually("a renewal", async () => (renewed().length === 1 ? true : undefined), 5000, 20);
      await settle();
      expect(renewed(), "once").to.have.length(1);
      expect(renewed()[0]).to.match(/valid until .*2031/);
    } finally {
      certificate.stop();
    }
  });
});
