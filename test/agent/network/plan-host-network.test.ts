import { expect } from "chai";
import {
  desiredRules,
  planHairpin,
  planHostNetwork,
  podNetworkMtu,
  vtepOf,
  type HostNetworkDesired,
  type HostNetworkObserved,
} from "../../../src/agent/network/plan-host-network.js";

const node = "h1";
const desired: HostNetworkDesired = {
  clusterCidr: "10.42.0.0/16",
  subnet: "10.42.0.0/24",
  backend: "vxlan",
  address: "10.99.0.1",
  uplink: { name: "eth0", mtu: 1500 },
  peers: [
    { address: "10.99.0.2", subnet: "10.42.1.0/24" },
    { address: "10.99.0.3", subnet: "10.42.2.0/24" },
  ],
};

/** Everything in place for `desired`: the base fixture every case changes one thing of. */
const inPlace: HostNetworkObserved = {
  vxlan: { local: "10.99.0.1", id: 1, port: 8472, mtu: 1450, mac: "0a:58:0a:2a:00:00", up: true, addresses: ["10.42.0.0/32"] },
  routes: [
    { dst: "10.42.1.0/24", gateway: "10.42.1.0", dev: "cube.1", onlink: true },
    { dst: "10.42.2.0/24", gateway: "10.42.2.0", dev: "cube.1", onlink: true },
  ],
  neighbours: [
    { dst: "10.42.1.0", mac: "0a:58:0a:2a:01:00" },
    { dst: "10.42.2.0", mac: "0a:58:0a:2a:02:00" },
  ],
  forwarding: [
    { mac: "0a:58:0a:2a:01:00", dst: "10.99.0.2" },
    { mac: "0a:58:0a:2a:02:00", dst: "10.99.0.3" },
  ],
  rules: desiredRules(node, "10.42.0.0/24", "10.42.0.0/16"),
};

const nothing: HostNetworkObserved = { routes: [], neighbours: [], forwarding: [], rules: [] };
const hostGw: HostNetworkDesired = { ...desired, backend: "host-gw" };
const hostGwInPlace: HostNetworkObserved = {
  ...nothing,
  routes: [
    { dst: "10.42.1.0/24", gateway: "10.99.0.2", dev: "eth0", onlink: false },
    { dst: "10.42.2.0/24", gateway: "10.99.0.3", dev: "eth0", onlink: false },
  ],
  rules: inPlace.rules,
};

const filterRule = (source: string, destination: string) => ["-s", source, "-d", destination, "-m", "comment", "--comment", "cube-pods:h1", "-j", "ACCEPT"];
const masquerade = ["-s", "10.42.0.0/24", "!", "-d", "10.42.0.0/16", "-m", "comment", "--comment", "cube-pods:h1", "-j", "MASQUERADE"];
const allRules = [
  ["iptables", "-t", "filter", "-I", "DOCKER-USER", "1", ...filterRule("10.42.0.0/24", "10.42.0.0/16")],
  ["iptables", "-t", "filter", "-I", "DOCKER-USER", "1", ...filterRule("10.42.0.0/16", "10.42.0.0/24")],
  [
    "iptables",
    "-t",
    "filter",
    "-I",
    "DOCKER-USER",
    "1",
    ...["-m", "conntrack", "--ctstate", "DNAT", "--ctreplsrc", "10.42.0.0/16"],
    ...filterRule("", "").slice(4),
  ],
  ["iptables", "-t", "nat", "-A", "POSTROUTING", ...masquerade],
].map((argv) => argv.join(" "));
const endpoint = (octet: number) => [
  `bridge fdb replace 0a:58:0a:2a:0${octet}:00 dev cube.1 dst 10.99.0.${octet + 1} self permanent`,
  `ip neigh replace 10.42.${octet}.0 lladdr 0a:58:0a:2a:0${octet}:00 dev cube.1 nud permanent`,
];
const vxlanRoute = (octet: number) => `ip route replace 10.42.${octet}.0/24 via 10.42.${octet}.0 dev cube.1 onlink proto 67`;
const makeDevice = [
  "ip link add cube.1 address 0a:58:0a:2a:00:00 mtu 1450 type vxlan id 1 local 10.99.0.1 dev eth0 dstport 8472 nolearning",
  "ip addr add 10.42.0.0/32 dev cube.1",
  "ip link set cube.1 up",
];

