import { expect } from "chai";
import { AssignmentHub, type NodeStream } from "../../src/leader/assignment-hub.js";
import type { DesiredPod, PodSpec, KeyedValues, KeyedValuesUpdate, NameRecord, PodNetworkUpdate, ServiceUpdate } from "../../src/shared/domain.js";
import { MemoryLogger } from "../helpers/memory-logger.js";

const desired = (name: string, spec: Partial<PodSpec> = {}): DesiredPod => ({
  uid: `uid-${name}`,
  name,
  labels: {},
  specJson: JSON.stringify({ containers: [{ name: "app", image: "app:1", env: {} }], ...spec }),
  specHash: "h",
  deleting: false,
  purge: false,
  hostPorts: [],
});

/** A node's stream that records what it is sent, as pod names, and why it ended. */
function recordingStream(): NodeStream & { sent: string[][]; networks: string[]; names: string[]; services: string[]; keyed: string[]; ended?: string } {
  const stream = {
    sent: [] as string[][],
    services: [] as string[],
    networks: [] as string[],
    names: [] as string[],
    keyed: [] as string[],
    ended: undefined as string | undefined,
    send: (pods: DesiredPod[]) => void stream.sent.push(pods.map((p) => p.name)),
    sendNetwork: (network: PodNetworkUpdate) =>
      void stream.networks.push(
        `${network.complete ? "all" : "changes"}: ${network.peers.map((peer) => peer.node).join(" ")}${network.removed.length > 0 ? `; gone: ${network.removed.join(" ")}` : ""}`,
      ),
    sendNames: (names: { complete: boolean; records: NameRecord[] }) =>
      void stream.names.push(`${names.complete ? "all" : "changes"}: ${names.records.map((r) => `${r.name}=${r.addresses.join("+")}`).join(" ")}`),
    sendServices: (update: ServiceUpdate) =>
      void stream.services.push(`${update.complete ? "all" : "changes"} v${update.version}: ${update.services.map((s) => s.name).join(" ")}`),
    sendKeyed: (update: KeyedValuesUpdate) =>
      void stream.keyed.push(
        `${update.complete ? "all" : "changes"}: ${update.items.map((i) => `${i.kind}/${i.name}@${i.contentId}`).join(" ")}${update.removed.length ? `; gone: ${update.removed.join(" ")}` : ""}`,
      ),
    end: (reason: string) => void (stream.ended = reason),
  };
  return stream;
}

