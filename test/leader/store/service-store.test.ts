import { expect } from "chai";
import type { LeaderStoreContract } from "../../../src/leader/store/store-contract.js";
import { STORE_BACKENDS } from "../../helpers/store-backends.js";
import type { Resource } from "../../../src/shared/domain.js";
import { parseManifest } from "../../../src/shared/manifest.js";
import { tempDir } from "../../helpers/temp-dir.js";

const service = (name: string, spec: object) => ({ type: "service", metadata: { name }, spec: { selector: { app: name }, ...spec } });
const publishing = (name: string, hostPort: number) => ({
  type: "pod",
  metadata: { name },
  spec: { containers: [{ name: "main", image: "busybox", ports: [{ containerPort: 80, hostPort }] }] },
});

/** Validates `resources` as a manifest (defaults applied) and applies it: each result, or the refusal's words. */
async function apply(store: LeaderStoreContract, ...resources: object[]): Promise<string> {
  const manifest = parseManifest(JSON.stringify(resources));
  if (!manifest.ok) throw new Error(manifest.problems.join("\n"));
  try {
    const results = await store.applyResources(manifest.entries, new Date());
    return results.map((r) => `${r.type}/${r.name} ${r.outcome}`).join(", ");
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
}

for (const backend of STORE_BACKENDS)
  describe(`the leader's store (${backend.name}): services`, () => {
    let dir: ReturnType<typeof tempDir>;
    let store: LeaderStoreContract;

    beforeEach(async () => {
      dir = tempDir("service-store");
      store = await backend.open(dir.path);
    });
    afterEach(async () => {
      await store.close();
      dir.remove();
    });

    it("gives each service a virtual IP it keeps for its life, and a freed one to the next", async () => {
      expect(await apply(store, service("web", { ports: [{ port: 80 }] }), service("db", { ports: [{ port: 5432 }] }))).to.equal(
        "service/web created, service/db created",
      );
      const web = (await store.services.get("web"))!;
      expect([web.clusterIp, (await store.services.get("db"))!.clusterIp]).to.deep.equal(["10.43.0.1", "10.43.0.2"]);
      expect(web.spec.ports).to.deep.equal([{ port: 80, targetPort: 80, protocol: "tcp" }]);
      expect(await apply(store, service("web", { ports: [{ port: 80 }] }))).to.equal("service/web unchanged");
      expect(await apply(store, service("web", { ports: [{ port: 8080 }] }))).to.equal("service/web configured");
      expect((await store.services.get("web"))!.clusterIp).to.equal("10.43.0.1");
      expect(await store.services.remove("web")).to.equal(true);
      expect(await apply(store, service("api", { ports: [{ port: 80 }] }))).to.equal("service/api created");
      expect((await store.services.get("api"))!.clusterIp).to.equal("10.43.0.1");
    });

    it("chooses a NodePort service's node port, keeps it when applied again, and refuses one another service holds", async () => {
      await apply(store, service("web", { type: "NodePort", ports: [{ port: 80 }] }));
      expect((await store.services.get("web"))!.spec.ports[0].nodePort).to.equal(30000);
      expect(await apply(store, service("web", { type: "NodePort", ports: [{ port: 80 }], externalTrafficPolicy: "Local" }))).to.equal(
        "service/web configured",
      );
      expect((await store.services.get("web"))!.spec.ports[0].nodePort).to.equal(30000);
      expect(await apply(store, service("api", { type: "NodePort", ports: [{ port: 80, nodePort: 30000 }] }))).to.equal(
        "refused: service/api: node port 30000/tcp is held by another service",
      );
      expect(await store.services.get("api")).to.equal(undefined);
    });

    it("takes a node port named outside the range (a Compose file's 8080), but never a node's own API port", async () => {
      const now = new Date();
      await store.nodes.saveNode({
        name: "n2",
        nodeId: "n2-id",
        type: "Follower",
        address: "10.0.0.2:4243",
        status: "Ready",
        joinedAt: now,
        lastHeartbeatAt: now,
        labels: {},
        cpuMillis: 1000,
        memoryBytes: 1 << 30,
        cordoned: false,
        engineId: "e2",
      });
      expect(await apply(store, service("web", { type: "NodePort", ports: [{ port: 80, nodePort: 8080 }] }))).to.equal("service/web created");
      expect(await apply(store, service("api", { type: "NodePort", ports: [{ port: 80, nodePort: 4243 }] }))).to.equal(
        "refused: service/api: node port 4243/tcp is node n2's API port: name another",
      );
    });

    it("refuses, all or nothing, a pod's host port that is a service's node port, and a node port a placed pod publishes", async () => {
      await apply(store, service("web", { type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }));
      expect(await apply(store, publishing("a", 30081), publishing("b", 30080))).to.equal(
        "refused: pod/b: host port 30080/tcp is service/web's node port (open on every node)",
      );
      expect(await store.pods.get("a")).to.equal(undefined);
      await apply(store, publishing("c", 30090));
      const [uid] = [(await store.pods.get("c"))!.uid];
      await store.pods.assign([
        {
          uid,
          node: "n1",
          hostPorts: [{ container: "main", containerPort: 80, protocol: "tcp", hostAddress: "", hostPort: 30090 }],
          event: { time: new Date(), type: "Normal", reason: "Scheduled", message: "", node: "" },
        },
      ]);
      expect(await apply(store, service("api", { type: "NodePort", ports: [{ port: 80, nodePort: 30090 }] }))).to.equal(
        "refused: service/api: node port 30090/tcp is published as a host port by pod/c",
      );
    });
  });

// The manifest's rules for services, beyond the store's.
describe("a service's manifest", () => {
  const problems = (resource: object) => {
    const parsed = parseManifest(JSON.stringify(resource));
    return parsed.ok ? (parsed.entries[0].resource as Resource) : parsed.problems;
  };
  it("needs a selector, names several ports, gives node ports and Local to NodePort services only", () => {
    expect(problems({ type: "service", metadata: { name: "a" }, spec: { selector: {}, ports: [{ port: 80 }] } })).to.deep.equal([
      "spec.selector: must select pods by at least one label",
    ]);
    expect(problems(service("a", { ports: [{ port: 80 }, { port: 81 }] }))).to.deep.equal([
      "spec.ports[0].name: required when a service has several ports",
      "spec.ports[1].name: required when a service has several ports",
    ]);
    expect(problems(service("a", { ports: [{ port: 80, nodePort: 30000 }], externalTrafficPolicy: "Local" }))).to.deep.equal([
      "spec.ports[0].nodePort: only a service of type NodePort has node ports",
      "spec.externalTrafficPolicy: Local applies to a NodePort service's outside traffic only",
    ]);
  });
});
