import { expect } from "chai";
import { ClusterNames } from "../../../src/agent/network/dns-server.js";
import { PodNetwork } from "../../../src/agent/network/pod-network.js";
import { FakeRuntime } from "../../../src/agent/testing/fake-runtime.js";
import type { PodNetworkSettings } from "../../../src/shared/domain.js";
import { MemoryLogger } from "../../helpers/memory-logger.js";

/** A host with one interface, eth0 at 10.99.0.1 (MTU 1500), and nothing of Cube's yet: it records what it is told. */
function freshHost() {
  const ran: string[] = [];
  const run = async (argv: string[]) => {
    const line = argv.join(" ");
    if (line === "ip -j -d addr show")
      return JSON.stringify([{ ifname: "eth0", mtu: 1500, addr_info: [{ family: "inet", local: "10.99.0.1", prefixlen: 24 }] }]);
    if (line.startsWith("ip -j") || line.startsWith("bridge -j")) return "[]";
    if (line.startsWith("iptables") && line.includes(" -S ")) return "";
    ran.push(line);
    return "";
  };
  return { ran, run };
}

const settings: PodNetworkSettings = {
  clusterCidr: "10.42.0.0/16",
  backend: "vxlan",
  peers: [
    { node: "n1", address: "10.99.0.1", subnet: "10.42.0.0/24", engineId: "e1" },
    { node: "n2", address: "10.99.0.2", subnet: "10.42.1.0/24", engineId: "e2" },
    // On n1's engine: the same host, nothing routed to it.
    { node: "n1b", address: "10.99.0.1", subnet: "10.42.2.0/24", engineId: "e1" },
    // Reached at a loopback address: not from another host.
    { node: "n3", address: "127.0.0.1", subnet: "10.42.3.0/24", engineId: "e3" },
  ],
};

const all = { ...settings, complete: true, removed: [] };

describe("PodNetwork", () => {
  let runtime: FakeRuntime;
  let host: ReturnType<typeof freshHost>;
  let log: MemoryLogger;
  let kept: PodNetworkSettings | undefined;
  let changes: number;
  let network: PodNetwork;
  /** The node n1's pod network, on the test's runtime, host and store (a new one is the node restarted). */
  const podNetwork = () =>
    new PodNetwork({
      node: "n1",
      runtime,
      store: { podNetwork: async () => kept, savePodNetwork: async (value) => void (kept = value) },
      run: host.run,
      log,
      names: new ClusterNames(),
      changed: () => changes++,
    });

  beforeEach(() => {
    runtime = new FakeRuntime();
    host = freshHost();
    log = new MemoryLogger();
    kept = undefined;
    changes = 0;
    network = podNetwork();
  });
  afterEach(() => network.stop());

  it("has none until the leader tells it, then makes the engine network, routes to the other hosts' nodes only, and keeps what it was told", async () => {
    await network.start();
    expect(network.current()).to.equal(undefined);
    await network.update(all);
    await network.stop();
    expect(runtime.networks.get("cube-pods-n1")?.spec).to.deep.include({ subnet: "10.42.0.0/24", gateway: "10.42.0.1", mtu: 1450 });
    expect(network.current()).to.deep.equal({ name: "cube-pods-n1", ready: true });
    expect(changes).to.equal(1);
    // It keeps its own part only: the peers come from the leader at every start.
    expect(kept).to.deep.equal({ ...settings, peers: [settings.peers[0]] });
    expect(host.ran.filter((line) => line.startsWith("ip route"))).to.deep.equal(["ip route replace 10.42.1.0/24 via 10.42.1.0 dev cube.1 onlink proto 67"]);
    expect(host.ran[0]).to.equal("ip link add cube.1 address 0a:58:0a:2a:00:00 mtu 1450 type vxlan id 1 local 10.99.0.1 dev eth0 dstport 8472 nolearning");
    expect(log.lines.join("\n")).to.include("the pods of n3 (127.0.0.1) cannot be reached from here");
  });

  it("sets up again at its start its own part, and leaves the host's routes as they are until the leader says who the peers are", async () => {
    kept = { ...settings, peers: [settings.peers[0]] };
    await network.start();
    expect(network.current()).to.deep.equal({ name: "cube-pods-n1", ready: true });
    expect(network.sandboxNetwork()?.name).to.equal("cube-pods-n1");
    expect(host.ran).to.deep.equal([]);
  });

  it("takes the leader's changes: a peer new, a peer gone", async () => {
    await network.start();
    await network.update(all);
    await network.stop();
    host.ran.length = 0;
    log.lines.length = 0;
    network = podNetwork();
    await network.start();
    await network.update(all);
    await network.update({
      ...settings,
      complete: false,
      peers: [{ node: "n4", address: "10.99.0.4", subnet: "10.42.4.0/24", engineId: "e4" }],
      removed: ["n2"],
    });
    await network.idle();
    // The host showed nothing in place (it records only): each pass plans from scratch, with the peers of that moment.
    expect(host.ran.filter((line) => line.startsWith("ip route")).slice(-1)).to.deep.equal([
      "ip route replace 10.42.4.0/24 via 10.42.4.0 dev cube.1 onlink proto 67",
    ]);
    expect(log.lines.filter((line) => line.includes("cannot be reached")).length, "each unreachable peer said once").to.equal(1);
  });

  it("takes it all down when the node leaves: the engine network goes, and what it kept", async () => {
    await network.start();
    await network.update(all);
    await network.tearDown();
    expect(runtime.networks.has("cube-pods-n1")).to.equal(false);
    expect(network.current()).to.equal(undefined);
    expect(kept).to.equal(undefined);
  });

  it("a node the leader gave no subnet has no pod network: its sandboxes go on the engine's default bridge", async () => {
    await network.start();
    await network.update({ ...all, peers: settings.peers.filter((peer) => peer.node !== "n1") });
    await network.stop();
    expect(network.current()).to.equal(undefined);
    expect(network.sandboxNetwork()).to.equal(undefined);
    expect(runtime.networks.size).to.equal(0);
  });
});
