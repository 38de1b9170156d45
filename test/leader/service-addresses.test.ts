import { expect } from "chai";
import { allocateServiceIp, resolveNodePorts } from "../../src/leader/service-addresses.js";
import type { ServicePort } from "../../src/shared/domain.js";

const RANGE = { first: 30000, last: 30003 };
const port = (p: number, nodePort?: number, protocol: "tcp" | "udp" = "tcp"): ServicePort => ({
  port: p,
  targetPort: p,
  protocol,
  ...(nodePort ? { nodePort } : {}),
});

describe("allocateServiceIp", () => {
  it("gives the first address not held, past the network's own; a freed one again", () => {
    expect(allocateServiceIp("10.43.0.0/16", [])).to.deep.equal({ address: "10.43.0.1" });
    expect(allocateServiceIp("10.43.0.0/16", ["10.43.0.1", "10.43.0.3"])).to.deep.equal({ address: "10.43.0.2" });
  });
  it("says so when every address is held (never the broadcast address)", () => {
    expect(allocateServiceIp("10.43.0.0/30", ["10.43.0.1", "10.43.0.2"])).to.deep.equal({
      problem: "every address of the service CIDR 10.43.0.0/30 is held (2 services): delete a service, or start the leader with a larger --service-cidr",
    });
  });
});

interface Case {
  name: string;
  ports: ServicePort[];
  before?: ServicePort[];
  taken?: string[];
  expected: { ports: ServicePort[] } | { problem: string };
}

const cases: Case[] = [
  { name: "left out: the first free of the range", ports: [port(80)], taken: ["30000/tcp"], expected: { ports: [port(80, 30001)] } },
  { name: "given and free: kept", ports: [port(80, 30002)], expected: { ports: [port(80, 30002)] } },
  {
    name: "given and held by another service: refused",
    ports: [port(80, 30002)],
    taken: ["30002/tcp"],
    expected: { problem: "node port 30002/tcp is held by another service" },
  },
  { name: "outside the range: refused", ports: [port(80, 31000)], expected: { problem: "node port 31000 is outside the leader's range 30000-30003" } },
  {
    name: "the same number over another protocol: free",
    ports: [port(53, undefined, "udp")],
    taken: ["30000/tcp"],
    expected: { ports: [port(53, 30000, "udp")] },
  },
  { name: "applied again without one: keeps the one it had", ports: [port(80)], before: [port(80, 30003)], expected: { ports: [port(80, 30003)] } },
  { name: "a port given is not handed to another left out", ports: [port(81), port(80, 30000)], expected: { ports: [port(81, 30001), port(80, 30000)] } },
  {
    name: "the range is full: refused",
    ports: [port(80)],
    taken: ["30000/tcp", "30001/tcp", "30002/tcp", "30003/tcp"],
    expected: { problem: "no node port is free in 30000-30003/tcp" },
  },
];

describe("resolveNodePorts", () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(resolveNodePorts(c.ports, c.before ?? [], new Set(c.taken ?? []), RANGE)).to.deep.equal(c.expected);
    });
  }
});
