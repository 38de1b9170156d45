/**
 * Bounds on the calls anyone may make before proving anything (the first contact): how many run at once, from all
 * and from one address, how long each may take, and how large a message each may send. A crowd of half-open first
 * contacts then holds at most `concurrent × maxMessageBytes` (4 MiB) of the server's memory, and one address cannot
 * take every place (a hundred nodes joining at once from one address retry, with a back-off, until they are in).
 */
export const UNAUTHENTICATED_LIMITS = { concurrent: 64, perHost: 16, deadlineMs: 10_000, maxMessageBytes: 64 * 1024 };

export class UnauthenticatedCalls {
  private running = 0;
  private readonly perHost = new Map<string, number>();

  constructor(private readonly limits = UNAUTHENTICATED_LIMITS) {}

  /** Takes a place for a call from `host`: a function that gives it back (once), or undefined when none is free. */
  admit(host: string): (() => void) | undefined {
    const fromHost = this.perHost.get(host) ?? 0;
    if (this.running >= this.limits.concurrent || fromHost >= this.limits.perHost) return undefined;
    this.running++;
    this.perHost.set(host, fromHost + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const left = (this.perHost.get(host) ?? 1) - 1;
      if (left === 0) this.perHost.delete(host);
      else this.perHost.set(host, left);
    };
  }

  get size(): number {
    return this.running;
  }
}
