import { expect } from "chai";
import { nameChanges, podNames } from "../../src/leader/pod-names.js";
import type { PodSummary } from "../../src/leader/store/store-contract.js";

const T0 = new Date("2026-01-01T00:00:00Z");
function pod(name: string, change: Partial<PodSummary> & { ip?: string; phase?: string; ready?: boolean } = {}): PodSummary {
  const { ip = "10.42.0.2", phase = "Running", ready = true, ...rest } = change;
  return {
    uid: `uid-${name}`,
    name,
    labels: {},
    hostPorts: [],
    createdAt: T0,
    node: "n1",
    status: { phase: phase as "Running", containers: [], ready, ...(ip ? { podIp: ip } : {}) },
    ...rest,
  };
}

interface Case {
  name: string;
  pods: PodSummary[];
  expected: Record<string, string[]>;
}

const cases: Case[] = [
  { name: "a running pod with an address: its name", pods: [pod("db")], expected: { db: ["10.42.0.2"] } },
  { name: "a pod without an address yet: no name", pods: [pod("db", { ip: "" })], expected: {} },
  {
    name: "a pod not running (creating, crashing, done): no name",
    pods: [pod("a", { phase: "ContainerCreating" }), pod("b", { phase: "CrashLoopBackOff" })],
    expected: {},
  },
  { name: "a pod whose deletion was asked: gone before it stops", pods: [pod("db", { deletionRequestedAt: T0 })], expected: {} },
  {
    name: "a deployment's name: its ready replicas, sorted; every replica by its own name",
    pods: [
      pod("web-b", { owner: "web", ip: "10.42.1.7" }),
      pod("web-a", { owner: "web", ip: "10.42.0.9" }),
      pod("web-c", { owner: "web", ip: "10.42.2.4", ready: false }),
    ],
    expected: { "web-b": ["10.42.1.7"], "web-a": ["10.42.0.9"], "web-c": ["10.42.2.4"], web: ["10.42.0.9", "10.42.1.7"] },
  },
  { name: "no pod: no name", pods: [], expected: {} },
];

describe("podNames", () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(Object.fromEntries(podNames(c.pods))).to.deep.equal(c.expected);
    });
  }
});

describe("nameChanges", () => {
  const table = (entries: Record<string, string[]>) => new Map(Object.entries(entries));
  it("nothing changed: nothing to send", () => {
    expect(nameChanges(table({ a: ["1"] }), table({ a: ["1"] }))).to.deep.equal([]);
  });
  it("a name new, one with another address, one gone (sent with no address)", () => {
    expect(nameChanges(table({ a: ["1"], b: ["2"], gone: ["3"] }), table({ a: ["1"], b: ["2", "4"], new: ["5"] }))).to.deep.equal([
      { name: "b", addresses: ["2", "4"] },
      { name: "new", addresses: ["5"] },
      { name: "gone", addresses: [] },
    ]);
  });
});