/** The hub sends on the next turn of the event loop (setImmediate); its reads resolve at once: after this, it has sent. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("AssignmentHub", () => {
  let placed: Map<string, DesiredPod[]>;
  let reads: string[];
  let hub: AssignmentHub;
  let log: MemoryLogger;
  let peers: string[];
  let held: Set<string>;
  let stored: Map<string, KeyedValues>;

  beforeEach(() => {
    held = new Set();
    stored = new Map();
    placed = new Map([
      ["n1", [desired("web")]],
      ["n2", []],
    ]);
    reads = [];
    peers = ["n1"];
    log = new MemoryLogger();
    hub = new AssignmentHub(
      {
        desiredFor: async (node) => {
          reads.push(node);
          if (node === "broken") throw new Error("disk I/O error");
          return placed.get(node) ?? [];
        },
      },
      log,
      {
        network: () => ({
          clusterCidr: "10.42.0.0/16",
          backend: "vxlan",
          peers: peers.map((node) => ({ node, address: "10.0.0.1", subnet: "10.42.0.0/24", engineId: "" })),
        }),
        names: () => [{ name: "web", addresses: ["10.42.0.2"] }],
        services: () => ({ version: 4, complete: true, services: [], removed: [] }),
        holds: (pod) => held.has(pod),
      },
      {
        currentIds: async (refs) => Object.fromEntries(refs.flatMap((ref) => (stored.has(ref) ? [[ref, stored.get(ref)!.contentId]] : []))),
        values: async (refs) => refs.flatMap((ref) => (stored.has(ref) ? [stored.get(ref)!] : [])),
      },
    );
  });

  it("sends a node that connects every service, and every connected node the services that change", async () => {
    const stream = recordingStream();
    hub.connect("n1", stream);
    const service = { name: "api", clusterIp: "10.43.0.1", type: "ClusterIP" as const, externalTrafficPolicy: "Cluster" as const, ports: [], endpoints: [] };
    hub.servicesChanged({ version: 5, complete: false, services: [service], removed: [] });
    expect(stream.services).to.deep.equal(["all v4: ", "changes v5: api"]);
    expect(hub.connectedNodes()).to.deep.equal(["n1"]);
  });

  it("sends a pod being deleted as running while services still send it traffic, as deleting once they no longer do", async () => {
    placed.set("n1", [{ ...desired("web"), deleting: true }]);
    held.add("web");
    const stream = { ...recordingStream(), pods: [] as DesiredPod[][] };
    hub.connect("n1", { ...stream, send: (pods) => void stream.pods.push(pods) });
    await turn();
    held.delete("web");
    hub.notify("n1");
    await turn();
    expect(stream.pods.map((pods) => pods.map((pod) => pod.deleting))).to.deep.equal([[false], [true]]);
  });

  it("sends a node that connects every name, and every connected node the names that change", async () => {
    const stream = recordingStream();
    hub.connect("n1", stream);
    hub.namesChanged([
      { name: "db", addresses: ["10.42.1.3"] },
      { name: "web", addresses: [] },
    ]);
    expect(stream.names).to.deep.equal(["all: web=10.42.0.2", "changes: db=10.42.1.3 web="]);
  });

  it("sends every node one change of names as one object (made into a message and encoded once for all)", () => {
    const received: object[] = [];
    for (const node of ["n1", "n2", "n3"]) hub.connect(node, { ...recordingStream(), sendNames: (names) => void received.push(names) });
    received.length = 0; // what each got as it connected
    hub.namesChanged([{ name: "db", addresses: ["10.42.1.3"] }]);
    expect(received).to.have.length(3);
    expect(new Set(received).size).to.equal(1);
  });

  it("sends a node that connects the whole pod network, then every connected node what changed, changes that come together at once", async () => {
    const first = recordingStream();
    const second = recordingStream();
    hub.connect("n1", first);
    await turn();
    hub.networkChanged(); // the first change the hub sees: all of it
    await turn();
    peers = ["n1", "n2", "n3"];
    hub.connect("n2", second);
    hub.networkChanged();
    hub.networkChanged();
    await turn();
    peers = ["n1", "n3"];
    hub.networkChanged();
    await turn();
    hub.networkChanged(); // nothing changed: nothing sent
    await turn();
    expect(first.networks).to.deep.equal(["all: n1", "all: n1", "changes: n2 n3", "changes: ; gone: n2"]);
    expect(second.networks).to.deep.equal(["all: n1 n2 n3", "changes: n2 n3", "changes: ; gone: n2"]);
  });

  it("sends a node the secrets and configs its running pods use, before its pods: only what changed, and drops what no pod uses", async () => {
    const value = (kind: "secret" | "config", name: string, contentId: string): KeyedValues => ({
      kind,
      name,
      revision: 1,
      contentId,
      secretType: "",
      data: new Map([["k", Buffer.from("v")]]),
    });
    stored.set("secret/db", value("secret", "db", "a"));
    stored.set("config/app", value("config", "app", "b"));
    stored.set("secret/other", value("secret", "other", "c"));
    const usesDb = desired("web", { containers: [{ name: "app", image: "app:1", env: { P: { secretKeyRef: { name: "db", key: "k" } } } }] });
    const usesApp = desired("cache", { containers: [{ name: "app", image: "app:1", env: {} }], volumes: [{ name: "c", config: { name: "app" } }] });
    placed.set("n1", [usesDb]);
    placed.set("n2", []);
    const order: string[] = [];
    const first = recordingStream();
    const second = recordingStream();
    hub.connect("n1", {
      ...first,
      sendKeyed: (update) => (order.push("keyed"), first.sendKeyed(update)),
      send: (pods) => (order.push("pods"), first.send(pods)),
    });
    hub.connect("n2", second);
    await turn();
    hub.keyedChanged(); // nothing changed for either node: nothing sent
    await turn();
    stored.set("secret/db", value("secret", "db", "a2"));
    stored.set("secret/other", value("secret", "other", "c2"));
    hub.keyedChanged();
    await turn();
    placed.set("n1", [{ ...usesDb, deleting: true }, usesApp]);
    hub.notify("n1");
    await turn();
    expect(first.keyed).to.deep.equal(["all: secret/db@a", "changes: secret/db@a2", "changes: config/app@b; gone: secret/db"]);
    expect(second.keyed).to.deep.equal(["all: "]);
    expect(order.slice(0, 2)).to.deep.equal(["keyed", "pods"]);
  });

  it("sends a node its pods even when the values they use cannot be read (they wait as missing), and says why", async () => {
    placed.set("n1", [desired("web", { containers: [{ name: "app", image: "app:1", env: { P: { secretKeyRef: { name: "db", key: "k" } } } }] })]);
    hub = new AssignmentHub(
      { desiredFor: async (node) => placed.get(node) ?? [] },
      log,
      {
        network: () => ({ clusterCidr: "10.42.0.0/16", backend: "vxlan", peers: [] }),
        names: () => [],
        services: () => ({ version: 1, complete: true, services: [], removed: [] }),
        holds: () => false,
      },
      {
        currentIds: async () => ({ "secret/db": "a" }),
        values: async () => {
          throw new Error("secret/db: its sealed value does not open (altered, or sealed for another secret)");
        },
      },
    );
    const stream = recordingStream();
    hub.connect("n1", stream);
    await turn();
    expect([stream.sent, stream.keyed]).to.deep.equal([[["web"]], []]);
    expect(
      log.lines.some((line) => line.includes("cannot send node n1 the secrets and configs its pods use: secret/db: its sealed value does not open")),
    ).to.equal(true);
  });

  it("sends a node that connects the pods placed on it, read from the source", async () => {
    const stream = recordingStream();
    hub.connect("n1", stream);
    await turn();
    expect(stream.sent).to.deep.equal([["web"]]);
  });

  it("coalesces notifications that come together into one message per node, for the nodes concerned only", async () => {
    const [n1, n2] = [recordingStream(), recordingStream()];
    hub.connect("n1", n1);
    hub.connect("n2", n2);
    await turn();
    placed.set("n1", [desired("web"), desired("db")]);
    reads.length = 0;
    hub.notify("n1");
    hub.notify("n1");
    hub.notify("unknown");
    await turn();
    expect(reads).to.deep.equal(["n1"]);
    expect(n1.sent).to.deep.equal([["web"], ["web", "db"]]);
    expect(n2.sent).to.deep.equal([[]]);
  });

  it("sends to a node's newest stream; the older one's disconnect does not remove the newer", async () => {
    const [older, newer] = [recordingStream(), recordingStream()];
    const disconnectOlder = hub.connect("n1", older);
    hub.connect("n1", newer);
    disconnectOlder();
    await turn();
    hub.notify("n1");
    await turn();
    expect(older.sent).to.deep.equal([]);
    expect(newer.sent).to.deep.equal([["web"], ["web"]]);
  });

  it("ends a node's stream when told to, and sends it nothing more", async () => {
    const stream = recordingStream();
    hub.connect("n1", stream);
    hub.disconnect("n1", "the node was NotReady: join again");
    await turn();
    hub.notify("n1");
    await turn();
    expect(stream.ended).to.equal("the node was NotReady: join again");
    expect(stream.sent).to.deep.equal([]);
  });

  it("ends every node's stream at once when the leader stops", async () => {
    const streams = [recordingStream(), recordingStream()];
    hub.connect("n1", streams[0]);
    hub.connect("n2", streams[1]);
    hub.disconnectAll("the leader is stopping");
    expect(streams.map((stream) => stream.ended)).to.deep.equal(["the leader is stopping", "the leader is stopping"]);
    hub.notify("n1");
    await turn();
    expect(streams[0].sent).to.deep.equal([]);
  });

  it("logs a failed read and goes on with the other nodes", async () => {
    const [broken, n1] = [recordingStream(), recordingStream()];
    hub.connect("broken", broken);
    hub.connect("n1", n1);
    await turn();
    expect(log.lines).to.deep.equal(["ERROR cannot send node broken its pods: disk I/O error"]);
    expect(n1.sent).to.deep.equal([["web"]]);
  });
});
