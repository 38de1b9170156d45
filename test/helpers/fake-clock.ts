import type { Clock } from "../../src/shared/clock.js";

/** A clock that only moves when told to. `sleep` records the delay and returns once time has been advanced past it. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  private waiters: { until: number; resolve: () => void }[] = [];

  constructor(
    private current = Date.UTC(2026, 0, 1),
    /** When true, every sleep advances time by its own delay at once, so loops run without anyone driving them. */
    private readonly autoAdvance = false,
  ) {}

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.autoAdvance) {
      this.current += ms;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = { until: this.current + ms, resolve };
      this.waiters.push(waiter);
      signal?.addEventListener("abort", () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(signal.reason);
      });
    });
  }

  advance(ms: number): void {
    this.current += ms;
    const due = this.waiters.filter((w) => w.until <= this.current);
    this.waiters = this.waiters.filter((w) => w.until > this.current);
    for (const waiter of due) waiter.resolve();
  }
}
