import { setTimeout as sleepFor } from "node:timers/promises";

/** Time as the code sees it: injected so that tests need neither sleeps nor tolerances. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects with an AbortError when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The longest delay one of Node's timers takes (about 24.8 days): a longer one would fire at once. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  // A long sleep (a certificate that lives a year renews after months) is slept in parts that a timer can take.
  async sleep(ms, signal) {
    const end = Date.now() + ms;
    do await sleepFor(Math.min(Math.max(0, end - Date.now()), LONGEST_TIMER_MS), undefined, { signal });
    while (Date.now() < end);
  },
};

/** Seconds since `started` (a `process.hrtime.bigint()`): a duration measured for the metrics, not the injected clock's. */
export function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}
