import type { Clock } from "../../shared/clock.js";
import { mayAct, nextClaimDelay, roleAfterClaim, type LeaseBackend, type LeaseRole, type LeaseTiming } from "./leader-lease.js";

/**
 * Keeps this leader's claim on the lease: claims it every third of its term (renewing its own term, or taking an
 * expired one), and says when the role changes (a term begun, or ended: taken by another, or run out while the
 * database could not be reached). `holder` names this process alone (a restarted leader is another holder: it waits
 * for its old term to end rather than inherit writes it cannot account for).
 */
export class LeaseKeeper {
  private role: LeaseRole = { active: false };
  private nextClaimMs: number;

  constructor(
    private readonly backend: LeaseBackend,
    readonly holder: string,
    private readonly timing: LeaseTiming,
    private readonly clock: Clock,
    private readonly onChange: (role: LeaseRole) => void,
  ) {
    this.nextClaimMs = timing.ttlMs / 3;
  }

  /** The role as last decided. */
  get current(): LeaseRole {
    return this.role;
  }

  /** Whether this leader may act now: active, within its term by its own clock. */
  mayAct(): boolean {
    return mayAct(this.role, this.clock.now());
  }

  /** One claim; the role after it. */
  async claim(): Promise<LeaseRole> {
    const startedAt = this.clock.now();
    const outcome = await this.backend.claim(this.holder, this.role.epoch, this.timing.ttlMs).catch(() => "failed" as const);
    const next = roleAfterClaim(this.role, outcome, startedAt, this.timing);
    this.nextClaimMs = nextClaimDelay(outcome, this.timing);
    const changed = next.active !== this.role.active || next.epoch !== this.role.epoch;
    this.role = next;
    if (changed) this.onChange(next);
    return next;
  }

  /** Claims until `signal` aborts: every third of a term, or as the holder's term ends (see nextClaimDelay). */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.claim();
      await this.clock.sleep(this.nextClaimMs, signal).catch(() => undefined);
    }
  }
}
