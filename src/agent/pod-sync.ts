import type { Clock } from "../shared/clock.js";
import type { EventType, PodStatusReport, RestartSettings, UsedRevision } from "../shared/domain.js";
import type { Logger } from "../shared/logger.js";
import { afterFailure } from "./after-failure.js";
import type { AgentMetrics } from "./agent-metrics.js";
import { secondsSince } from "../shared/clock.js";
import type { AgentStore } from "./agent-store.js";
import { canUseWarmSandbox, computePodActions, type NodeMemory, type PodAction } from "./compute-pod-actions.js";
import { runtimeErrorMessage, type ContainerRuntime, type ObservedContainer } from "./container-runtime.js";
import { pauseIfSliceUsed } from "../shared/time-slices.js";
import { derivePodStatus } from "./derive-pod-status.js";
import type { LocalPod } from "./local-pod.js";
import { containersByPod, exitCodeOf, exitReason, instancesOf, isDead, isSandbox } from "./observed-containers.js";
import { Prober, type ProbeTarget, type RunProbe } from "./prober.js";
import { probeRunner } from "./run-probe.js";
import { describeAction, FailureCounted, removePodVolumes, runPodAction, type PlanProgress, type PodActionDependencies } from "./pod-actions.js";
import { RestartStates } from "./restart-states.js";
import { effectiveSettings, INITIAL_RESTART_STATE, onContainerExit } from "./restart-tracker.js";
import { WarmPoolWorker } from "./warm-pool-worker.js";
import { NO_WARM_POOL, type WarmPoolSize } from "./warm-pool-demand.js";
import type { PodNetwork } from "./network/pod-network.js";
import type { NodeKeyed } from "./keyed/node-keyed.js";

export interface PodSyncDependencies {
  node: string;
  runtime: ContainerRuntime;
  store: AgentStore;
  clock: Clock;
  log: Logger;
  /** The outbox has new entries for the leader. */
  outboxChanged: () => void;
  /** A pod's status changed (best effort: statuses are sent again on every new session). */
  report: (pod: LocalPod, status: PodStatusReport) => void;
  /** The node's restart settings, which a pod may override. */
  restartDefaults: RestartSettings;
  /** Runs a probe: against the engine unless a test gives another. */
  runProbe?: RunProbe;
  /** Sandboxes kept made and started ahead of need, so that a pod without host ports finds its network ready (default none). */
  warmSandboxes?: WarmPoolSize;
  /** The node's pod network; none: sandboxes go on the engine's default bridge. */
  network?: Pick<PodNetwork, "current" | "sandboxNetwork" | "sandboxStarted">;
  /** The secrets and configs the node holds, and its pods' volumes of them. */
  keyed: NodeKeyed;
  /** The node's metrics, when its server serves them. */
  metrics?: AgentMetrics;
}

/**
 * How long the node must have had no pod work before it refills its warm pool: pods often come in waves (a large
 * apply, a rollout), and a refill between two waves would compete with the next on the engine.
 */
const WARM_POOL_QUIET_MS = 1000;

/**
 * The node's sync loop: decides with `computePodActions`, hands each pod's plan to a worker of its own (as kubelet's
 * pod workers do, so a slow graceful stop in one pod holds up no other), counts exits, and reports pod statuses. One
 * decision at a time; a pod with a busy worker is decided again once the worker is done.
 */
export class PodSync {
  private deciding?: Promise<void>;
  private stopped = false;
  private pendingTrigger = false;
  private readonly workers = new Map<string, Promise<void>>();
  /** The warm sandboxes that running workers claim, by pod uid. */
  private readonly claiming = new Map<string, string>();
  private readonly pool: WarmPoolWorker;
  /** When a pod last had work: the pool is refilled only once the node has been quiet for a while. */
  private busyAt = 0;
  /** Pods whose last worker failed: not acted on again before `retryAt` (a backoff, so a broken engine is not hammered). */
  private readonly failingPods = new Map<string, { failures: number; retryAt: number }>();
  private readonly restarts: RestartStates;
  private readonly actions: PodActionDependencies;
  private readonly lastReported = new Map<string, string>();
  /** The last sync failure logged: the same failure (say, Docker down) is logged once, not every second. */
  private lastFailure?: string;
  private readonly prober: Prober;
  /** What the probes said at the last pass, by container id. */
  private verdicts = new Map<string, { ready: boolean; unhealthy?: string }>();

