/** How many warm sandboxes a node keeps: at least `least` (`--warm-sandboxes`), up to `most` after bursts. */
export interface WarmPoolSize {
  least: number;
  most: number;
}

/** No warm sandbox at all (a node of the fake runtime, a leader that runs no pods, a node that left). */
export const NO_WARM_POOL: WarmPoolSize = { least: 0, most: 0 };

/** How long a node keeps its pool the size of a burst it saw: a rollout or a batch often comes again. */
export const REMEMBER_BURST_MS = 10 * 60_000;

/**
 * How many warm sandboxes the node should keep, from what its pods took. A burst is the sandboxes pods took from the
 * moment the node got pod work until it was quiet again; once it is over the pool grows to its size (within `most`),
 * so that the next burst like it finds its sandboxes ready, and after `REMEMBER_BURST_MS` without one so large it
 * shrinks back. The clock is the caller's: `now` comes with each call.
 */
export class WarmPoolDemand {
  private underWay = 0;
  /** Bursts over, each with when it ended; only those of the last `REMEMBER_BURST_MS` count. */
  private bursts: { size: number; endedAt: number }[] = [];

  constructor(private size: WarmPoolSize) {}

  /** Pods took `count` sandboxes (warm ones claimed, or made for them). */
  took(count: number): void {
    this.underWay += count;
  }

  /** The node is quiet: the burst under way, if any, is over. */
  quiet(now: number): void {
    if (this.underWay === 0) return;
    this.bursts.push({ size: this.underWay, endedAt: now });
    this.underWay = 0;
  }

  /** Keeps none from now on, whatever comes (the node left the cluster). */
  drain(): void {
    this.size = NO_WARM_POOL;
  }

  target(now: number): number {
    this.bursts = this.bursts.filter((burst) => now - burst.endedAt < REMEMBER_BURST_MS);
    const largest = Math.max(0, ...this.bursts.map((burst) => burst.size));
    return Math.min(this.size.most, Math.max(this.size.least, largest));
  }
}
