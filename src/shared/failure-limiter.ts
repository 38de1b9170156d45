import type { Clock } from "./clock.js";

export interface FailureLimits {
  /** Failures a peer may make within `windowMs` before it is refused. */
  maxFailures: number;
  windowMs: number;
  /** How long a peer that reached the limit is refused, whatever it presents. */
  blockMs: number;
}

export const DEFAULT_FAILURE_LIMITS: FailureLimits = { maxFailures: 10, windowMs: 10_000, blockMs: 10_000 };

interface PeerFailures {
  count: number;
  windowStart: number;
  blockedUntil: number;
}

/**
 * Failed authentications per peer host: past the limit, the peer is refused without its secret being checked (a
 * guess that happens to be right must not get through, or guessing would go on at full speed). Blocking is reported
 * once per burst, not once per attempt.
 */
export class FailureLimiter {
  private readonly peers = new Map<string, PeerFailures>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: FailureLimits = DEFAULT_FAILURE_LIMITS,
  ) {}

  /** Milliseconds the peer must still wait, or 0 when it may try. */
  blockedFor(peer: string): number {
    const entry = this.peers.get(peer);
    return entry ? Math.max(0, entry.blockedUntil - this.clock.now()) : 0;
  }

  /** Records a failure; true when it is the one that blocks the peer (the moment to log, once). */
  fail(peer: string): boolean {
    const now = this.clock.now();
    let entry = this.peers.get(peer);
    if (!entry || now - entry.windowStart > this.limits.windowMs) {
      entry = { count: 0, windowStart: now, blockedUntil: entry?.blockedUntil ?? 0 };
      this.peers.set(peer, entry);
    }
    entry.count++;
    if (entry.count >= this.limits.maxFailures && entry.blockedUntil <= now) {
      entry.blockedUntil = now + this.limits.blockMs;
      entry.count = 0;
      entry.windowStart = now;
      this.forgetIdle(now);
      return true;
    }
    return false;
  }

  /** Keeps the map from growing with every peer that ever failed once. */
  private forgetIdle(now: number): void {
    for (const [peer, entry] of this.peers) {
      if (entry.blockedUntil <= now && now - entry.windowStart > this.limits.windowMs) this.peers.delete(peer);
    }
  }
}
