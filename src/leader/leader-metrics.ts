import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { NodeInfo, PodPhase, PodStatusReport } from "../shared/domain.js";
import { BoundedLabel, LATENCY_BUCKETS } from "../shared/metrics.js";
import type { Clock } from "../shared/clock.js";
import type { LeaderStore } from "./store/leader-store.js";

export interface LeaderMetricSources {
  /** The pods as `list` sees them (read at each scrape: gauges of what is, not counters kept apart from the store). */
  pods(): Promise<{ phase: PodPhase; status?: PodStatusReport }[]>;
  nodes(): NodeInfo[];
}

/** Which rollout events end a rollout, and how. */
const ROLLOUT_OUTCOMES: Record<string, string> = { RolloutComplete: "complete", RolloutFailed: "failed", RolledBack: "rolled_back" };

/** From a pod's creation to its placement or its Running: seconds to minutes (an image pull). */
const POD_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * The cluster's metrics as the leader sees them (cube_*): pods by phase, nodes by state, and the latencies and counts
 * of what happens to pods. No label names a pod: a series per pod would grow with every pod ever made.
 */
export class LeaderMetrics {
  private readonly scheduling: Histogram;
  private readonly starting: Histogram;
  private readonly events: Counter<"type" | "reason">;
  private readonly rollouts: Counter<"outcome">;
  private readonly transactions: Histogram<"kind">;
  /** Event reasons are the code's own words, but a node sends them: kept to a bounded set. */
  private readonly reasons = new BoundedLabel(100);
  /** Pods placed by this leader that have not run yet, with their creation time (apply → Running). */
  private readonly awaitingRun = new Map<string, number>();

  constructor(
    registry: Registry,
    sources: LeaderMetricSources,
    private readonly clock: Clock,
  ) {
    const registers = [registry];
    // One read of the pods serves every gauge of one scrape (they are collected at once): 10 000 pods cost one read.
    let reading: ReturnType<LeaderMetricSources["pods"]> | undefined;
    const pods = () => (reading ??= sources.pods().finally(() => (reading = undefined)));
    this.scheduling = new Histogram({
      name: "cube_pod_scheduling_duration_seconds",
      help: "From a pod's creation to its first placement",
      buckets: POD_BUCKETS,
      registers,
    });
    this.starting = new Histogram({
      name: "cube_pod_start_duration_seconds",
      help: "From a pod's creation (its apply) to its first Running report",
      buckets: POD_BUCKETS,
      registers,
    });
    this.events = new Counter({
      name: "cube_events_total",
      help: "Events recorded, by type and reason (Started, BackOff, Failed, Scheduled…)",
      labelNames: ["type", "reason"],
      registers,
    });
    this.rollouts = new Counter({
      name: "cube_rollouts_total",
      help: "Rollouts ended, by outcome (complete, failed, rolled_back)",
      labelNames: ["outcome"],
      registers,
    });
    this.transactions = new Histogram({
      name: "cube_store_transaction_duration_seconds",
      help: "Store transactions, by kind (read, write), waits included",
      labelNames: ["kind"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    new Gauge({
      name: "cube_pods",
      help: "Pods by phase",
      labelNames: ["phase"],
      registers,
      async collect() {
        this.reset();
        for (const [phase, count] of countBy(await pods(), (pod) => pod.phase)) this.set({ phase }, count);
      },
    });
    new Gauge({
      name: "cube_pod_container_restarts",
      help: "Restarts of the containers of the pods that exist now, summed",
      registers,
      async collect() {
        this.set((await pods()).reduce((sum, pod) => sum + (pod.status?.containers ?? []).reduce((restarts, c) => restarts + c.restartCount, 0), 0));
      },
    });
    new Gauge({
      name: "cube_nodes",
      help: "Nodes by status (Ready, NotReady) and type (Leader, Follower, Standby)",
      labelNames: ["status", "type"],
      registers,
      collect() {
        this.reset();
        for (const [key, count] of countBy(sources.nodes(), (node) => `${node.status}/${node.type}`)) {
          const [status, type] = key.split("/");
          this.set({ status, type }, count);
        }
      },
    });
    new Gauge({
      name: "cube_nodes_cordoned",
      help: "Nodes that take no new pod",
      registers,
      collect() {
        this.set(sources.nodes().filter((node) => node.cordoned).length);
      },
    });
  }

  /** Metrics for the leader, told by `store` of its transactions and events. */
  static observing(registry: Registry, sources: LeaderMetricSources, store: Pick<LeaderStore, "observe">, clock: Clock): LeaderMetrics {
    const metrics = new LeaderMetrics(registry, sources, clock);
    store.observe({
      transaction: (kind, seconds) => metrics.transaction(kind, seconds),
      eventRecorded: (event) => metrics.eventRecorded(event.type, event.reason),
    });
    return metrics;
  }

  /** A pod placed: its first placement's latency; it is then awaited until it runs. */
  podPlaced(uid: string, createdAt: Date, firstPlacement: boolean): void {
    if (!firstPlacement) return;
    this.scheduling.observe(Math.max(0, this.clock.now() - createdAt.getTime()) / 1000);
    this.awaitingRun.set(uid, createdAt.getTime());
  }

  /** A node reported a pod's status: its first Running since it was placed gives its start latency. */
  podReported(uid: string, phase: PodPhase): void {
    const createdAt = this.awaitingRun.get(uid);
    if (createdAt === undefined || phase !== "Running") return;
    this.awaitingRun.delete(uid);
    this.starting.observe(Math.max(0, this.clock.now() - createdAt) / 1000);
  }

  podForgotten(uid: string): void {
    this.awaitingRun.delete(uid);
  }

  eventRecorded(type: string, reason: string): void {
    this.events.inc({ type: type === "Warning" ? "Warning" : "Normal", reason: this.reasons.of(reason) });
    const outcome = ROLLOUT_OUTCOMES[reason];
    if (outcome) this.rollouts.inc({ outcome });
  }

  transaction(kind: "read" | "write", seconds: number): void {
    this.transactions.observe({ kind }, seconds);
  }
}

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