interface Case {
  name: string;
  desired: HostNetworkDesired | undefined;
  observed: HostNetworkObserved;
  expected: string[];
}

const cases: Case[] = [
  { name: "everything in place: nothing to do", desired, observed: inPlace, expected: [] },
  {
    name: "a fresh host: the device, its address, each peer's endpoint and route, the rules",
    desired,
    observed: nothing,
    expected: [...makeDevice, ...endpoint(1), ...endpoint(2), vxlanRoute(1), vxlanRoute(2), ...allRules],
  },
  {
    name: "a peer joins: its endpoint and route only",
    desired: { ...desired, peers: [...desired.peers, { address: "10.99.0.4", subnet: "10.42.3.0/24" }] },
    observed: inPlace,
    expected: [...endpoint(3), vxlanRoute(3)],
  },
  {
    name: "a peer leaves: its endpoint and route go",
    desired: { ...desired, peers: [desired.peers[0]] },
    observed: inPlace,
    expected: ["bridge fdb del 0a:58:0a:2a:02:00 dev cube.1 dst 10.99.0.3", "ip neigh del 10.42.2.0 dev cube.1", "ip route del 10.42.2.0/24 proto 67"],
  },
  {
    name: "a peer changes address: frames for its endpoint go to the new host",
    desired: { ...desired, peers: [desired.peers[0], { address: "10.99.0.9", subnet: "10.42.2.0/24" }] },
    observed: inPlace,
    expected: ["bridge fdb del 0a:58:0a:2a:02:00 dev cube.1 dst 10.99.0.3", "bridge fdb replace 0a:58:0a:2a:02:00 dev cube.1 dst 10.99.0.9 self permanent"],
  },
  {
    name: "this host changed address: the device is made anew with everything on it",
    desired: { ...desired, address: "10.99.0.7" },
    observed: inPlace,
    expected: [
      "ip link del cube.1",
      makeDevice[0].replace("local 10.99.0.1", "local 10.99.0.7"),
      ...makeDevice.slice(1),
      ...endpoint(1),
      ...endpoint(2),
      vxlanRoute(1),
      vxlanRoute(2),
    ],
  },
  {
    name: "the device is down and lost its address (someone touched it): both put back",
    desired,
    observed: { ...inPlace, vxlan: { ...inPlace.vxlan!, up: false, addresses: [] } },
    expected: ["ip addr add 10.42.0.0/32 dev cube.1", "ip link set cube.1 up"],
  },
  {
    name: "a smaller uplink MTU: the device follows, less VXLAN's 50",
    desired: { ...desired, uplink: { name: "eth0", mtu: 1400 } },
    observed: inPlace,
    expected: ["ip link set cube.1 mtu 1350"],
  },
  {
    name: "a rule deleted by hand comes back; a stale rule of this node goes; another node's rules stay",
    desired,
    observed: {
      ...inPlace,
      rules: [
        ...inPlace.rules.slice(1),
        { table: "filter", chain: "DOCKER-USER", spec: filterRule("10.42.9.0/24", "10.42.0.0/16") },
        { table: "filter", chain: "DOCKER-USER", spec: ["-s", "10.42.5.0/24", "-m", "comment", "--comment", "cube-pods:h2", "-j", "ACCEPT"] },
      ],
    },
    expected: [`iptables -t filter -D DOCKER-USER ${filterRule("10.42.9.0/24", "10.42.0.0/16").join(" ")}`, allRules[0]],
  },
  {
    name: "the last peer left: the device goes, the rules stay",
    desired: { ...desired, peers: [] },
    observed: inPlace,
    expected: ["ip link del cube.1"],
  },
  { name: "no peer and nothing set up: only the rules", desired: { ...desired, peers: [] }, observed: nothing, expected: allRules },
  {
    name: "host-gw on a fresh host: a route to each peer's subnet through the peer",
    desired: hostGw,
    observed: nothing,
    expected: ["ip route replace 10.42.1.0/24 via 10.99.0.2 proto 67", "ip route replace 10.42.2.0/24 via 10.99.0.3 proto 67", ...allRules],
  },
  { name: "host-gw, everything in place: nothing to do", desired: hostGw, observed: hostGwInPlace, expected: [] },
  {
    name: "from VXLAN to host-gw: the device goes with its routes, direct routes come",
    desired: hostGw,
    observed: inPlace,
    expected: ["ip link del cube.1", "ip route replace 10.42.1.0/24 via 10.99.0.2 proto 67", "ip route replace 10.42.2.0/24 via 10.99.0.3 proto 67"],
  },
  {
    name: "from host-gw to VXLAN: the direct routes are replaced through the new device",
    desired,
    observed: hostGwInPlace,
    expected: [...makeDevice, ...endpoint(1), ...endpoint(2), vxlanRoute(1), vxlanRoute(2)],
  },
  {
    name: "torn down (the node left): the device, Cube's routes and this node's rules go",
    desired: undefined,
    observed: { ...inPlace, routes: [...inPlace.routes, { dst: "10.42.7.0/24", gateway: "10.99.0.8", dev: "eth0", onlink: false }] },
    expected: [
      "ip link del cube.1",
      "ip route del 10.42.7.0/24 proto 67",
      ...inPlace.rules.map((rule) => ["iptables", "-t", rule.table, "-D", rule.chain, ...rule.spec].join(" ")),
    ],
  },
  { name: "torn down with nothing left: nothing to do", desired: undefined, observed: nothing, expected: [] },
];

