import { randomBytes } from "node:crypto";
import { backoffDelay } from "../shared/backoff.js";
import type { Clock } from "../shared/clock.js";
import { LABELS, type EventType, type PodStatusReport, type RestartSettings } from "../shared/domain.js";
import type { Logger } from "../shared/logger.js";
import type { AgentStore } from "./agent-store.js";
import { computePodActions, isDead, newestFirst, type NodeMemory, type PodAction } from "./compute-pod-actions.js";
import { runtimeErrorMessage, type ContainerRuntime, type ObservedContainer } from "./container-runtime.js";
import { derivePodStatus, exitReason } from "./derive-pod-status.js";
import { effectiveSettings, INITIAL_RESTART_STATE, onContainerExit, onPullFailure, onRestarted, type RestartState } from "./restart-tracker.js";
import { containerKey, type LocalPod } from "./local-pod.js";

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
}

/** Retries of a pod whose actions failed (the engine refused): 1 s doubling to 30 s. */
const ACTION_RETRY_BACKOFF = { initialMs: 1000, maxMs: 30_000 };

const podOf = (action: PodAction) => ("podUid" in action ? action.podUid : action.pod.uid);

/**
 * The node's sync loop: decides with `computePodActions`, acts on the container runtime, records events, and reports
 * pod statuses. One decision at a time; each pod's actions then run in a worker of their own (as kubelet's pod
 * workers do), so a slow graceful stop in one pod holds up no other. A pod with a busy worker is decided again once
 * the worker is done.
 */
export class PodSync {
  private deciding?: Promise<void>;
  private pendingTrigger = false;
  private readonly workers = new Map<string, Promise<void>>();
  /** Pods whose last worker failed: not acted on again before `retryAt` (a backoff, so a broken engine is not hammered). */
  private readonly failingPods = new Map<string, { failures: number; retryAt: number }>();
  /** The restart tracker's state per spec container (`containerKey`), loaded from the store on the first sync. */
  private restarts?: Map<string, RestartState>;
  private readonly lastReported = new Map<string, string>();
  /** The last sync failure logged: the same failure (say, Docker down) is logged once, not every second. */
  private lastFailure?: string;

  constructor(private readonly deps: PodSyncDependencies) {}

  trigger(): void {
    if (this.deciding) {
      this.pendingTrigger = true;
      return;
    }
    this.deciding = this.loop().finally(() => (this.deciding = undefined));
  }

  /** Resolves once no decision and no worker is running (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.deciding || this.workers.size > 0) {
      await this.deciding;
      await Promise.all(this.workers.values());
    }
  }

  /** Forgets what was reported, so that every status is sent again (a new session with the leader). */
  reportAllAgain(): void {
    this.lastReported.clear();
    this.trigger();
  }

  private async loop(): Promise<void> {
    do {
      this.pendingTrigger = false;
      try {
        await this.syncOnce();
        if (this.lastFailure !== undefined) this.deps.log.info("sync works again");
        this.lastFailure = undefined;
      } catch (error) {
        const failure = runtimeErrorMessage(error);
        if (failure !== this.lastFailure) this.deps.log.error(`sync failed: ${failure}`);
        this.lastFailure = failure;
      }
    } while (this.pendingTrigger);
  }

  /** Decides, hands each idle pod's actions to a worker, and reports statuses. */
  private async syncOnce(): Promise<void> {
    const { runtime, store, node } = this.deps;
    this.restarts ??= await store.restartStates();
    const pods = await store.localPods();
    const observed = await runtime.listContainers(node);
    await this.countExits(pods, observed);
    const byPod = new Map<string, PodAction[]>();
    for (const action of computePodActions(pods, observed, this.memory())) {
      byPod.set(podOf(action), [...(byPod.get(podOf(action)) ?? []), action]);
    }
    const now = this.deps.clock.now();
    for (const [uid, actions] of byPod) {
      if (this.workers.has(uid) || (this.failingPods.get(uid)?.retryAt ?? 0) > now) continue;
      const worker = this.work(uid, actions).then((succeeded) => {
        this.workers.delete(uid);
        if (succeeded) {
          this.failingPods.delete(uid);
          this.trigger();
        } else {
          const failures = (this.failingPods.get(uid)?.failures ?? 0) + 1;
          this.failingPods.set(uid, { failures, retryAt: this.deps.clock.now() + backoffDelay(failures - 1, ACTION_RETRY_BACKOFF) });
        }
      });
      this.workers.set(uid, worker);
    }
    await this.reportStatuses(pods, observed);
  }

