import type { Clock } from "../clock.js";

export interface GuessLimits {
  /** Guesses a peer may make within `windowMs` before it is refused. */
  maxGuesses: number;
  windowMs: number;
  /** How long a peer that reached the limit is refused, whatever it presents. */
  blockMs: number;
  /** Peers followed at most: the oldest are forgotten first, so that no flood of addresses grows the table. */
  maxPeers?: number;
}

/** Failed admin passwords: ten in 10 s, then 10 s of refusal. */
export const DEFAULT_GUESS_LIMITS: GuessLimits = { maxGuesses: 10, windowMs: 10_000, blockMs: 10_000 };
const DEFAULT_MAX_PEERS = 10_000;

interface PeerGuesses {
  count: number;
  windowStart: number;
  blockedUntil: number;
}

/**
 * Guesses of a secret per peer (failed passwords; first contacts, each a live guess): past the limit, the peer is
 * refused without its secret being checked (a guess that happens to be right must not get through, or guessing would
 * go on at full speed). Blocking is reported once per burst, not once per attempt. The table is bounded.
 */
export class GuessLimiter {
  private readonly peers = new Map<string, PeerGuesses>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: GuessLimits = DEFAULT_GUESS_LIMITS,
  ) {}

  /** Milliseconds the peer must still wait, or 0 when it may try. */
  blockedFor(peer: string): number {
    const entry = this.peers.get(peer);
    return entry ? Math.max(0, entry.blockedUntil - this.clock.now()) : 0;
  }

  /** Counts a guess; true when it is the one that blocks the peer (the moment to log, once). */
  count(peer: string): boolean {
    const now = this.clock.now();
    let entry = this.peers.get(peer);
    if (!entry || now - entry.windowStart > this.limits.windowMs) {
      entry = { count: 0, windowStart: now, blockedUntil: entry?.blockedUntil ?? 0 };
      this.remember(peer, entry, now);
    }
    entry.count++;
    if (entry.count >= this.limits.maxGuesses && entry.blockedUntil <= now) {
      entry.blockedUntil = now + this.limits.blockMs;
      entry.count = 0;
      entry.windowStart = now;
      return true;
    }
    return false;
  }

  /** Takes back a guess that turned out right (a first contact that ended in a valid proof): only wrong ones add up. */
  refund(peer: string): void {
    const entry = this.peers.get(peer);
    if (entry && entry.count > 0) entry.count--;
  }

  /** How many peers are followed (bounded by `maxPeers`). */
  get size(): number {
    return this.peers.size;
  }

  private remember(peer: string, entry: PeerGuesses, now: number): void {
    this.peers.delete(peer); // re-inserted last: the map's order is the order of last windows
    this.peers.set(peer, entry);
    const max = this.limits.maxPeers ?? DEFAULT_MAX_PEERS;
    if (this.peers.size <= max) return;
    for (const [other, guesses] of this.peers) {
      if (this.peers.size <= max) break;
      // A blocked peer is kept (forgetting it would unblock it) unless nothing else can go.
      if (guesses.blockedUntil <= now) this.peers.delete(other);
    }
    while (this.peers.size > max) this.peers.delete(this.peers.keys().next().value!);
  }
}