describe("planHostNetwork", () => {
  for (const { name, desired: wanted, observed, expected } of cases) {
    it(name, () => {
      expect(planHostNetwork(node, wanted, observed).map((command) => command.argv.join(" "))).to.deep.equal(expected);
    });
  }

  it("gives every command a reason", () => {
    for (const { command } of cases.flatMap((c) => planHostNetwork(node, c.desired, c.observed).map((command) => ({ command })))) {
      expect(command.reason, command.argv.join(" ")).to.be.a("string").and.not.equal("");
    }
  });
});

describe("vtepOf and podNetworkMtu", () => {
  it("derives a subnet's VXLAN endpoint from its address, so that no one has to tell its MAC", () => {
    expect(vtepOf("10.42.17.0/24")).to.deep.equal({ address: "10.42.17.0", mac: "0a:58:0a:2a:11:00" });
  });

  it("leaves room for VXLAN's 50 bytes, and treats a loopback's 65536 as 1500", () => {
    expect(podNetworkMtu("vxlan", 1500)).to.equal(1450);
    expect(podNetworkMtu("host-gw", 1500)).to.equal(1500);
    expect(podNetworkMtu("vxlan", 65536)).to.equal(1450);
  });
});

describe("planHairpin", () => {
  it("all ports in hairpin mode: nothing to do", () => {
    expect(planHairpin([{ name: "veth1", hairpin: true }])).to.deep.equal([]);
  });
  it("a new sandbox's link: hairpin mode on it alone", () => {
    expect(
      planHairpin([
        { name: "veth1", hairpin: true },
        { name: "veth2", hairpin: false },
      ]).map((command) => command.argv.join(" ")),
    ).to.deep.equal(["ip link set dev veth2 type bridge_slave hairpin on"]);
  });
});