  constructor(private readonly deps: PodSyncDependencies) {
    this.restarts = new RestartStates(deps.store);
    const { node, runtime, clock, restartDefaults } = deps;
    this.actions = {
      node,
      runtime,
      clock,
      restartDefaults,
      restarts: this.restarts,
      record: (uid, type, reason, message) => this.event(uid, type, reason, message),
      sandboxNetwork: () => deps.network?.sandboxNetwork(),
      sandboxStarted: () => deps.network?.sandboxStarted(),
      keyed: deps.keyed,
    };
    this.pool = new WarmPoolWorker({
      actions: this.actions,
      clock,
      log: deps.log,
      size: deps.warmSandboxes ?? NO_WARM_POOL,
      done: () => this.trigger(),
    });
    this.prober = new Prober(
      deps.runProbe ?? probeRunner(runtime),
      clock,
      (target, kind, state) => {
        const probe = `${kind[0].toUpperCase()}${kind.slice(1)} probe of container ${target.spec.name}`;
        // A result that changes is an event, not every run of the probe.
        if (state.result === "failure") void this.event(target.podUid, "Warning", "Unhealthy", `${probe} failed: ${state.message}`).catch(() => undefined);
        else if (kind === "readiness") void this.event(target.podUid, "Normal", "Ready", `${probe} succeeded: ${state.message}`).catch(() => undefined);
        this.trigger();
      },
      (kind, ok) => deps.metrics?.probeRun(kind, ok),
    );
  }

  trigger(): void {
    if (this.stopped) return;
    this.pendingTrigger = true;
    this.deciding ??= this.loop();
  }

  /**
   * Decides no more, and resolves once the decision under way is done. Workers still at work (a container's graceful
   * stop can take its whole grace period) are left to the engine: it goes on with what they asked of it, and the
   * next start finds their containers by their labels and acts on what it sees then.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.deciding;
  }

  /** Resolves once no decision and no worker is running (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.deciding || this.workers.size > 0 || this.pool.busy) {
      await this.deciding;
      await Promise.all([...this.workers.values(), this.pool.idle()]);
    }
  }

  /** The node left the cluster: its warm sandboxes go with its pods. */
  drainWarmPool(): void {
    this.pool.drain();
    this.trigger();
  }

  /** Forgets what was reported, so that every status is sent again (a new session with the leader). */
  reportAllAgain(): void {
    this.lastReported.clear();
    this.trigger();
  }

  /**
   * Decides while triggers come. The check that ends the loop and the end itself run in one step: a trigger that comes
   * meanwhile (a worker done) either sees the loop still running, which then decides once more, or starts a new one.
   */
  private async loop(): Promise<void> {
    try {
      while (this.pendingTrigger && !this.stopped) {
        this.pendingTrigger = false;
        try {
          const started = process.hrtime.bigint();
          await this.syncOnce();
          this.deps.metrics?.syncPass(secondsSince(started));
          if (this.lastFailure !== undefined) this.deps.log.info("sync works again");
          this.lastFailure = undefined;
        } catch (error) {
          const failure = runtimeErrorMessage(error);
          if (failure !== this.lastFailure) this.deps.log.error(`sync failed: ${failure}`);
          this.lastFailure = failure;
        }
      }
    } finally {
      this.deciding = undefined;
    }
  }

