import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { ProbeKind } from "../shared/domain.js";
import { LATENCY_BUCKETS } from "../shared/metrics.js";
import { secondsSince } from "../shared/clock.js";
import type { ContainerRuntime, ObservedContainer } from "./container-runtime.js";

/** What a node's metrics say of it (cube_node_*): its containers, its engine's latency, its probes, its passes. */
export class AgentMetrics {
  private readonly engineCalls: Histogram<"call" | "outcome">;
  private readonly probes: Counter<"probe" | "result">;
  private readonly syncPasses: Histogram;
  private readonly usagePasses: Histogram;
  /** The last listing's counts, by state and kind (set at each sync pass: a scrape costs the engine nothing). */
  private containers = new Map<string, number>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.engineCalls = new Histogram({
      name: "cube_node_engine_call_duration_seconds",
      help: "Calls to the container engine, by call and outcome (ok, error)",
      labelNames: ["call", "outcome"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.probes = new Counter({
      name: "cube_node_probe_results_total",
      help: "Probe runs, by probe (startup, liveness, readiness) and result",
      labelNames: ["probe", "result"],
      registers,
    });
    this.syncPasses = new Histogram({
      name: "cube_node_sync_duration_seconds",
      help: "One pass of the node's sync loop (list, decide, dispatch)",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.usagePasses = new Histogram({
      name: "cube_node_usage_pass_duration_seconds",
      help: "One pass measuring the node's running pods",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const counts = () => this.containers;
    new Gauge({
      name: "cube_node_containers",
      help: "Cube's containers on the node's engine at the last sync pass, by state and kind (container, sandbox)",
      labelNames: ["state", "kind"],
      registers,
      collect() {
        this.reset();
        for (const [key, count] of counts()) {
          const [state, kind] = key.split("/");
          this.set({ state, kind }, count);
        }
      },
    });
  }

  containersSeen(observed: Pick<ObservedContainer, "state" | "containerName">[]): void {
    const counts = new Map<string, number>();
    for (const container of observed) {
      const key = `${container.state}/${container.containerName === undefined ? "sandbox" : "container"}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    this.containers = counts;
  }

  probeRun(probe: ProbeKind, ok: boolean): void {
    this.probes.inc({ probe, result: ok ? "success" : "failure" });
  }

  syncPass(seconds: number): void {
    this.syncPasses.observe(seconds);
  }

  usagePass(seconds: number): void {
    this.usagePasses.observe(seconds);
  }

  /** The runtime, with every call that returns a promise timed (a log stream is not a call). */
  measured(runtime: ContainerRuntime): ContainerRuntime {
    const engineCalls = this.engineCalls;
    return new Proxy(runtime, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== "function" || typeof property !== "string") return value;
        return (...args: unknown[]) => {
          const started = process.hrtime.bigint();
          const result = value.apply(target, args);
          if (!(result instanceof Promise)) return result;
          const done = (outcome: string) => engineCalls.observe({ call: property, outcome }, secondsSince(started));
          return result.then(
            (resolved) => {
              done("ok");
              return resolved;
            },
            (error: unknown) => {
              done("error");
              throw error;
            },
          );
        };
      },
    });
  }
}
