import type { ContainerSpec, Probe, ProbeKind } from "../shared/domain.js";

/** What a probe has concluded of a container so far. */
export interface ProbeState {
  /** Nothing concluded yet; then what the thresholds of consecutive outcomes say. */
  result: "unknown" | "success" | "failure";
  successes: number;
  failures: number;
  lastRunAt?: number;
  /** The last outcome's words, e.g. "HTTP 500 from /healthz". */
  message?: string;
}

export const INITIAL_PROBE_STATE: ProbeState = { result: "unknown", successes: 0, failures: 0 };

/** Whether a probe is due now: past its initial delay from the container's start, and a period after its last run. */
export function probeDue(probe: Probe, state: ProbeState, startedAt: number, now: number): boolean {
  if (now < startedAt + probe.initialDelaySeconds * 1000) return false;
  return state.lastRunAt === undefined || now - state.lastRunAt >= probe.periodSeconds * 1000;
}

/**
 * A probe's outcome, counted: the result turns to success after `successThreshold` successes in a row, to failure
 * after `failureThreshold` failures in a row. `changed` is set when the result turned, so that a change is an event
 * and a probe that keeps saying the same is not.
 */
export function afterProbe(probe: Probe, state: ProbeState, outcome: { ok: boolean; message: string }, now: number): { state: ProbeState; changed: boolean } {
  const successes = outcome.ok ? state.successes + 1 : 0;
  const failures = outcome.ok ? 0 : state.failures + 1;
  const result = outcome.ok && successes >= probe.successThreshold ? "success" : !outcome.ok && failures >= probe.failureThreshold ? "failure" : state.result;
  return { state: { result, successes, failures, lastRunAt: now, message: outcome.message }, changed: result !== state.result };
}

/** A container's probe states, by kind (absent: not run yet). */
export type ContainerProbeStates = Partial<Record<ProbeKind, ProbeState>>;

/** Which of a container's probes may run: its startup probe until it succeeds, then its liveness and readiness ones. */
export function runnableProbes(spec: ContainerSpec, states: ContainerProbeStates): ProbeKind[] {
  if (spec.startupProbe && states.startup?.result !== "success") return ["startup"];
  return (["liveness", "readiness"] as const).filter((kind) => spec[`${kind}Probe`] !== undefined);
}

/** What a container's probes say of it: whether it is ready to serve, and why it must be restarted, if it must. */
export function probeVerdict(spec: ContainerSpec, states: ContainerProbeStates): { ready: boolean; unhealthy?: string } {
  const started = !spec.startupProbe || states.startup?.result === "success";
  const failed =
    states.startup?.result === "failure" ? ["Startup", states.startup] : states.liveness?.result === "failure" ? ["Liveness", states.liveness] : undefined;
  return {
    ready: started && (!spec.readinessProbe || states.readiness?.result === "success"),
    ...(failed ? { unhealthy: `${failed[0]} probe failed: ${(failed[1] as ProbeState).message}` } : {}),
  };
}
