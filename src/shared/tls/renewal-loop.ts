import { backoffDelay } from "../backoff.js";
import type { Clock } from "../clock.js";
import { renewalTime } from "./renewal-time.js";

/** Retries of a failed renewal: 1 s doubling to 5 min, and never later than a tenth of the time left. */
const RETRY = { initialMs: 1000, maxMs: 5 * 60_000 };

export interface RenewalLoopOptions {
  clock: Clock;
  /** The certificate in use now (undefined: none, nothing to renew). */
  validity: () => { from: Date; to: Date } | undefined;
  /** Gets and puts in use a new certificate (`validity` tells of it afterwards). */
  renew: () => Promise<void>;
  /** A renewal failed; the next try is in `retryInMs`, with `leftMs` of the certificate's life left. */
  failed: (error: unknown, retryInMs: number, leftMs: number) => void;
  random?: () => number;
}

/**
 * Keeps a certificate renewed, whatever its lifetime (seconds to years): waits on the clock until its renewal time
 * (50–80 % of its life), renews, and after a failure retries with a back-off, never in a loop. `stop` ends it.
 */
export function startRenewalLoop(options: RenewalLoopOptions): { stop(): void; stopped: Promise<void> } {
  const { clock } = options;
  const abort = new AbortController();
  const run = async () => {
    let failures = 0;
    let retryAt = 0;
    while (!abort.signal.aborted) {
      const validity = options.validity();
      if (!validity) return;
      const at = failures === 0 ? renewalTime(validity.from, validity.to, options.random).getTime() : retryAt;
      try {
        await clock.sleep(Math.max(0, at - clock.now()), abort.signal);
      } catch {
        return; // stopped
      }
      try {
        await options.renew();
        failures = 0;
      } catch (error) {
        if (abort.signal.aborted) return;
        const left = validity.to.getTime() - clock.now();
        const retryIn = Math.min(backoffDelay(failures++, RETRY, options.random), Math.max(RETRY.initialMs, left / 10));
        retryAt = clock.now() + retryIn;
        options.failed(error, retryIn, left);
      }
    }
  };
  const stopped = run();
  return { stop: () => abort.abort(), stopped };
}
