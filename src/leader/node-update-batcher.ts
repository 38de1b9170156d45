import { systemClock, type Clock } from "../shared/clock.js";
import type { NodeUpdate } from "./store/leader-store.js";

/**
 * While updates keep coming, commits start at most this often: each commit costs an fsync, and when a large apply's
 * pods start, thousands of reports arrive over many turns of the event loop (the leader handles them in slices).
 */
export const COMMIT_SPACING_MS = 50;

/**
 * Group commit for what the nodes report: updates that arrive together (in one turn of the event loop, from any
 * number of nodes, or within the spacing of the last commit) are stored in one transaction, so one fsync serves them
 * all. Each submission resolves once its update is committed: an event is acknowledged to its node only then.
 */
export class NodeUpdateBatcher {
  private queue: { update: NodeUpdate; done: (error?: unknown) => void }[] = [];
  private flushing?: Promise<void>;
  private lastCommitStarted = -Infinity;

  constructor(
    private readonly commit: (updates: NodeUpdate[]) => Promise<void>,
    private readonly spacingMs = COMMIT_SPACING_MS,
    private readonly clock: Clock = systemClock,
  ) {}

  submit(update: NodeUpdate): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ update, done: (error) => (error === undefined ? resolve() : reject(error)) });
      this.flushing ??= this.nextCommitTime().then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      this.lastCommitStarted = this.clock.now();
      try {
        await this.commit(batch.map((item) => item.update));
        for (const item of batch) item.done();
      } catch (error) {
        for (const item of batch) item.done(error);
      }
      if (this.queue.length > 0) await this.nextCommitTime();
    }
    this.flushing = undefined;
  }

  /** The next turn of the event loop, or later if the last commit began less than the spacing ago. */
  private nextCommitTime(): Promise<void> {
    const wait = this.lastCommitStarted + this.spacingMs - this.clock.now();
    return wait > 0 ? this.clock.sleep(wait) : new Promise((resolve) => setImmediate(resolve));
  }
}
