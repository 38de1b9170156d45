import { expect } from "chai";
import { stripVTControlCharacters } from "node:util";
import type { NodeTop, PodTop } from "../../src/gen/cube.js";
import { renderTopNodes, renderTopPods, usageAgainstResources } from "../../src/cli/render-top.js";

const MiB = 2 ** 20;
const AT = new Date(Date.UTC(2026, 11, 4, 21));
const pod = (name: string, node: string, containers: [string, number, number][]): PodTop => ({
  name,
  node,
  labels: {},
  usage: { sampledAt: AT, containers: containers.map(([container, cpuMillis, memoryBytes]) => ({ name: container, cpuMillis, memoryBytes })) },
});
const PODS = [
  pod("web", "n1", [
    ["app", 250, 100 * MiB],
    ["log", 2, 3 * MiB],
  ]),
  pod("busy", "n2", [["yes", 998, MiB]]),
  pod("idle", "n1", [["sleep", 0, 0.4 * MiB]]),
];
const NODES: NodeTop[] = [
  { name: "n1", cpuMillis: 252, memoryBytes: 103 * MiB, capacityCpuMillis: 2000, capacityMemoryBytes: 1024 * MiB, pods: 2 },
  { name: "n2", cpuMillis: 998, memoryBytes: MiB, capacityCpuMillis: 2000, capacityMemoryBytes: 1024 * MiB, pods: 1 },
  { name: "n3", cpuMillis: 0, memoryBytes: 0, capacityCpuMillis: 0, capacityMemoryBytes: 0, pods: 0 },
];
const lines = (text: string) => stripVTControlCharacters(text).split("\n");

describe("cube top's tables", () => {
  it("pods: kubectl's columns and units, a pod's containers summed, by name", () => {
    expect(lines(renderTopPods(PODS, { containers: false, wide: false }))).to.deep.equal([
      "NAME | CPU(cores) | MEMORY(bytes)",
      "busy | 998m       | 1Mi",
      "idle | 0m         | 0Mi",
      "web  | 252m       | 103Mi",
    ]);
  });

  it("pods sorted by CPU or memory, biggest first; -o wide adds the node", () => {
    expect(lines(renderTopPods(PODS, { sort: "cpu", containers: false, wide: true })).map((line) => line.split(" | ")[0].trim())).to.deep.equal([
      "NAME",
      "busy",
      "web",
      "idle",
    ]);
    expect(lines(renderTopPods(PODS, { sort: "memory", containers: false, wide: true }))).to.deep.equal([
      "NAME | CPU(cores) | MEMORY(bytes) | NODE",
      "web  | 252m       | 103Mi         | n1",
      "busy | 998m       | 1Mi           | n2",
      "idle | 0m         | 0Mi           | n1",
    ]);
  });

  it("pods with --containers: a line per container", () => {
    expect(lines(renderTopPods(PODS, { containers: true, wide: false }))).to.deep.equal([
      "POD  | NAME  | CPU(cores) | MEMORY(bytes)",
      "busy | yes   | 998m       | 1Mi",
      "idle | sleep | 0m         | 0Mi",
      "web  | app   | 250m       | 100Mi",
      "web  | log   | 2m         | 3Mi",
    ]);
  });

  it("nodes: usage and its share of what the node has; a node that says nothing of its capacity has no share", () => {
    expect(lines(renderTopNodes(NODES, { sort: "cpu", wide: true }))).to.deep.equal([
      "NAME | CPU(cores) | CPU%      | MEMORY(bytes) | MEMORY%   | PODS",
      "n2   | 998m       | 50%       | 1Mi           | 0%        | 1",
      "n1   | 252m       | 13%       | 103Mi         | 10%       | 2",
      "n3   | 0m         | <unknown> | 0Mi           | <unknown> | 0",
    ]);
  });

  it("a container's usage next to its resources (Cube's limits)", () => {
    expect(usageAgainstResources({ name: "app", cpuMillis: 998, memoryBytes: 64 * MiB }, { cpu: 1, memory: "256Mi" })).to.equal(
      "cpu 998m of 1 (100%), memory 64Mi of 256Mi (25%)",
    );
    expect(usageAgainstResources({ name: "app", cpuMillis: 5, memoryBytes: 3 * MiB }, undefined)).to.equal("cpu 5m, memory 3Mi");
    expect(usageAgainstResources(undefined, { cpu: "500m" })).to.equal("");
  });
});