  private memory(): NodeMemory {
    return { restarts: this.restarts!, now: this.deps.clock.now() };
  }

  private async setRestartState(pod: LocalPod, containerName: string, state: RestartState): Promise<void> {
    const key = containerKey(pod, containerName);
    this.restarts!.set(key, state);
    await this.deps.store.saveRestartState(key, pod.uid, state);
  }

  /** Feeds each newly dead container to the restart tracker, and records what it decided. */
  private async countExits(pods: LocalPod[], observed: ObservedContainer[]): Promise<void> {
    const now = this.deps.clock.now();
    for (const pod of pods) {
      if (pod.terminating) continue;
      const settings = effectiveSettings(this.deps.restartDefaults, pod.spec.restart);
      for (const spec of pod.spec.containers) {
        const [newest] = newestFirst(observed.filter((c) => c.podUid === pod.uid && c.specHash === pod.specHash && c.containerName === spec.name));
        if (!newest || !isDead(newest)) continue;
        const before = this.restarts!.get(containerKey(pod, spec.name)) ?? INITIAL_RESTART_STATE;
        const exit = {
          containerId: newest.id,
          containerName: spec.name,
          exitCode: newest.state === "created" ? 128 : (newest.exitCode ?? 0),
          reason: exitReason(newest),
          message: newest.error,
          ranForMs: newest.startedAt && newest.finishedAt ? newest.finishedAt.getTime() - newest.startedAt.getTime() : 0,
        };
        const { state, decision } = onContainerExit(before, exit, pod.spec.restartPolicy, settings, now);
        if (state === before) continue;
        await this.setRestartState(pod, spec.name, state);
        if (exit.exitCode === 0) await this.event(pod.uid, "Normal", "Exited", `Container ${spec.name} exited with code 0`);
        else await this.event(pod.uid, "Warning", "Died", `Container ${spec.name} died with exit code ${exit.exitCode} (${exit.reason})${exit.message ? `: ${exit.message}` : ""}`);
        if (decision.type === "restart") await this.event(pod.uid, "Warning", "BackOff", decision.reason);
        if (decision.type === "giveUp") await this.event(pod.uid, "Warning", "Failed", `${decision.reason}: the pod is Failed`);
      }
    }
  }

  /** Runs one pod's actions in order, stopping at the first failure (recorded as a Warning event); true if all worked. */
  private async work(uid: string, actions: PodAction[]): Promise<boolean> {
    for (const action of actions) {
      try {
        await this.act(action);
      } catch (error) {
        const message = runtimeErrorMessage(error);
        this.deps.log.warn(`${action.type} failed (${action.reason}): ${message}`);
        await this.event(uid, "Warning", "Failed", `${describe(action)} failed: ${message}`).catch(() => undefined);
        return false;
      }
    }
    return true;
  }

  private async act(action: PodAction): Promise<void> {
    const { runtime } = this.deps;
    switch (action.type) {
      case "removeContainer": {
        const { container } = action;
        if (container.containerName !== undefined && container.state === "running") {
          await this.event(action.podUid, "Normal", "Killing", `Stopping container ${container.containerName}: ${action.reason}`);
          await runtime.stopContainer(container.id, action.graceSeconds);
        }
        await runtime.removeContainer(container.id);
        return;
      }
      case "stopContainer": {
        const { container } = action;
        if (container.containerName !== undefined) {
          await this.event(action.podUid, "Normal", "Killing", `Stopping container ${container.containerName}: ${action.reason}`);
        }
        await runtime.stopContainer(container.id, action.graceSeconds);
        return;
      }
      case "createSandbox": {
        const { pod } = action;
        const image = await runtime.ensurePauseImage();
        const id = await runtime.createContainer({ name: this.containerName(pod, "pause"), image, labels: this.labels(pod), hostname: pod.name });
        await runtime.startContainer(id);
        return;
      }
      case "startContainer": {
        const { pod, container, sandboxId } = action;
        if (!(await this.ensureImage(pod, container.name, container.image))) return;
        const id = await runtime.createContainer({
          name: this.containerName(pod, container.name),
          image: container.image,
          labels: { ...this.labels(pod), [LABELS.container]: container.name },
          env: container.env,
          command: container.command,
          args: container.args,
          networkOf: sandboxId,
        });
        await this.event(pod.uid, "Normal", "Created", `Created container ${container.name}`);
        await runtime.startContainer(id);
        await this.event(pod.uid, "Normal", "Started", `Started container ${container.name}`);
        const state = this.restarts!.get(containerKey(pod, container.name));
        if (state?.retryAt !== undefined) await this.setRestartState(pod, container.name, onRestarted(state, state.lastFailure?.kind === "exit"));
        return;
      }
    }
  }

