import * as grpc from "@grpc/grpc-js";
import { backoffDelay, type BackoffPolicy } from "../shared/backoff.js";
import type { Clock } from "../shared/clock.js";
import { FirstContactError } from "../shared/tls/first-contact-error.js";
import type { Logger } from "../shared/logger.js";
import { A_NODE_NOT_THE_LEADER, isVerificationFailure, STANDING_BY, unavailableReason } from "../shared/unavailable-reason.js";

export const JOIN_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 5000 };

export interface Membership<Joined> {
  /** One `Join` call, to the leader at `leaderAddress`. */
  join(leaderAddress: string): Promise<Joined>;
  /**
   * Runs one session (the sync stream) until it breaks; resolves with why it ended. Calls `established` once the
   * leader has answered on it, which resets the backoff.
   */
  runSession(joined: Joined, established: () => void, signal: AbortSignal): Promise<string>;
}

export interface StayJoinedOptions {
  /** Tried in turn: a failed join or a lost session moves to the next (the active leader of several, or the one alive). */
  leaderAddresses: string[];
  clock: Clock;
  log: Logger;
  random?: () => number;
  backoff?: BackoffPolicy;
}

/** One line that says why a join failed, telling an unreachable leader from a refused token or name. */
export function describeJoinFailure(error: unknown, leaderAddress: string): string {
  if (error instanceof FirstContactError) return error.message;
  const { code, details, message } = error as Partial<grpc.ServiceError>;
  switch (code) {
    case grpc.status.PERMISSION_DENIED:
      return `leader ${leaderAddress} refused us: ${details}`;
    case grpc.status.UNAVAILABLE: {
      const reason = unavailableReason(details || message || "");
      if (reason.includes(A_NODE_NOT_THE_LEADER)) return `${leaderAddress} is not the active leader (a follower, or a leader standing by)`;
      if (reason.startsWith(STANDING_BY)) return `${leaderAddress} is not the active leader (${reason})`;
      if (isVerificationFailure(reason)) {
        return `leader ${leaderAddress} failed TLS verification (${reason}): someone in the middle, or a re-created cluster (then remove this node's trusted-ca.pem, node.pem and node-key.pem)`;
      }
      return `leader ${leaderAddress} unreachable (${reason})`;
    }
    case grpc.status.DEADLINE_EXCEEDED:
      return `leader ${leaderAddress} did not answer in time`;
    case grpc.status.UNAUTHENTICATED:
      return `leader ${leaderAddress} refused our token or certificate (${details}): check --token / CUBE_TOKEN`;
    case grpc.status.ALREADY_EXISTS:
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.FAILED_PRECONDITION:
      return `leader ${leaderAddress} refused to let us join: ${details}`;
    default:
      return `join failed: ${details || message || String(error)}`;
  }
}

/**
 * Joins the leader and keeps a session open, forever: every failed join and every broken session is followed by
 * a new join after an exponential backoff with jitter, capped; a session the leader answered resets the backoff.
 */
export async function stayJoined<Joined>(membership: Membership<Joined>, options: StayJoinedOptions, signal: AbortSignal): Promise<void> {
  const { clock, log, leaderAddresses } = options;
  let failures = 0;
  for (let attempt = 0; !signal.aborted; attempt++) {
    // The address of the last join that worked is kept until it fails; then the next one is tried.
    const leaderAddress = leaderAddresses[attempt % leaderAddresses.length];
    let why: string;
    try {
      // A stop does not wait for a join on its way (a first contact may take seconds), and opens no session after it.
      const joined = await untilAborted(membership.join(leaderAddress), signal);
      if (joined === ABORTED) return;
      log.info(`joined the leader at ${leaderAddress}`);
      why = `lost the leader at ${leaderAddress} (${await membership.runSession(joined, () => (failures = 0), signal)})`;
    } catch (error) {
      why = `cannot join: ${describeJoinFailure(error, leaderAddress)}`;
    }
    if (signal.aborted) return;
    const delay = backoffDelay(failures++, options.backoff ?? JOIN_BACKOFF, options.random);
    log.warn(`${why}; retrying in ${(delay / 1000).toFixed(1)}s`);
    await clock.sleep(delay, signal).catch(() => undefined);
  }
}

const ABORTED = Symbol("aborted");

/** What `promise` gives, or ABORTED as soon as `signal` aborts (the promise goes on, and its outcome is ignored). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  promise.catch(() => undefined);
  return new Promise((resolve, reject) => {
    const abort = () => resolve(ABORTED);
    signal.addEventListener("abort", abort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener("abort", abort), resolve(signal.aborted ? ABORTED : value)),
      (error: unknown) => (signal.removeEventListener("abort", abort), signal.aborted ? resolve(ABORTED) : reject(error)),
    );
  });
}
