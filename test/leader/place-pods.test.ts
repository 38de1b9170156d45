import { expect } from "chai";
import type { PlacementCandidate, PlacementSettings, PodNeeds, TakenPort } from "../../src/leader/place-pod.js";
import { placingPods, type PlacementRound } from "../../src/leader/place-pods.js";
import { idleNode } from "../helpers/placement-fixtures.js";
import { runAtOnce } from "../../src/shared/time-slices.js";

const settings: PlacementSettings = { policy: "spread", hostPortRange: { first: 30000, last: 30001 } };

const node = (name: string, change: Partial<PlacementCandidate> = {}) => idleNode(name, { owners: new Map(), ...change });
/** A pod named `name` that needs nothing in particular, with `change` applied. */
const pod = (name: string, change: Partial<PodNeeds> = {}) => ({
  pod: name,
  needs: { cpuMillis: 0, memoryBytes: 0, hostPorts: [], nodeSelector: {}, ...change },
});
const round = (pods: ReturnType<typeof pod>[], nodes: PlacementCandidate[]) => runAtOnce(placingPods(pods, nodes, settings));
const where = ({ placed, unplaceable }: PlacementRound<string>) => [
  ...placed.map(({ pod, node, autoPorts }) => `${pod}→${node}${autoPorts.length ? `:${autoPorts.join(",")}` : ""}`),
  ...unplaceable.map(({ pod, reason }) => `${pod}: ${reason}`),
];

describe("placingPods: one placement round", () => {
  const sharedEngine: TakenPort[] = [];
  const cases: { name: string; pods: ReturnType<typeof pod>[]; nodes: PlacementCandidate[]; expected: string[] }[] = [
    { name: "everything fits: each where it is best", pods: [pod("a"), pod("b")], nodes: [node("n1"), node("n2")], expected: ["a→n1", "b→n2"] },
    {
      name: "room for one of two: the first takes it, the second is said unplaceable",
      pods: [pod("a", { cpuMillis: 3000 }), pod("b", { cpuMillis: 3000 })],
      nodes: [node("n1")],
      expected: ["a→n1", "b: insufficient cpu: needs 3, largest free 1 on n1"],
    },
    {
      name: "the second replica goes elsewhere, though the first's node is the less loaded",
      pods: [pod("w1", { owner: "web" }), pod("w2", { owner: "web" })],
      nodes: [node("idle"), node("busier", { allocated: { cpuMillis: 2000, memoryBytes: 0, pods: 3 } })],
      expected: ["w1→idle", "w2→busier"],
    },
    {
      name: "an auto port is not given twice within a round",
      pods: [pod("a", { hostPorts: [{ hostPort: "auto", protocol: "tcp" }] }), pod("b", { hostPorts: [{ hostPort: "auto", protocol: "tcp" }] })],
      nodes: [node("n1")],
      expected: ["a→n1:30000", "b→n1:30001"],
    },
    {
      name: "a fixed port taken in the round sends the next pod to another node",
      pods: [pod("a", { hostPorts: [{ hostPort: 80, protocol: "tcp" }] }), pod("b", { hostPorts: [{ hostPort: 80, protocol: "tcp" }] })],
      nodes: [node("n1", { allocated: { cpuMillis: 0, memoryBytes: 0, pods: 0 } }), node("n2", { allocated: { cpuMillis: 0, memoryBytes: 0, pods: 5 } })],
      expected: ["a→n1", "b→n2"],
    },
    {
      name: "nodes of one engine share its ports within a round",
      pods: [pod("a", { hostPorts: [{ hostPort: 80, protocol: "tcp" }] }), pod("b", { hostPorts: [{ hostPort: 80, protocol: "tcp" }] })],
      nodes: [node("n1", { takenPorts: sharedEngine }), node("n2", { takenPorts: sharedEngine })],
      expected: ["a→n1", "b: host port 80/tcp is taken on 2 of 2 nodes"],
    },
    { name: "no node: every pod said unplaceable", pods: [pod("a")], nodes: [], expected: ["a: no node has joined the cluster"] },
  ];
  for (const { name, pods, nodes, expected } of cases) it(name, () => expect(where(round(pods, nodes))).to.deep.equal(expected));

  it("leaves the candidates it was given as they were", () => {
    const nodes = [node("n1", { takenPorts: sharedEngine }), node("n2", { takenPorts: sharedEngine })];
    const before = JSON.stringify(nodes, (_, value) => (value instanceof Map ? [...value] : value));
    round([pod("a", { owner: "web", cpuMillis: 100, hostPorts: [{ hostPort: "auto", protocol: "tcp" }] })], nodes);
    expect(JSON.stringify(nodes, (_, value) => (value instanceof Map ? [...value] : value))).to.equal(before);
    expect(sharedEngine).to.deep.equal([]);
  });
});
