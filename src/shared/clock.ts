import { setTimeout as sleepFor } from "node:timers/promises";

/** Time as the code sees it: injected so that tests need neither sleeps nor tolerances. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects with an AbortError when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleepFor(ms, undefined, { signal }),
};
