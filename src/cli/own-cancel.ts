import { wasCancelled } from "./describe-error.js";

/**
 * Cancelling is how the CLI ends a stream it reads (Ctrl-C, a time limit), and a stream cut by the other end (a leader
 * stopping) ends with the same status: only a cancel the CLI made itself ends the command quietly.
 */
export function ownCancel(stream: { cancel(): void }): {
  cancel(): void;
  isOwn(error: unknown): boolean;
  rethrowUnlessOwn(error: unknown): void;
  dispose(): void;
} {
  let cancelled = false;
  const cancel = () => {
    cancelled = true;
    stream.cancel();
  };
  const isOwn = (error: unknown) => cancelled && wasCancelled(error);
  return {
    cancel,
    isOwn,
    rethrowUnlessOwn(error) {
      if (!isOwn(error)) throw error;
    },
    dispose: () => process.removeListener("SIGINT", cancel),
  };
}

/** `ownCancel`, with Ctrl-C as the cancel. */
export function cancelOnInterrupt(stream: { cancel(): void }): ReturnType<typeof ownCancel> {
  const own = ownCancel(stream);
  process.once("SIGINT", own.cancel);
  return own;
}