  /** Uses a local image as it is; pulls a missing one, remembering a failure. */
  private async ensureImage(pod: LocalPod, containerName: string, image: string): Promise<boolean> {
    const { runtime, clock } = this.deps;
    if (await runtime.hasImage(image)) return true;
    await this.event(pod.uid, "Normal", "Pulling", `Pulling image "${image}"`);
    const started = clock.now();
    try {
      await runtime.pullImage(image);
    } catch (error) {
      const message = runtimeErrorMessage(error);
      await this.event(pod.uid, "Warning", "Failed", `Failed to pull image "${image}": ${message}`);
      const settings = effectiveSettings(this.deps.restartDefaults, pod.spec.restart);
      const before = this.restarts!.get(containerKey(pod, containerName)) ?? INITIAL_RESTART_STATE;
      const { state, decision } = onPullFailure(before, { image, message }, settings, clock.now());
      await this.setRestartState(pod, containerName, state);
      if (decision.type === "restart") await this.event(pod.uid, "Normal", "BackOff", decision.reason);
      if (decision.type === "giveUp") await this.event(pod.uid, "Warning", "Failed", `${decision.reason}: the pod is Failed`);
      return false;
    }
    await this.event(pod.uid, "Normal", "Pulled", `Successfully pulled image "${image}" in ${((clock.now() - started) / 1000).toFixed(1)}s`);
    return true;
  }

  private async reportStatuses(pods: LocalPod[], observed: ObservedContainer[]): Promise<void> {
    const present = new Set(observed.map((c) => c.podUid));
    for (const pod of pods) {
      if (pod.terminating) {
        if (!present.has(pod.uid) && !this.workers.has(pod.uid)) {
          await this.deps.store.forgetPod(pod.uid);
          this.lastReported.delete(pod.uid);
          this.deps.outboxChanged();
        }
        continue;
      }
      const status = derivePodStatus(pod, observed, this.memory());
      const key = `${pod.specHash}:${JSON.stringify(status)}`;
      if (this.lastReported.get(pod.uid) !== key) {
        this.lastReported.set(pod.uid, key);
        this.deps.report(pod, status);
      }
    }
  }

  private async event(podUid: string, type: EventType, reason: string, message: string): Promise<void> {
    await this.deps.store.appendEvent(podUid, { time: new Date(this.deps.clock.now()), type, reason, message, node: this.deps.node });
    this.deps.outboxChanged();
  }

  private labels(pod: LocalPod): Record<string, string> {
    return { [LABELS.node]: this.deps.node, [LABELS.pod]: pod.name, [LABELS.podUid]: pod.uid, [LABELS.specHash]: pod.specHash };
  }

  /** Docker names are unique per engine, which nodes on one machine share: node, pod, container and a random suffix. */
  private containerName(pod: LocalPod, container: string): string {
    return `cube_${this.deps.node}_${pod.name}_${container}_${randomBytes(3).toString("hex")}`;
  }
}

function describe(action: PodAction): string {
  switch (action.type) {
    case "removeContainer":
      return `removing container ${action.container.containerName ?? "pause"}`;
    case "stopContainer":
      return `stopping container ${action.container.containerName ?? "pause"}`;
    case "createSandbox":
      return "creating the pod's sandbox";
    case "startContainer":
      return `starting container ${action.container.name}`;
  }
}
