import { expect } from "chai";
import { observeServiceRules, planServiceRules, serviceChains, serviceJumps } from "../../../src/agent/network/plan-service-rules.js";
import type { ServiceEntry } from "../../../src/shared/domain.js";

const NODE = "n1";
const chains = serviceChains(NODE);
const web: ServiceEntry = {
  name: "web",
  clusterIp: "10.43.0.1",
  type: "ClusterIP",
  externalTrafficPolicy: "Cluster",
  ports: [{ port: 80, targetPort: 8080, protocol: "tcp" }],
  endpoints: [
    { pod: "web-a", node: "n1", address: "10.42.0.2" },
    { pod: "web-b", node: "n2", address: "10.42.1.2" },
    { pod: "web-c", node: "n3", address: "10.42.2.2" },
  ],
};
const webChain = chains.port("web", web.ports[0]);
const dnat = (address: string, probability?: string) =>
  `-A ${webChain} -p tcp ${probability ? `-m statistic --mode random --probability ${probability} ` : ""}-j DNAT --to-destination ${address}:8080`;
const dispatch = [
  `-A ${chains.services} -d 10.43.0.1/32 -p tcp -m tcp --dport 80 -j ${webChain}`,
  `-A ${chains.services} ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j ${chains.nodePorts}`,
];
const masquerade = [
  `-A ${chains.masquerade} -m mark --mark 0x4000/0x4000 -j MASQUERADE`,
  `-A ${chains.masquerade} -s 10.42.0.2/32 -d 10.42.0.2/32 -j MASQUERADE`,
];
const declared = (...names: string[]) => names.map((name) => `:${name} - [0:0]`);
const natJumps = serviceJumps(NODE)
  .filter((jump) => jump.table === "nat")
  .map((jump) => `-I ${jump.chain} 1 ${jump.spec}`);
const filterJumps = serviceJumps(NODE)
  .filter((jump) => jump.table === "filter")
  .map((jump) => `-I ${jump.chain} 1 ${jump.spec}`);

/** The plan's input: each table's name, then its lines (none: nothing to do). */
function linesOf(plan: ReturnType<typeof planServiceRules>): string[] {
  return plan.restore
    ? plan.restore
        .trim()
        .split("\n")
        .filter((line) => line !== "COMMIT")
    : [];
}

const everything = {
  chains: new Set([webChain, chains.services, chains.nodePorts, chains.masquerade, chains.reject]),
  jumps: new Set(serviceJumps(NODE).map((jump) => jump.key)),
};
const writtenFor = (services: ServiceEntry[]) => planServiceRules(NODE, services, { chains: new Set(), jumps: new Set() }, new Map()).written;

interface Case {
  name: string;
  services: ServiceEntry[] | undefined;
  observed: { chains: Set<string>; jumps: Set<string> };
  written: Map<string, string[]>;
  expected: string[];
}

