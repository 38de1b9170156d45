import { expect } from "chai";
import { allocateSubnet } from "../../src/leader/allocate-subnet.js";
import { formatCidr, parseCidr } from "../../src/shared/cidr.js";

describe("allocateSubnet: a node's pod subnet", () => {
  const cases: { name: string; cidr: string; prefix: number; taken: string[]; expected: ReturnType<typeof allocateSubnet> }[] = [
    { name: "no node yet: the first subnet", cidr: "10.42.0.0/16", prefix: 24, taken: [], expected: { subnet: "10.42.0.0/24" } },
    { name: "the next free one", cidr: "10.42.0.0/16", prefix: 24, taken: ["10.42.0.0/24", "10.42.1.0/24"], expected: { subnet: "10.42.2.0/24" } },
    {
      name: "a freed one is handed out again",
      cidr: "10.42.0.0/16",
      prefix: 24,
      taken: ["10.42.0.0/24", "10.42.2.0/24"],
      expected: { subnet: "10.42.1.0/24" },
    },
    { name: "a CIDR not on a /16 boundary of its own", cidr: "172.20.64.0/18", prefix: 24, taken: ["172.20.64.0/24"], expected: { subnet: "172.20.65.0/24" } },
    {
      name: "exhausted: said, with what to do",
      cidr: "10.42.0.0/23",
      prefix: 24,
      taken: ["10.42.0.0/24", "10.42.1.0/24"],
      expected: { problem: "every /24 subnet of the pod CIDR 10.42.0.0/23 is held (2 nodes): remove a node, or start the leader with a larger --pod-cidr" },
    },
    {
      name: "a CIDR smaller than a subnet",
      cidr: "10.42.0.0/25",
      prefix: 24,
      taken: [],
      expected: { problem: "a /24 subnet does not fit in the pod CIDR 10.42.0.0/25" },
    },
    {
      name: "not a CIDR",
      cidr: "10.42.0.0",
      prefix: 24,
      taken: [],
      expected: { problem: 'the pod CIDR "10.42.0.0" is not an IPv4 network (e.g. 10.42.0.0/16)' },
    },
  ];
  for (const { name, cidr, prefix, taken, expected } of cases) it(name, () => expect(allocateSubnet(cidr, prefix, taken)).to.deep.equal(expected));

  it("reads and writes CIDRs, refusing host bits and out-of-range parts", () => {
    expect(parseCidr("10.42.0.0/16")).to.deep.equal({ base: 0x0a2a0000, prefix: 16 });
    expect(formatCidr({ base: 0xc0a80100, prefix: 24 })).to.equal("192.168.1.0/24");
    for (const bad of ["10.42.0.1/16", "10.42.0.256/24", "10.42.0.0/33", "10.42/16", "a.b.c.d/8"]) expect(parseCidr(bad), bad).to.equal(undefined);
  });
});