  /** Decides, hands each idle pod's plan to a worker, and reports statuses. */
  private async syncOnce(): Promise<void> {
    const { runtime, store, node, clock } = this.deps;
    // Who is at work before the engine is listed: a worker that ends while it is listed has changed containers the
    // listing may not show, so its pod and the sandbox it claimed (or the warm pool) wait for the pass its end triggers.
    const atWork = { pods: new Set(this.workers.keys()), claimed: new Set(this.claiming.values()), pool: this.pool.busy };
    const pods = await store.localPods();
    // Secret and config volumes are written before any container that mounts them is made.
    await this.deps.keyed.reconcile(pods);
    const observed = await runtime.listContainers(node);
    this.deps.metrics?.containersSeen(observed);
    const byPod = containersByPod(observed);
    await this.countExits(pods, byPod);
    const targets = probeTargets(pods, byPod);
    this.prober.tick(targets);
    this.verdicts = this.prober.verdicts(targets);
    const now = clock.now();
    let dispatched = 0;
    for (const { podUid, actions } of computePodActions(pods, observed, await this.memory(pods, atWork.claimed))) {
      if (atWork.pods.has(podUid) || this.workers.has(podUid) || (this.failingPods.get(podUid)?.retryAt ?? 0) > now) continue;
      await pauseIfSliceUsed();
      dispatched++;
      const claim = actions.find((action) => action.type === "claimSandbox");
      if (claim) this.claiming.set(podUid, claim.sandbox.id);
      if (actions.some((action) => action === claim || (action.type === "createSandbox" && canUseWarmSandbox(action.pod)))) this.pool.took(1);
      const worker = this.work(podUid, actions).then((succeeded) => {
        this.workers.delete(podUid);
        this.claiming.delete(podUid);
        if (succeeded) {
          this.failingPods.delete(podUid);
          this.trigger();
        } else {
          this.failingPods.set(podUid, afterFailure(this.failingPods.get(podUid), clock.now()));
        }
      });
      this.workers.set(podUid, worker);
    }
    if (dispatched > 0 || this.workers.size > 0) this.busyAt = now;
    if (!atWork.pool) {
      const claimed = new Set([...atWork.claimed, ...this.claiming.values()]);
      this.pool.tend(observed, { idle: now - this.busyAt >= WARM_POOL_QUIET_MS, claimed, network: this.deps.network?.current() });
    }
    await this.reportStatuses(pods, byPod);
  }

  private async memory(pods: LocalPod[], claiming?: ReadonlySet<string>): Promise<NodeMemory> {
    const { keyed } = this.deps;
    const configProblems = new Map<string, string>();
    const used = new Map<string, UsedRevision[]>();
    for (const pod of pods) {
      if (pod.termination) continue;
      const problem = keyed.problemOf(pod);
      if (problem) configProblems.set(pod.uid, problem);
      used.set(pod.uid, keyed.used(pod));
    }
    return {
      restarts: await this.restarts.all(),
      now: this.deps.clock.now(),
      probes: this.verdicts,
      claiming,
      network: this.deps.network?.current(),
      configProblems,
      used,
    };
  }

  /** Feeds each newly dead container to the restart tracker, and records what it decided. */
  private async countExits(pods: LocalPod[], byPod: Map<string, ObservedContainer[]>): Promise<void> {
    const now = this.deps.clock.now();
    for (const pod of pods) {
      if (pod.termination) continue;
      await pauseIfSliceUsed();
      const observed = byPod.get(pod.uid) ?? [];
      const settings = effectiveSettings(this.deps.restartDefaults, pod.spec.restart);
      for (const spec of pod.spec.containers) {
        const [newest] = instancesOf(observed, pod, spec.name);
        if (!newest || !isDead(newest)) continue;
        const before = (await this.restarts.get(pod, spec.name)) ?? INITIAL_RESTART_STATE;
        // A container stopped because its probes failed ended Unhealthy, whatever its exit code says.
        const unhealthy = this.verdicts.get(newest.id)?.unhealthy;
        const exit = {
          containerId: newest.id,
          containerName: spec.name,
          exitCode: exitCodeOf(newest),
          reason: unhealthy ? "Unhealthy" : exitReason(newest),
          message: unhealthy ?? newest.error,
          ranForMs: newest.startedAt && newest.finishedAt ? newest.finishedAt.getTime() - newest.startedAt.getTime() : 0,
        };
        const { state, decision } = onContainerExit(before, exit, pod.spec.restartPolicy, settings, now);
        if (state === before) continue;
        await this.restarts.set(pod, spec.name, state);
        if (exit.exitCode === 0) await this.event(pod.uid, "Normal", "Exited", `Container ${spec.name} exited with code 0`);
        else
          await this.event(
            pod.uid,
            "Warning",
            "Died",
            `Container ${spec.name} died with exit code ${exit.exitCode} (${exit.reason})${exit.message ? `: ${exit.message}` : ""}`,
          );
        if (decision.type === "restart") await this.event(pod.uid, "Warning", "BackOff", decision.reason);
        if (decision.type === "giveUp") await this.event(pod.uid, "Warning", "Failed", `${decision.reason}: the pod is Failed`);
      }
    }
  }

