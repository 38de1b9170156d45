import { expect } from "chai";
import { allocateServiceIp, clusterPorts, resolveNodePorts } from "../../src/leader/service-addresses.js";
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
  privileged?: boolean;
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
  { name: "given outside the range (a Compose file's 8080:80): kept", ports: [port(80, 8080)], expected: { ports: [port(80, 8080)] } },
  {
    name: "given below 1024: refused",
    ports: [port(80, 80)],
    expected: {
      problem:
        "node port 80 is below 1024, where a node's own services listen (ssh, dns, a web server): name one from 1024 up (e.g. 8080), or start the leader with --allow-privileged-node-ports",
    },
  },
  { name: "given below 1024 when the leader allows it: kept", ports: [port(80, 80)], privileged: true, expected: { ports: [port(80, 80)] } },
  {
    name: "given on the leader's API port: refused",
    ports: [port(80, 4242)],
    expected: { problem: "node port 4242/tcp is the leader's API port: name another" },
  },
  {
    name: "given on a node's API port: refused",
    ports: [port(80, 4243)],
    expected: { problem: "node port 4243/tcp is node b's API port: name another" },
  },
  { name: "VXLAN's port over tcp: free", ports: [port(80, 8472)], expected: { ports: [port(80, 8472)] } },
  {
    name: "VXLAN's port over udp: refused",
    ports: [port(53, 8472, "udp")],
    expected: { problem: "node port 8472/udp is VXLAN's, which carries pod traffic between nodes: name another" },
  },
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
      const taken = { services: new Set(c.taken ?? []), cluster: clusterPorts(4242, [{ name: "b", address: "10.0.0.2:4243" }]) };
      expect(resolveNodePorts(c.ports, c.before ?? [], taken, { nodePortRange: RANGE, privilegedNodePorts: c.privileged })).to.deep.equal(c.expected);
    });
  }
});
