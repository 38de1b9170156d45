import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock } from "../../shared/clock.js";
import { GuessLimiter } from "../../shared/tls/guess-limiter.js";

/** How long a browser stays logged in. */
const SESSION_MS = 12 * 3600_000;
/** Sessions kept at most: the oldest go first, so that logins cannot grow the table without end. */
const MAX_SESSIONS = 1000;

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * The web view's logins, with the admin password (the CLI's): a random session token in an HttpOnly cookie, kept in
 * memory (a restarted leader asks again). Wrong passwords count against the peer as the API's do: ten in 10 s, then
 * 10 s of refusal, the password unchecked meanwhile.
 */
export class WebSessions {
  private readonly sessions = new Map<string, number>();
  private readonly guesses: GuessLimiter;

  constructor(
    private readonly password: string,
    private readonly clock: Clock,
  ) {
    this.guesses = new GuessLimiter(clock);
  }

  /** A new session's token, or why not. */
  login(password: string, peer: string): { token: string } | { refused: string } {
    const wait = this.guesses.blockedFor(peer);
    if (wait > 0) return { refused: `too many wrong passwords: try again in ${Math.ceil(wait / 1000)} s` };
    if (!timingSafeEqual(digest(password), digest(this.password))) {
      this.guesses.count(peer);
      return { refused: "wrong password" };
    }
    const token = randomBytes(32).toString("base64url");
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(token, this.clock.now() + SESSION_MS);
    return { token };
  }

  valid(token: string | undefined): boolean {
    const expires = token === undefined ? undefined : this.sessions.get(token);
    if (expires === undefined) return false;
    if (expires > this.clock.now()) return true;
    this.sessions.delete(token!);
    return false;
  }

  logout(token: string | undefined): void {
    if (token !== undefined) this.sessions.delete(token);
  }
}
