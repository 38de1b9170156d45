import { expect } from "chai";
import { clusterNames } from "../../src/leader/pod-names.js";
import { EndpointCandidates, serviceEntries } from "../../src/leader/service-endpoints.js";
import type { StoredService } from "../../src/leader/store/service-store.js";
import type { PodSummary } from "../../src/leader/store/store-contract.js";

const T0 = new Date("2026-01-01T00:00:00Z");
function pod(name: string, change: Partial<PodSummary> & { ip?: string; phase?: string; ready?: boolean } = {}): PodSummary {
  const { ip = `10.42.0.${name.length}`, phase = "Running", ready = true, ...rest } = change;
  return {
    uid: `uid-${name}`,
    name,
    labels: { app: "web" },
    hostPorts: [],
    createdAt: T0,
    node: "n1",
    status: { phase: phase as "Running", containers: [], ready, ...(ip ? { podIp: ip } : {}) },
    ...rest,
  };
}
const web: StoredService = {
  uid: "u",
  name: "web",
  labels: {},
  clusterIp: "10.43.0.1",
  createdAt: T0,
  manifest: {},
  spec: { type: "ClusterIP", selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080, protocol: "tcp" }], externalTrafficPolicy: "Cluster" },
};

interface Case {
  name: string;
  service?: StoredService;
  pods: PodSummary[];
  /** pod: receives traffic? */
  expected: Record<string, boolean>;
}

const cases: Case[] = [
  { name: "a ready pod the selector matches: an endpoint that receives traffic", pods: [pod("a", { ip: "10.42.0.2" })], expected: { a: true } },
  { name: "its readiness fails: an endpoint that receives none", pods: [pod("a", { ready: false })], expected: { a: false } },
  { name: "its deletion asked: terminating, receives none", pods: [pod("a", { deletionRequestedAt: T0 })], expected: { a: false } },
  { name: "another app's pod: not an endpoint", pods: [pod("a", { labels: { app: "db" } })], expected: {} },
  { name: "a selector's label among others: an endpoint", pods: [pod("a", { labels: { app: "web", tier: "front" } })], expected: { a: true } },
  {
    name: "a selector of two labels: only the pods with both",
    service: { ...web, spec: { ...web.spec, selector: { app: "web", tier: "front" } } },
    pods: [pod("a", { labels: { app: "web", tier: "front" } }), pod("b"), pod("c", { labels: { tier: "front" } })],
    expected: { a: true },
  },
  { name: "no address yet, or not running: not an endpoint", pods: [pod("a", { ip: "" }), pod("b", { phase: "ContainerCreating" })], expected: {} },
  { name: "not placed: not an endpoint", pods: [pod("a", { node: undefined })], expected: {} },
];

describe("EndpointCandidates.endpointsOf", () => {
  for (const c of cases) {
    it(c.name, () => {
      const found = new EndpointCandidates(c.pods).endpointsOf(c.service ?? web);
      expect(Object.fromEntries(found.map((e) => [e.pod, e.ready && !e.terminating]))).to.deep.equal(c.expected);
    });
  }
});

describe("serviceEntries and clusterNames", () => {
  const pods = [
    pod("web-b", { ip: "10.42.1.2", owner: "web" }),
    pod("web-a", { ip: "10.42.0.2", owner: "web" }),
    pod("web-c", { ip: "10.42.2.2", ready: false, owner: "web" }),
  ];

  it("sends nodes only the endpoints that receive traffic, in pod order", () => {
    expect(serviceEntries([web], new EndpointCandidates(pods))[0].endpoints).to.deep.equal([
      { pod: "web-a", node: "n1", address: "10.42.0.2" },
      { pod: "web-b", node: "n1", address: "10.42.1.2" },
    ]);
  });

  it("names a service by its virtual IP (over its deployment's name) and tasks.NAME by its endpoints' addresses", () => {
    const names = clusterNames(pods, serviceEntries([web], new EndpointCandidates(pods)));
    expect(names.get("web")).to.deep.equal(["10.43.0.1"]);
    expect(names.get("tasks.web")).to.deep.equal(["10.42.0.2", "10.42.1.2"]);
    expect(names.get("web-c")).to.deep.equal(["10.42.2.2"]);
  });

  it("a service with no endpoint: its name, but no tasks.NAME", () => {
    const names = clusterNames([], serviceEntries([web], new EndpointCandidates([])));
    expect(names.get("web")).to.deep.equal(["10.43.0.1"]);
    expect(names.has("tasks.web")).to.equal(false);
  });
});
