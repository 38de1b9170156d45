import type { Logger } from "../../shared/logger.js";
import { runtimeErrorMessage } from "../container-runtime.js";

export interface ReconcileLoopOptions {
  /** What the loop keeps as it should be, for its log lines ("the pod network"). */
  what: string;
  /** One pass: brings the host to what is desired, or throws. */
  pass: () => Promise<void>;
  log: Logger;
  /** After a failure, a pass runs again this much later. */
  retryMs: number;
  /** With it, a pass also runs this long after the last one (to restore what someone else changed). */
  recheckMs?: number;
  /** A pass failed: what it knew of the host may be wrong. */
  failed?: () => void;
}

/**
 * One pass at a time of what the agent keeps on its host (the pod network, the services' rules): a pass asked for
 * while one runs runs right after it (asks that come together make one), a failure is logged once until it changes
 * and retried later, and a recovery is said.
 */
export class ReconcileLoop {
  private running?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** The last failure logged, so that a retry that fails the same way is not logged again. */
  private lastFailure?: string;

  constructor(private readonly options: ReconcileLoopOptions) {}

  /** Runs a pass soon: now, or once the one under way ends. */
  trigger(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  /** Resolves once no pass runs (one asked meanwhile included). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** No pass from now on; resolves once the one under way ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.idle();
  }

  private async loop(): Promise<void> {
    const { what, pass, log, retryMs, recheckMs } = this.options;
    do {
      this.again = false;
      try {
        await pass();
        if (this.lastFailure) log.info(`${what} is as it should be again`);
        this.lastFailure = undefined;
      } catch (error) {
        const failure = runtimeErrorMessage(error);
        if (failure !== this.lastFailure) log.error(`cannot set up ${what} (again in ${retryMs / 1000}s): ${failure}`);
        this.lastFailure = failure;
        this.options.failed?.();
      }
    } while (this.again && !this.stopped);
    if (this.stopped) return;
    const next = this.lastFailure ? retryMs : recheckMs;
    if (next !== undefined) this.timer = setTimeout(() => this.trigger(), next);
  }
}
