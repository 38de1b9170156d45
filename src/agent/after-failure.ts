import { backoffDelay } from "../shared/backoff.js";

/** Retries of work the engine refused (a pod's actions, the warm pool's): 1 s doubling to 30 s. */
const ACTION_RETRY_BACKOFF = { initialMs: 1000, maxMs: 30_000 };

/** One more failure of a pod's worker or of the warm pool's: when to try again. */
export function afterFailure(previous: { failures: number } | undefined, now: number): { failures: number; retryAt: number } {
  const failures = (previous?.failures ?? 0) + 1;
  return { failures, retryAt: now + backoffDelay(failures - 1, ACTION_RETRY_BACKOFF) };
}
