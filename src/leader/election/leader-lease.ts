/**
 * Which of several leaders on one database is active: a lease row in that database, held by one leader for a term
 * (an epoch that grows at each change of holder) until it expires unrenewed. The database's own clock judges expiry,
 * so the leaders' clocks need not agree; the database's row lock fences writes (see postgres-lease.ts).
 */

/** What the database says after a claim: the term this leader holds now, or who holds the lease and until when (its clock). */
export type ClaimResult = { held: true; epoch: number } | { held: false; holder: string; epoch: number; expiresInMs: number };

/** The lease as kept in a database (PostgreSQL's in production; a fake in the keeper's tests). */
export interface LeaseBackend {
  /**
   * Takes the lease for `holder` when it is free or expired (a new term: the epoch grows), or renews `holder`'s own
   * term `epoch` for `ttlMs` more (the same epoch); otherwise says who holds it. One statement, atomic.
   */
  claim(holder: string, epoch: number | undefined, ttlMs: number): Promise<ClaimResult>;
}

export interface LeaseTiming {
  /** How long a term lasts unrenewed, by the database's clock. */
  ttlMs: number;
  /**
   * Of the term, how much this leader gives up at its end: it stops acting this long before the database could hand
   * the lease to another, for clocks that run at slightly different rates and for the time a write takes to land.
   */
  marginMs: number;
}

/**
 * A leader's view of its own role: active in term `epoch` until `actUntil` (its own clock), or standing by (`holder`:
 * the active one, when known; `epoch`: the last term seen, its own when it held the last one).
 */
export type LeaseRole = { active: true; epoch: number; actUntil: number } | { active: false; holder?: string; epoch?: number };

/**
 * The role after a claim that started at `startedAt` (this leader's clock): a term held counts from the claim's start
 * (the database set the term's end no earlier than that), less the margin; a term held by another means standing by.
 * After a failed claim (the database unreachable) the role stays as it was, and an active one ends with its term:
 * it keeps its epoch, which a later claim renews if no other leader took a term meanwhile.
 */
export function roleAfterClaim(before: LeaseRole, outcome: ClaimResult | "failed", startedAt: number, timing: LeaseTiming): LeaseRole {
  if (outcome === "failed") return before.active && startedAt >= before.actUntil ? { active: false, epoch: before.epoch } : before;
  if (outcome.held) return { active: true, epoch: outcome.epoch, actUntil: startedAt + timing.ttlMs - timing.marginMs };
  return { active: false, holder: outcome.holder, epoch: outcome.epoch };
}

/** Whether a leader in `role` may act (assign pods, accept writes) at `now`, by its own clock. */
export function mayAct(role: LeaseRole, now: number): boolean {
  return role.active && now < role.actUntil;
}

/**
 * How long to wait before the next claim: a third of a term, so that a holder renews twice before its term could
 * end; but a standby that saw the term end sooner (its holder missed renewals: dead, paused or cut off) claims as it
 * ends, not up to a third of a term later.
 */
export function nextClaimDelay(outcome: ClaimResult | "failed", timing: LeaseTiming): number {
  const period = timing.ttlMs / 3;
  return outcome !== "failed" && !outcome.held ? Math.min(period, Math.max(0, outcome.expiresInMs) + 1) : period;
}
