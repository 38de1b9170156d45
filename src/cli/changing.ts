// The status codes alone: grpc-js's index loads all of grpc-js, which the CLI's quick path does without.
import { Status as status } from "@grpc/grpc-js/build/src/constants.js";

/**
 * Sends a request that changes the cluster. When its outcome cannot be known (no answer in time, or Ctrl-C once it
 * was sent), says so rather than reporting a failure: the leader may have done it.
 */
export async function changing<T>(request: () => Promise<T>, check: string): Promise<T> {
  const unknown = (why: string) => `${why}: the leader may have applied this; check with \`${check}\``;
  const interrupted = () => {
    process.stderr.write(`error: ${unknown("interrupted")}\n`);
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  try {
    return await request();
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === status.DEADLINE_EXCEEDED || code === status.CANCELLED) throw new Error(unknown("the leader did not answer in time"));
    throw error;
  } finally {
    process.off("SIGINT", interrupted);
  }
}
