import { expect } from "chai";
import { Registry } from "prom-client";
import { LeaderMetrics } from "../../src/leader/leader-metrics.js";
import type { NodeInfo, PodPhase, PodStatusReport } from "../../src/shared/domain.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { MetricValues } from "../helpers/metrics.js";

const T0 = new Date(Date.UTC(2026, 11, 4, 21));
const node = (name: string, status: NodeInfo["status"], type: NodeInfo["type"], cordoned = false): NodeInfo => ({
  name,
  status,
  type,
  cordoned,
  address: `${name}:4243`,
  joinedAt: T0,
  lastHeartbeatAt: T0,
  labels: {},
  cpuMillis: 2000,
  memoryBytes: 2 ** 30,
});
const status = (restarts: number[]): PodStatusReport => ({
  phase: "Running",
  containers: restarts.map((restartCount, i) => ({ name: `c${i}`, state: "running", restartCount, image: "busybox" })),
});

describe("LeaderMetrics", () => {
  let clock: FakeClock;
  let registry: Registry;
  let metrics: LeaderMetrics;
  let pods: { phase: PodPhase; status?: PodStatusReport }[];
  let nodes: NodeInfo[];
  const scrape = () => MetricValues.of(registry);

  beforeEach(() => {
    clock = new FakeClock(T0.getTime());
    registry = new Registry();
    pods = [];
    nodes = [];
    metrics = new LeaderMetrics(registry, { pods: async () => pods, nodes: () => nodes }, clock);
  });

  it("counts pods by phase, their restarts, and nodes by status and type, as they are at the scrape", async () => {
    pods = [
      { phase: "Running", status: status([2, 1]) },
      { phase: "Running", status: status([0]) },
      { phase: "Pending" },
      { phase: "Failed", status: status([5]) },
    ];
    nodes = [node("a", "Ready", "Leader"), node("b", "Ready", "Follower", true), node("c", "NotReady", "Follower")];
    const first = await scrape();
    expect(first.value("cube_pods", { phase: "Running" })).to.equal(2);
    expect(first.value("cube_pods", { phase: "Pending" })).to.equal(1);
    expect(first.value("cube_pods", { phase: "Failed" })).to.equal(1);
    expect(first.value("cube_pod_container_restarts")).to.equal(8);
    expect(first.value("cube_nodes", { status: "Ready", type: "Follower" })).to.equal(1);
    expect(first.value("cube_nodes", { status: "NotReady" })).to.equal(1);
    expect(first.value("cube_nodes_cordoned")).to.equal(1);

    pods = [{ phase: "Running", status: status([0]) }];
    const second = await scrape();
    expect(second.value("cube_pods", { phase: "Failed" }), "a phase no pod has any more is gone").to.equal(0);
    expect(second.samples("cube_pods", "cube_pods", {})).to.have.length(1);
  });

  it("times a pod from its creation to its first placement, then to its first Running report only", async () => {
    const created = new Date(clock.now());
    clock.advance(250);
    metrics.podPlaced("a", created, true);
    metrics.podPlaced("b", created, false); // moved from a lost node: not a first placement
    clock.advance(1750);
    metrics.podReported("a", "ContainerCreating");
    metrics.podReported("b", "Running");
    clock.advance(1000);
    metrics.podReported("a", "Running");
    metrics.podReported("a", "Running"); // reported again (a new session): counted once
    const scraped = await scrape();
    expect(scraped.count("cube_pod_scheduling_duration_seconds")).to.equal(1);
    expect(scraped.sum("cube_pod_scheduling_duration_seconds")).to.equal(0.25);
    expect(scraped.count("cube_pod_start_duration_seconds")).to.equal(1);
    expect(scraped.sum("cube_pod_start_duration_seconds")).to.equal(3);
  });

  it("forgets a pod deleted before it ran", async () => {
    metrics.podPlaced("a", new Date(clock.now()), true);
    metrics.podForgotten("a");
    metrics.podReported("a", "Running");
    expect((await scrape()).count("cube_pod_start_duration_seconds")).to.equal(0);
  });

  it("counts events by type and reason, rollouts by outcome, and keeps the reasons a node may send to a bounded set", async () => {
    metrics.eventRecorded("Normal", "Started");
    metrics.eventRecorded("Normal", "Started");
    metrics.eventRecorded("Warning", "BackOff");
    metrics.eventRecorded("Normal", "RolloutComplete");
    metrics.eventRecorded("Warning", "RolledBack");
    for (let i = 0; i < 150; i++) metrics.eventRecorded("Warning", `made-up-${i}`);
    const scraped = await scrape();
    expect(scraped.value("cube_events_total", { reason: "Started" })).to.equal(2);
    expect(scraped.value("cube_events_total", { type: "Warning", reason: "BackOff" })).to.equal(1);
    expect(scraped.value("cube_rollouts_total", { outcome: "complete" })).to.equal(1);
    expect(scraped.value("cube_rollouts_total", { outcome: "rolled_back" })).to.equal(1);
    expect(scraped.samples("cube_events_total", "cube_events_total", {}).length).to.be.at.most(101);
    expect(scraped.value("cube_events_total", { reason: "other" })).to.equal(150 - (100 - 4));
  });
});
