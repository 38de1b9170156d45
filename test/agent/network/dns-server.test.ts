import { Resolver } from "node:dns/promises";
import { readdirSync } from "node:fs";
import { expect } from "chai";
import { ClusterNames, DnsServer, resolveName, type Resolution } from "../../../src/agent/network/dns-server.js";
import { MemoryLogger } from "../../helpers/memory-logger.js";

const names = new ClusterNames();
names.apply({
  complete: true,
  records: [
    { name: "db", addresses: ["10.42.1.3"] },
    { name: "web", addresses: ["10.42.0.5", "10.42.2.9"] },
  ],
});

describe("resolveName", () => {
  const cases: [string, Resolution][] = [
    ["db", { answer: ["10.42.1.3"] }],
    ["db.", { answer: ["10.42.1.3"] }],
    ["DB.Cube.Internal.", { answer: ["10.42.1.3"] }],
    ["web.cube.internal", { answer: ["10.42.0.5", "10.42.2.9"] }],
    ["nothere.cube.internal.", { notFound: true }],
    ["a.db.cube.internal.", { notFound: true }],
    ["cube.internal.", { notFound: true }],
    ["nothere.", { forward: true }],
    ["db.example.com.", { forward: true }],
    ["example.com", { forward: true }],
  ];
  for (const [question, expected] of cases) {
    it(`${question} → ${JSON.stringify(expected)}`, () => expect(resolveName(question, names)).to.deep.equal(expected));
  }
});

describe("DnsServer", () => {
  let server: DnsServer;
  let upstream: DnsServer;
  let resolver: Resolver;

  before(async () => {
    // The node's own resolver, for names outside the cluster: another server, with a name of its own.
    const outside = new ClusterNames();
    outside.apply({ complete: true, records: [{ name: "outside", addresses: ["192.0.2.1"] }] });
    upstream = new DnsServer(outside, new MemoryLogger(), () => []);
    const upstreamPort = await upstream.listen("127.0.0.1", 0);
    server = new DnsServer(names, new MemoryLogger(), () => [{ host: "127.0.0.1", port: upstreamPort }]);
    const port = await server.listen("127.0.0.1", 0);
    resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
  });
  after(() => {
    server.close();
    upstream.close();
  });

  it("answers a real client with the cluster's addresses, a short TTL", async () => {
    expect(await resolver.resolve4("web.cube.internal", { ttl: true })).to.deep.equal([
      { address: "10.42.0.5", ttl: 5 },
      { address: "10.42.2.9", ttl: 5 },
    ]);
    expect(await resolver.resolve4("db")).to.deep.equal(["10.42.1.3"]);
  });

  it("says a name of the zone that no pod has does not exist, and that a cluster name has no IPv6 address", async () => {
    const missing = await resolver.resolve4("gone.cube.internal").catch((error: NodeJS.ErrnoException) => error.code);
    expect(missing).to.equal("ENOTFOUND");
    const v6 = await resolver.resolve6("db.cube.internal").catch((error: NodeJS.ErrnoException) => error.code);
    expect(v6).to.equal("ENODATA");
  });

  it("follows the leader's changes", async () => {
    names.apply({ complete: false, records: [{ name: "late", addresses: ["10.42.0.7"] }] });
    expect(await resolver.resolve4("late.cube.internal")).to.deep.equal(["10.42.0.7"]);
    names.apply({ complete: false, records: [{ name: "late", addresses: [] }] });
    expect(await resolver.resolve4("late.cube.internal").catch((error: NodeJS.ErrnoException) => error.code)).to.equal("ENOTFOUND");
  });

  it("relays other names to the node's resolver and its answer back", async () => {
    expect(await resolver.resolve4("outside")).to.deep.equal(["192.0.2.1"]);
  });

  it("refuses an address that is on no interface, and keeps no descriptor for it (the pod network tries at each change)", async () => {
    const descriptors = () => readdirSync("/proc/self/fd").length;
    const before = descriptors();
    for (let i = 0; i < 20; i++) {
      const failing = new DnsServer(names, new MemoryLogger(), () => []);
      // 192.0.2.0/24 is documentation's (TEST-NET-1): on no interface of a test machine.
      const refusal = await failing.listen("192.0.2.1", 0).catch((error: NodeJS.ErrnoException) => error.code);
      expect(refusal).to.equal("EADDRNOTAVAIL");
    }
    await new Promise((resolve) => setImmediate(resolve)); // closes are done on the next turn
    expect(descriptors()).to.equal(before);
  });
});
