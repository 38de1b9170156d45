import type { Clock } from "../../shared/clock.js";
import type { Logger } from "../../shared/logger.js";
import type { PodUsage, UsageUpdate } from "../../shared/usage.js";
import type { ContainerRuntime } from "../container-runtime.js";
import type { AgentMetrics } from "../agent-metrics.js";
import { secondsSince } from "../../shared/clock.js";
import type { UsageSample } from "./container-usage.js";
import { podUsages, usageChanges } from "./pod-usage.js";

export const DEFAULT_USAGE_INTERVAL_MS = 10_000;

export interface UsageSamplerOptions {
  node: string;
  runtime: ContainerRuntime;
  clock: Clock;
  log: Logger;
  intervalMs: number;
  /** Sends an update to the leader; false when there is no session to send it on (it is then sent whole later). */
  send: (update: UsageUpdate) => boolean;
  /** The node's metrics, when its server serves them. */
  metrics?: AgentMetrics;
}

/**
 * Measures the node's running pods every interval, in one pass (one listing, one reading per container), and tells
 * the leader what changed. It keeps only the last reading per container (the rates' starting points) and what the
 * leader was last told: no history.
 */
export class UsageSampler {
  private previous = new Map<string, UsageSample>();
  private current = new Map<string, PodUsage>();
  /** What the leader holds from this node; undefined: nothing yet on this session (the next update is complete). */
  private told?: Map<string, PodUsage>;
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private lastFailure?: string;

  constructor(private readonly options: UsageSamplerOptions) {}

  start(): void {
    this.loop = (async () => {
      const { clock, intervalMs } = this.options;
      while (!this.abort.signal.aborted) {
        await this.pass();
        await clock.sleep(intervalMs, this.abort.signal).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /** A new session with the leader: it is told every pod's figures, now and not at the next pass. */
  sessionStarted(): void {
    this.told = undefined;
    this.tell();
  }

  /** One reading of every running container, then what changed is told. */
  async pass(): Promise<void> {
    const { runtime, node, clock, log, metrics } = this.options;
    const started = process.hrtime.bigint();
    try {
      const running = (await runtime.listContainers(node)).filter((container) => container.state === "running" && container.containerName !== undefined);
      const samples = await runtime.sampleUsage(running);
      this.current = podUsages(running, samples, this.previous, new Date(clock.now()));
      this.previous = samples;
      this.lastFailure = undefined;
      metrics?.usagePass(secondsSince(started));
    } catch (error) {
      // The same failure (the engine down) is said once; the figures stay as they were until a pass works.
      const message = (error as Error).message;
      if (message !== this.lastFailure) log.warn(`cannot measure the pods' usage: ${message}`);
      this.lastFailure = message;
      return;
    }
    this.tell();
  }

  private tell(): void {
    const told = this.told;
    const update: UsageUpdate = told
      ? { complete: false, ...usageChanges(told, this.current) }
      : { complete: true, pods: [...this.current].map(([podUid, usage]) => ({ podUid, usage })), removed: [] };
    if (!update.complete && update.pods.length === 0 && update.removed.length === 0) return;
    if (this.options.send(update)) this.told = new Map(this.current);
  }
}
