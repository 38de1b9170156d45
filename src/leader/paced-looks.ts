/** How often the leader looks again whether anything changed (a counter read, nothing more unless it moved), when looking is cheap. */
export const LOOK_MS = 100;
/** The longest it waits between looks, however costly they are: what follows the store lags it by at most this. */
export const MAX_LOOK_MS = 1000;

/**
 * How long after a look that took `lookMs` the next may begin: LOOK_MS, or nine times the look when that is longer
 * (a look that reads thousands of pods takes tens of milliseconds: then at most a tenth of the leader's time goes to
 * it), up to MAX_LOOK_MS.
 */
export function nextLookDelay(lookMs: number): number {
  return Math.min(MAX_LOOK_MS, Math.max(LOOK_MS, lookMs * 9));
}

/**
 * Runs `look` again and again, each time `nextLookDelay` of the last one's duration after it ended, until stopped.
 * A failed look is passed to `failed`; the next follows as usual.
 */
export function lookPaced(look: () => Promise<void>, failed: (error: Error) => void): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let looking: Promise<void> | undefined;
  const schedule = (delayMs: number) => {
    timer = setTimeout(() => {
      const begun = performance.now();
      looking = look()
        .catch(failed)
        .finally(() => {
          looking = undefined;
          if (!stopped) schedule(nextLookDelay(performance.now() - begun));
        });
    }, delayMs);
  };
  schedule(LOOK_MS);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await looking;
    },
  };
}
