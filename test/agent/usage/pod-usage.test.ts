import { expect } from "chai";
import { podUsages, usageChanges } from "../../../src/agent/usage/pod-usage.js";
import type { UsageSample } from "../../../src/agent/usage/container-usage.js";
import type { PodUsage } from "../../../src/shared/usage.js";

const T0 = Date.UTC(2026, 11, 4, 21);
const SAMPLED = new Date(T0 + 10_000);
const GiB = 2 ** 30;

/** The base fixture: pod a with containers web and log, pod b with one container, each with its pause container. */
const CONTAINERS = [
  { id: "a-pause", podUid: "a", containerName: undefined, startedAt: new Date(T0) },
  { id: "a-web", podUid: "a", containerName: "web", startedAt: new Date(T0) },
  { id: "a-log", podUid: "a", containerName: "log", startedAt: new Date(T0) },
  { id: "b-app", podUid: "b", containerName: "app", startedAt: new Date(T0 + 6000) },
];
const sample = (cpuSeconds: number, memoryBytes: number, atMs = T0 + 10_000): UsageSample => ({ cpuNanos: cpuSeconds * 1e9, memoryBytes, atMs });

describe("podUsages", () => {
  it("gives each container's figures, by pod, the pause container left out, containers by name", () => {
    const samples = new Map([
      ["a-pause", sample(0.001, 100_000)],
      ["a-web", sample(15, GiB)],
      ["a-log", sample(5.5, 2 ** 20)],
      ["b-app", sample(2, 64 * 2 ** 20)],
    ]);
    const previous = new Map([
      ["a-web", sample(5, GiB / 2, T0)],
      ["a-log", sample(5, 2 ** 20, T0)],
    ]);
    expect(Object.fromEntries(podUsages(CONTAINERS, samples, previous, SAMPLED))).to.deep.equal({
      a: {
        sampledAt: SAMPLED,
        containers: [
          { name: "log", cpuMillis: 50, memoryBytes: 2 ** 20 },
          { name: "web", cpuMillis: 1000, memoryBytes: GiB },
        ],
      },
      // No earlier reading: the rate since its start, 4 s before.
      b: { sampledAt: SAMPLED, containers: [{ name: "app", cpuMillis: 500, memoryBytes: 64 * 2 ** 20 }] },
    });
  });

  it("leaves out a container that could not be read (and a pod with none)", () => {
    const usages = podUsages(CONTAINERS, new Map([["a-web", sample(1, 1)]]), new Map(), SAMPLED);
    expect([...usages.keys()]).to.deep.equal(["a"]);
    expect(usages.get("a")!.containers.map((c) => c.name)).to.deep.equal(["web"]);
  });
});

describe("usageChanges", () => {
  const usage = (cpuMillis: number, memoryBytes: number, at = SAMPLED): PodUsage => ({ sampledAt: at, containers: [{ name: "app", cpuMillis, memoryBytes }] });
  const cases: { name: string; sent: [string, PodUsage][]; now: [string, PodUsage][]; pods: string[]; removed: string[] }[] = [
    {
      name: "the same figures at a later reading: nothing",
      sent: [["a", usage(5, 100)]],
      now: [["a", usage(5, 100, new Date(T0 + 20_000))]],
      pods: [],
      removed: [],
    },
    { name: "CPU changed", sent: [["a", usage(5, 100)]], now: [["a", usage(6, 100)]], pods: ["a"], removed: [] },
    { name: "memory changed", sent: [["a", usage(5, 100)]], now: [["a", usage(5, 101)]], pods: ["a"], removed: [] },
    {
      name: "a new pod",
      sent: [["a", usage(5, 100)]],
      now: [
        ["a", usage(5, 100)],
        ["b", usage(0, 1)],
      ],
      pods: ["b"],
      removed: [],
    },
    {
      name: "a pod gone",
      sent: [
        ["a", usage(5, 100)],
        ["b", usage(0, 1)],
      ],
      now: [["a", usage(5, 100)]],
      pods: [],
      removed: ["b"],
    },
    {
      name: "a container more",
      sent: [["a", usage(5, 100)]],
      now: [["a", { sampledAt: SAMPLED, containers: [...usage(5, 100).containers, { name: "side", cpuMillis: 0, memoryBytes: 0 }] }]],
      pods: ["a"],
      removed: [],
    },
  ];
  for (const { name, sent, now, pods, removed } of cases) {
    it(name, () => {
      const changes = usageChanges(new Map(sent), new Map(now));
      expect(changes.pods.map((pod) => pod.podUid)).to.deep.equal(pods);
      expect(changes.removed).to.deep.equal(removed);
    });
  }
});
