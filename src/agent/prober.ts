import type { Clock } from "../shared/clock.js";
import type { ContainerSpec, Probe, ProbeKind } from "../shared/domain.js";
import { afterProbe, INITIAL_PROBE_STATE, probeDue, probeVerdict, runnableProbes, type ContainerProbeStates, type ProbeState } from "./probe-state.js";

/** A running container with probes, as the node sees it. */
export interface ProbeTarget {
  podUid: string;
  containerId: string;
  /** The pod's sandbox, which owns its network: where HTTP and TCP probes connect. */
  sandboxId: string;
  startedAt: number;
  spec: ContainerSpec;
}

/** Runs one probe once; never throws: a failure is an outcome. */
export type RunProbe = (probe: Probe, target: ProbeTarget) => Promise<{ ok: boolean; message: string }>;

/**
 * Runs the probes of the node's running containers when they are due, and keeps what they concluded, by container
 * (a new container starts with nothing concluded, as in Kubernetes). The decisions are `probe-state`'s; this only
 * schedules and remembers. A result that changes calls `changed`, which records an event and wakes the sync loop.
 */
export class Prober {
  private readonly states = new Map<string, ContainerProbeStates>();
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly run: RunProbe,
    private readonly clock: Clock,
    private readonly changed: (target: ProbeTarget, kind: ProbeKind, state: ProbeState) => void,
    /** Every run's outcome (the node's metrics). */
    private readonly ran: (kind: ProbeKind, ok: boolean) => void = () => {},
  ) {}

  /** Starts the probes due now (without waiting for them) and forgets the containers that are not in `targets`. */
  tick(targets: ProbeTarget[]): void {
    const now = this.clock.now();
    const live = new Set(targets.map((target) => target.containerId));
    for (const id of this.states.keys()) if (!live.has(id)) this.states.delete(id);
    for (const target of targets) {
      const states = this.states.get(target.containerId) ?? {};
      this.states.set(target.containerId, states);
      for (const kind of runnableProbes(target.spec, states)) {
        const probe = target.spec[`${kind}Probe`]!;
        const key = `${target.containerId}/${kind}`;
        if (this.inFlight.has(key) || !probeDue(probe, states[kind] ?? INITIAL_PROBE_STATE, target.startedAt, now)) continue;
        this.inFlight.add(key);
        void this.run(probe, target).then((outcome) => {
          this.inFlight.delete(key);
          this.ran(kind, outcome.ok);
          const current = this.states.get(target.containerId);
          if (!current) return; // the container is gone meanwhile
          const { state, changed } = afterProbe(probe, current[kind] ?? INITIAL_PROBE_STATE, outcome, this.clock.now());
          current[kind] = state;
          if (changed) this.changed(target, kind, state);
        });
      }
    }
  }

  /** What the probes say of each container that has some: ready, or to be restarted and why. */
  verdicts(targets: ProbeTarget[]): Map<string, { ready: boolean; unhealthy?: string }> {
    return new Map(targets.map((target) => [target.containerId, probeVerdict(target.spec, this.states.get(target.containerId) ?? {})]));
  }
}
