export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (0-based): doubling from `initialMs`, capped at `maxMs`, with "equal
 * jitter" (half fixed, half random) so that many nodes retrying together spread out but still back off.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  const half = exponential / 2;
  return Math.round(half + random() * half);
}
