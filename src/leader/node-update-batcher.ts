import type { NodeUpdate } from "./leader-store.js";

/**
 * Group commit for what the nodes report: updates that arrive together (in one turn of the event loop, from any
 * number of nodes) are stored in one transaction, so one fsync serves them all. Each submission resolves once its
 * update is committed: an event is acknowledged to its node only then.
 */
export class NodeUpdateBatcher {
  private queue: { update: NodeUpdate; done: (error?: unknown) => void }[] = [];
  private flushing?: Promise<void>;

  constructor(private readonly commit: (updates: NodeUpdate[]) => Promise<void>) {}

  submit(update: NodeUpdate): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ update, done: (error) => (error === undefined ? resolve() : reject(error)) });
      this.flushing ??= new Promise<void>((next) => setImmediate(next)).then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.commit(batch.map((item) => item.update));
        for (const item of batch) item.done();
      } catch (error) {
        for (const item of batch) item.done(error);
      }
    }
    this.flushing = undefined;
  }
}
