import type { RestartPolicy, RestartSettings } from "../shared/domain.js";

/** What a node remembers about one spec container (of one version of a pod), across its instances and restarts. */
export interface RestartState {
  /** Instances replaced so far: the container's restart count. */
  restarts: number;
  /** Consecutive failures: exits that called for a restart, and failed pulls. */
  failures: number;
  /** The exit or pull failure last counted (a container id, or "pull:N"), so that each is counted once. */
  lastCounted?: string;
  /** A new attempt is due at this time (ms); undefined when none is planned. */
  retryAt?: number;
  /** The last failure, for statuses and events. */
  lastFailure?: { kind: "exit" | "pull" | "create"; exitCode?: number; reason: string; message: string };
  /** Set when the node gave up on this container: its pod is Failed. */
  gaveUp?: string;
}

export const INITIAL_RESTART_STATE: RestartState = { restarts: 0, failures: 0 };

export type RestartDecision = { type: "restart"; delayMs: number; reason: string } | { type: "giveUp"; reason: string } | { type: "none"; reason: string };

export interface ContainerExit {
  containerId: string;
  containerName: string;
  exitCode: number;
  /** "Completed", "Error", "OOMKilled", "StartError". */
  reason: string;
  message?: string;
  ranForMs: number;
}

function backoff(failures: number, settings: RestartSettings): number {
  return Math.min(settings.maxBackoffSeconds, settings.initialBackoffSeconds * 2 ** (failures - 1)) * 1000;
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))}s`;

/** Counts one more failure: a retry after the back-off, or, at the limit, giving up. */
function fail(
  state: RestartState,
  lastFailure: NonNullable<RestartState["lastFailure"]>,
  counted: string,
  settings: RestartSettings,
  now: number,
  what: string,
) {
  const failures = state.failures + 1;
  if (failures >= settings.maxFailures) {
    const reason = `${what} failed ${failures} times in a row (${lastFailure.message}, reason ${lastFailure.reason}); giving up`;
    return {
      state: { ...state, failures, lastCounted: counted, lastFailure, retryAt: undefined, gaveUp: reason },
      decision: { type: "giveUp" as const, reason },
    };
  }
  const delayMs = backoff(failures, settings);
  return {
    state: { ...state, failures, lastCounted: counted, lastFailure, retryAt: now + delayMs },
    decision: {
      type: "restart" as const,
      delayMs,
      reason: `Back-off ${seconds(delayMs)} ${lastFailure.kind === "exit" ? `restarting failed ${what}` : what} (${lastFailure.message})`,
    },
  };
}

/**
 * A container stopped: restart it after a back-off doubling from the initial delay to the cap, or give up after
 * `maxFailures` consecutive failures; a container that ran `resetAfter` or longer starts a fresh count. What counts as
 * a failure follows the policy: any stop (Always), a non-zero exit (OnFailure), nothing (Never).
 */
export function onContainerExit(
  state: RestartState,
  exit: ContainerExit,
  policy: RestartPolicy,
  settings: RestartSettings,
  now: number,
): { state: RestartState; decision: RestartDecision } {
  if (state.lastCounted === exit.containerId || state.gaveUp) return { state, decision: { type: "none", reason: "already counted" } };
  const message = `exit code ${exit.exitCode}${exit.message ? `: ${exit.message}` : ""}`;
  const lastFailure = { kind: "exit" as const, exitCode: exit.exitCode, reason: exit.reason, message };
  // A container stopped for failing its probes failed, whatever its process made of the signal (it may exit 0).
  const failed = exit.exitCode !== 0 || exit.reason === "Unhealthy";
  const restarts = policy === "Always" || (policy === "OnFailure" && failed);
  if (!restarts) {
    return {
      state: { ...state, lastCounted: exit.containerId, lastFailure, retryAt: undefined },
      decision: { type: "none", reason: `restart policy ${policy}` },
    };
  }
  const fresh = exit.ranForMs >= settings.resetAfterSeconds * 1000 ? { ...state, failures: 0 } : state;
  return fail(fresh, lastFailure, exit.containerId, settings, now, `container ${exit.containerName}`);
}

/** A pull failed: retried with the same back-off as a crash, then given up. */
export function onPullFailure(
  state: RestartState,
  pull: { image: string; message: string },
  settings: RestartSettings,
  now: number,
): { state: RestartState; decision: RestartDecision } {
  const counted = `pull:${state.failures + 1}`;
  return fail(state, { kind: "pull", reason: "ErrImagePull", message: pull.message }, counted, settings, now, `pulling image "${pull.image}"`);
}

/** The engine refused to create a container (a bad option, a request too large, ...): retried and given up as a pull is. */
export function onCreateFailure(
  state: RestartState,
  create: { container: string; message: string },
  settings: RestartSettings,
  now: number,
): { state: RestartState; decision: RestartDecision } {
  const counted = `create:${state.failures + 1}`;
  return fail(
    state,
    { kind: "create", reason: "CreateContainerError", message: create.message },
    counted,
    settings,
    now,
    `creating container ${create.container}`,
  );
}

/** A new instance was started: the planned retry is done. */
export function onRestarted(state: RestartState, replacedAnInstance: boolean): RestartState {
  return { ...state, retryAt: undefined, restarts: state.restarts + (replacedAnInstance ? 1 : 0) };
}

/** The node's defaults, overridden by the pod's own settings. */
export function effectiveSettings(node: RestartSettings, pod: Partial<RestartSettings> | undefined): RestartSettings {
  return { ...node, ...pod };
}