const cases: Case[] = [
  { name: "all is in place: nothing to do", services: [web], observed: everything, written: writtenFor([web]), expected: [] },
  {
    name: "a fresh host: every chain, each endpoint taken evenly (1/3, then 1/2, then the last), the jumps first in their chains",
    services: [web],
    observed: { chains: new Set(), jumps: new Set() },
    written: new Map(),
    expected: [
      "*nat",
      ...declared(webChain, chains.services, chains.nodePorts, chains.masquerade),
      dnat("10.42.0.2", "0.3333333333"),
      dnat("10.42.1.2", "0.5000000000"),
      dnat("10.42.2.2"),
      ...dispatch,
      ...masquerade,
      ...natJumps,
      "*filter",
      ...declared(chains.reject),
      ...filterJumps,
    ],
  },
  {
    name: "one endpoint leaves: only its service's chain is written again",
    services: [{ ...web, endpoints: web.endpoints.slice(0, 2) }],
    observed: everything,
    written: writtenFor([web]),
    expected: ["*nat", ...declared(webChain), dnat("10.42.0.2", "0.5000000000"), dnat("10.42.1.2")],
  },
  {
    name: "an agent restarted (nothing written yet): its chains are written again, the jumps kept",
    services: [web],
    observed: everything,
    written: new Map(),
    expected: [
      "*nat",
      ...declared(webChain, chains.services, chains.nodePorts, chains.masquerade),
      dnat("10.42.0.2", "0.3333333333"),
      dnat("10.42.1.2", "0.5000000000"),
      dnat("10.42.2.2"),
      ...dispatch,
      ...masquerade,
      "*filter",
      ...declared(chains.reject),
    ],
  },
  {
    name: "the last endpoint left: the virtual IP refuses at once; its chain goes after the dispatch no longer names it",
    services: [{ ...web, endpoints: [] }],
    observed: everything,
    written: writtenFor([web]),
    expected: [
      "*nat",
      ...declared(chains.services, chains.masquerade, webChain),
      `-A ${chains.services} ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j ${chains.nodePorts}`,
      `-A ${chains.masquerade} -m mark --mark 0x4000/0x4000 -j MASQUERADE`,
      `-X ${webChain}`,
      "*filter",
      ...declared(chains.reject),
      `-A ${chains.reject} -d 10.43.0.1/32 -p tcp -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable`,
    ],
  },
  {
    name: "the node left: its jumps go, then its chains",
    services: undefined,
    observed: { chains: new Set([...everything.chains]), jumps: everything.jumps },
    written: new Map(),
    expected: [
      "*nat",
      ...declared(webChain, chains.services, chains.nodePorts, chains.masquerade),
      ...natJumps.map((jump) => jump.replace(/^-I (\S+) 1/, "-D $1")),
      ...[webChain, chains.services, chains.nodePorts, chains.masquerade].map((chain) => `-X ${chain}`),
      "*filter",
      ...declared(chains.reject),
      ...filterJumps.map((jump) => jump.replace(/^-I (\S+) 1/, "-D $1")),
      `-X ${chains.reject}`,
    ],
  },
  {
    name: "a NodePort service (Cluster): its node port marked for masquerade (the reply must come back here), then balanced",
    services: [{ ...web, type: "NodePort", ports: [{ ...web.ports[0], nodePort: 30080 }] }],
    observed: everything,
    written: writtenFor([web]),
    expected: [
      "*nat",
      ...declared(chains.nodePorts),
      `-A ${chains.nodePorts} -p tcp -m tcp --dport 30080 -j MARK --set-xmark 0x4000/0x4000`,
      `-A ${chains.nodePorts} -p tcp -m tcp --dport 30080 -j ${webChain}`,
    ],
  },
  {
    name: "a NodePort service (Local): only this node's endpoints, unmasqueraded",
    services: [{ ...web, type: "NodePort", externalTrafficPolicy: "Local", ports: [{ ...web.ports[0], nodePort: 30080 }] }],
    observed: everything,
    written: writtenFor([web]),
    expected: [
      "*nat",
      ...declared(chains.port("web", web.ports[0], true), chains.nodePorts),
      `-A ${chains.port("web", web.ports[0], true)} -p tcp -j DNAT --to-destination 10.42.0.2:8080`,
      `-A ${chains.nodePorts} -p tcp -m tcp --dport 30080 -j ${chains.port("web", web.ports[0], true)}`,
    ],
  },
  {
    name: "a NodePort service (Local) with no endpoint on this node: its port is not answered here",
    services: [{ ...web, type: "NodePort", externalTrafficPolicy: "Local", ports: [{ ...web.ports[0], nodePort: 30080 }], endpoints: web.endpoints.slice(1) }],
    observed: everything,
    written: writtenFor([web]),
    expected: ["*nat", ...declared(webChain, chains.masquerade), dnat("10.42.1.2", "0.5000000000"), dnat("10.42.2.2"), masquerade[0]],
  },
];

describe("planServiceRules", () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(linesOf(planServiceRules(NODE, c.services, c.observed, c.written))).to.deep.equal(c.expected);
    });
  }

  it("reads a host's listing: this node's chains and jumps only, each jump in its table", () => {
    const other = serviceChains("n2");
    const listing = [
      "*filter",
      `:${chains.reject} - [0:0]`,
      `-A OUTPUT -m comment --comment "cube-svc:n1" -j ${chains.reject}`,
      `-A FORWARD -m comment --comment "cube-svc:n1" -j ${chains.reject}`,
      "COMMIT",
      "*nat",
      `:${chains.services} - [0:0]`,
      `:${webChain} - [0:0]`,
      `:${other.services} - [0:0]`,
      ":DOCKER - [0:0]",
      `-A PREROUTING -m comment --comment "cube-svc:n1" -j ${chains.services}`,
      `-A PREROUTING -m comment --comment "cube-svc:n2" -j ${other.services}`,
      `-A POSTROUTING -m comment --comment "cube-svc:n1" -j ${chains.masquerade}`,
      "COMMIT",
    ].join("\n");
    const observed = observeServiceRules(NODE, listing);
    expect([...observed.chains].sort()).to.deep.equal([chains.reject, chains.services, webChain].sort());
    expect([...observed.jumps].sort()).to.deep.equal(["filter/OUTPUT", "nat/POSTROUTING", "nat/PREROUTING"]);
  });
});