  /** Runs one pod's plan in order, stopping at the first failure (recorded as a Warning event); true if all worked. */
  private async work(podUid: string, actions: PodAction[]): Promise<boolean> {
    const progress: PlanProgress = {};
    for (const action of [...actions, undefined]) {
      await pauseIfSliceUsed();
      try {
        // After the last action, the sandbox this plan created must have started (no action may have waited for it).
        if (action) await runPodAction(this.actions, podUid, action, progress);
        else await progress.sandboxStarted;
      } catch (error) {
        if (this.stopped) return false; // the node stops: what the engine did is seen at its next start
        if (error instanceof FailureCounted) return false;
        const message = runtimeErrorMessage(error);
        const what = action ? describeAction(action) : "starting the pod's sandbox";
        this.deps.log.warn(`${what} failed (${action?.reason ?? "the pod needs it"}): ${message}`);
        await this.event(podUid, "Warning", "Failed", `${what} failed: ${message}`).catch(() => undefined);
        return false;
      }
    }
    return true;
  }

  private async reportStatuses(pods: LocalPod[], byPod: Map<string, ObservedContainer[]>): Promise<void> {
    const memory = await this.memory(pods);
    for (const pod of pods) {
      await pauseIfSliceUsed();
      if (pod.termination) {
        if (!byPod.has(pod.uid) && !this.workers.has(pod.uid)) {
          await removePodVolumes(this.deps, pod);
          await this.deps.store.forgetPod(pod.uid);
          this.lastReported.delete(pod.uid);
          this.deps.outboxChanged();
        }
        continue;
      }
      const status = derivePodStatus(pod, byPod.get(pod.uid) ?? [], memory);
      const key = `${pod.specHash}:${JSON.stringify(status)}`;
      if (this.lastReported.get(pod.uid) !== key) {
        this.lastReported.set(pod.uid, key);
        this.deps.report(pod, status);
      }
    }
  }

  private async event(podUid: string, type: EventType, reason: string, message: string): Promise<void> {
    if (this.stopped) return; // the store may be closed: a worker left at work records nothing more
    await this.deps.store.appendEvent(podUid, { time: new Date(this.deps.clock.now()), type, reason, message, node: this.deps.node });
    this.deps.outboxChanged();
  }
}

/** The running containers with probes of the pods the node runs, with their sandbox. */
function probeTargets(pods: LocalPod[], byPod: Map<string, ObservedContainer[]>): ProbeTarget[] {
  const targets: ProbeTarget[] = [];
  for (const pod of pods) {
    if (pod.termination) continue;
    const observed = byPod.get(pod.uid) ?? [];
    const sandbox = observed.find((c) => isSandbox(c) && c.state === "running" && c.specHash === pod.specHash);
    if (!sandbox) continue;
    for (const spec of pod.spec.containers) {
      if (!spec.livenessProbe && !spec.readinessProbe && !spec.startupProbe) continue;
      const [newest] = instancesOf(observed, pod, spec.name);
      if (newest?.state !== "running") continue;
      targets.push({ podUid: pod.uid, containerId: newest.id, sandboxId: sandbox.id, startedAt: newest.startedAt?.getTime() ?? 0, spec });
    }
  }
  return targets;
}
