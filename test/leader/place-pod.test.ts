import { expect } from "chai";
import { GI, idleNode } from "../helpers/placement-fixtures.js";
import { placePod, type PlacementCandidate, type PlacementSettings, type PodNeeds } from "../../src/leader/place-pod.js";

const MI = 2 ** 20;
const spread: PlacementSettings = { policy: "spread", hostPortRange: { first: 30000, last: 30002 } };
const binpack: PlacementSettings = { ...spread, policy: "binpack" };

const node = idleNode;
const busy = (cpuMillis: number, memoryBytes: number, pods = 1) => ({ allocated: { cpuMillis, memoryBytes, pods } });
/** A pod that needs nothing in particular, with `change` applied. */
const pod = (change: Partial<PodNeeds> = {}): PodNeeds => ({ cpuMillis: 0, memoryBytes: 0, hostPorts: [], nodeSelector: {}, ...change });

describe("placePod", () => {
  const cases: { name: string; needs: PodNeeds; nodes: PlacementCandidate[]; settings?: PlacementSettings; expected: ReturnType<typeof placePod> }[] = [
    { name: "everything fits: the one idle node", needs: pod(), nodes: [node("a")], expected: { node: "a", autoPorts: [] } },
    {
      name: "pods without requests go where fewest pods run",
      needs: pod(),
      nodes: [node("a", busy(0, 0, 3)), node("b", busy(0, 0, 1))],
      expected: { node: "b", autoPorts: [] },
    },
    { name: "ties broken by name", needs: pod(), nodes: [node("c"), node("a"), node("b")], expected: { node: "a", autoPorts: [] } },
    {
      name: "a node that is not Ready is skipped, however idle",
      needs: pod(),
      nodes: [node("idle", { status: "NotReady" }), node("busy", busy(0, 0, 9))],
      expected: { node: "busy", autoPorts: [] },
    },
    {
      name: "spread: the least allocated, by CPU and memory shares",
      needs: pod({ cpuMillis: 500, memoryBytes: GI }),
      nodes: [node("half", busy(2000, 4 * GI)), node("quarter", busy(1000, 2 * GI, 5))],
      expected: { node: "quarter", autoPorts: [] },
    },
    {
      name: "binpack: the most allocated that fits",
      needs: pod({ cpuMillis: 500, memoryBytes: GI }),
      nodes: [node("half", busy(2000, 4 * GI)), node("quarter", busy(1000, 2 * GI)), node("full", busy(3800, 7 * GI))],
      settings: binpack,
      expected: { node: "half", autoPorts: [] },
    },
    {
      name: "a node without the memory is skipped",
      needs: pod({ memoryBytes: 2 * GI }),
      nodes: [node("small", busy(0, 7 * GI)), node("big", busy(3000, 4 * GI))],
      expected: { node: "big", autoPorts: [] },
    },
    {
      name: "nothing has the memory: what it needs and the largest free",
      needs: pod({ memoryBytes: 256 * MI }),
      nodes: [node("n1", busy(0, 8 * GI - 64 * MI)), node("n2", busy(0, 8 * GI - 128 * MI))],
      expected: { reason: "insufficient memory: needs 256Mi, largest free 128Mi on n2" },
    },
    {
      name: "nothing has the CPU",
      needs: pod({ cpuMillis: 8000 }),
      nodes: [node("n1"), node("n2", busy(1000, 0))],
      expected: { reason: "insufficient cpu: needs 8, largest free 4 on n1" },
    },
    {
      name: "a fixed host port taken on one node sends the pod to the other",
      needs: pod({ hostPorts: [{ hostPort: 80, protocol: "tcp" }] }),
      nodes: [node("a", { takenPorts: [{ hostPort: 80, protocol: "tcp", hostIP: "*" }] }), node("b", busy(0, 0, 5))],
      expected: { node: "b", autoPorts: [] },
    },
    {
      name: "the same port over another protocol or another address does not conflict",
      needs: pod({
        hostPorts: [
          { hostPort: 80, protocol: "udp" },
          { hostPort: 443, protocol: "tcp", hostIP: "10.0.0.1" },
        ],
      }),
      nodes: [
        node("a", {
          takenPorts: [
            { hostPort: 80, protocol: "tcp", hostIP: "*" },
            { hostPort: 443, protocol: "tcp", hostIP: "10.0.0.2" },
          ],
        }),
      ],
      expected: { node: "a", autoPorts: [] },
    },
    {
      name: "a port on every address conflicts with the same port on one address",
      needs: pod({ hostPorts: [{ hostPort: 443, protocol: "tcp" }] }),
      nodes: [node("a", { takenPorts: [{ hostPort: 443, protocol: "tcp", hostIP: "10.0.0.2" }] })],
      expected: { reason: "host port 443/tcp is taken on 1 of 1 nodes" },
    },
    {
      name: "auto ports: the lowest free ones in the range, in the order asked",
      needs: pod({
        hostPorts: [
          { hostPort: "auto", protocol: "tcp" },
          { hostPort: "auto", protocol: "tcp" },
        ],
      }),
      nodes: [node("a", { takenPorts: [{ hostPort: 30000, protocol: "tcp", hostIP: "*" }] })],
      expected: { node: "a", autoPorts: [30001, 30002] },
    },
    {
      name: "auto ports: none free in the range",
      needs: pod({ hostPorts: [{ hostPort: "auto", protocol: "tcp" }] }),
      nodes: [node("a", { takenPorts: [30000, 30001, 30002].map((hostPort) => ({ hostPort, protocol: "tcp" as const, hostIP: "*" })) })],
      expected: { reason: "a free host port in 30000-30002/tcp is taken on 1 of 1 nodes" },
    },
    {
      name: "a node selector restricts placement to the nodes with its labels",
      needs: pod({ nodeSelector: { zone: "b" } }),
      nodes: [node("a", { labels: { zone: "a" } }), node("b", { labels: { zone: "b" }, ...busy(0, 0, 9) })],
      expected: { node: "b", autoPorts: [] },
    },
    {
      name: "a node selector nothing matches",
      needs: pod({ nodeSelector: { zone: "c", disk: "ssd" } }),
      nodes: [node("a", { labels: { zone: "c" } })],
      expected: { reason: "no Ready node matches its nodeSelector zone=c,disk=ssd" },
    },
    {
      name: "a pod whose persistent volumes exist goes back to their node",
      needs: pod({ boundTo: "b" }),
      nodes: [node("a"), node("b", busy(3000, 7 * GI, 9))],
      expected: { node: "b", autoPorts: [] },
    },
    {
      name: "... and waits while that node is not Ready",
      needs: pod({ boundTo: "b" }),
      nodes: [node("a"), node("b", { status: "NotReady" })],
      expected: { reason: "its persistent volumes are on node b, which is not Ready" },
    },
    {
      name: "no node Ready",
      needs: pod(),
      nodes: [node("a", { status: "NotReady" }), node("b", { status: "NotReady" })],
      expected: { reason: "0/2 nodes are Ready" },
    },
    {
      name: "a cordoned node takes no new pod",
      needs: pod(),
      nodes: [node("a", { cordoned: true }), node("b", { allocated: { cpuMillis: 3000, memoryBytes: 0, pods: 9 } })],
      expected: { node: "b", autoPorts: [] },
    },
    {
      name: "every node cordoned: says so",
      needs: pod(),
      nodes: [node("a", { cordoned: true }), node("b", { status: "NotReady" })],
      expected: { reason: "0/2 nodes are Ready and schedulable (1 cordoned)" },
    },
    {
      name: "a node without a pod subnet (the pod CIDR had none left) takes no pod: no other pod could reach it",
      needs: pod(),
      nodes: [node("a", { noPodSubnet: true }), node("b", { allocated: { cpuMillis: 3000, memoryBytes: 0, pods: 9 } })],
      expected: { node: "b", autoPorts: [] },
    },
    {
      name: "no node that can take a pod: says which are cordoned and which have no pod subnet",
      needs: pod(),
      nodes: [node("a", { cordoned: true }), node("b", { noPodSubnet: true })],
      expected: { reason: "0/2 nodes are Ready and schedulable (1 cordoned, 1 without a pod subnet)" },
    },
    {
      name: "a deployment's replicas spread: the node without one of them first, even busier",
      needs: pod({ owner: "web", cpuMillis: 100 }),
      nodes: [node("a", { owners: new Map([["web", 1]]) }), node("b", { ...busy(2000, 4 * GI, 9), owners: new Map([["db", 3]]) })],
      expected: { node: "b", autoPorts: [] },
    },
    {
      name: "... and where every node has one, the policy decides",
      needs: pod({ owner: "web", cpuMillis: 100 }),
      nodes: [node("a", { owners: new Map([["web", 1]]) }), node("b", { ...busy(2000, 4 * GI, 9), owners: new Map([["web", 1]]) })],
      expected: { node: "a", autoPorts: [] },
    },
    { name: "no node at all", needs: pod(), nodes: [], expected: { reason: "no node has joined the cluster" } },
  ];

  for (const { name, needs, nodes, settings, expected } of cases) {
    it(name, () => expect(placePod(needs, nodes, settings ?? spread)).to.deep.equal(expected));
  }
});
