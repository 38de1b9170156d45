import type { Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logger.js";
import { afterFailure } from "./after-failure.js";
import { runtimeErrorMessage, type ObservedContainer } from "./container-runtime.js";
import { describeAction, runPodAction, type PodActionDependencies } from "./pod-actions.js";
import { planWarmPool, type WarmPoolSituation } from "./plan-warm-pool.js";
import { WarmPoolDemand, type WarmPoolSize } from "./warm-pool-demand.js";

/**
 * Makes and removes the node's warm sandboxes, one plan at a time, as many as its pods' bursts call for
 * (`WarmPoolDemand`); after a failure, not before a back-off.
 */
export class WarmPoolWorker {
  private running?: Promise<void>;
  private failures = { failures: 0, retryAt: 0 };
  private readonly demand: WarmPoolDemand;

  constructor(
    private readonly deps: {
      actions: PodActionDependencies;
      clock: Clock;
      log: Logger;
      /** How many warm sandboxes the node keeps. */
      size: WarmPoolSize;
      /** A plan is done: the pool may need more. */
      done: () => void;
    },
  ) {
    this.demand = new WarmPoolDemand(deps.size);
  }

  /** Keeps none from now on: the node left the cluster. */
  drain(): void {
    this.demand.drain();
  }

  /** Pods took `count` sandboxes, warm or made for them: what the pool keeps follows. */
  took(count: number): void {
    this.demand.took(count);
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Resolves once the plan at work, if any, is done. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Starts what the pool needs, unless a plan is still at work or the worker is backing off after a failure. */
  tend(observed: ObservedContainer[], situation: Omit<WarmPoolSituation, "target">): void {
    const { clock, log } = this.deps;
    const now = clock.now();
    if (situation.idle) this.demand.quiet(now);
    if (this.running || this.failures.retryAt > now) return;
    const actions = planWarmPool(observed, { ...situation, target: this.demand.target(now) });
    if (actions.length === 0) return;
    this.running = (async () => {
      try {
        for (const action of actions) await runPodAction(this.deps.actions, "", action, {});
        this.failures = { failures: 0, retryAt: 0 };
      } catch (error) {
        this.failures = afterFailure(this.failures, clock.now());
        log.warn(`the warm pool: ${describeAction(actions[0])} failed: ${runtimeErrorMessage(error)}`);
      } finally {
        this.running = undefined;
        this.deps.done();
      }
    })();
  }
}
