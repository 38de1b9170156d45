import type { Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logger.js";
import type { StoredDeployment } from "./deployment-store.js";
import type { LeaderStore } from "./leader-store.js";
import { planDeployment, type DeploymentIntent } from "./plan-deployment.js";
import type { PodController } from "./pod-controller.js";

/** What the planner needs of a deployment. */
function intentOf(deployment: StoredDeployment): DeploymentIntent {
  const { strategy, replicas, minReadySeconds } = deployment.spec;
  return {
    replicas,
    templateHash: deployment.templateHash,
    strategy: strategy.type === "Recreate" ? strategy : { type: "RollingUpdate", ...strategy.rollingUpdate },
    minReadySeconds,
  };
}

/**
 * Keeps each deployment's pods as `planDeployment` says: creates pods of its current template, deletes old or extra
 * ones (through the pod controller, so they stop gracefully), and, once a deployment is being deleted, deletes its pods
 * and forgets it when they are gone. One pass at a time; a pass asked for meanwhile runs once the current one ends.
 */
export class DeploymentController {
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly store: LeaderStore,
    private readonly pods: PodController,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Reconciles every deployment soon; resolves once a pass that started after this call has ended. */
  reconcile(): Promise<void> {
    this.again = true;
    this.running ??= this.loop().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Every deployment, with how many of its replicas are of its template and available, as `list` shows it. */
  async list(): Promise<{ name: string; status: string; createdAt: Date }[]> {
    const now = this.clock.now();
    const rows = [];
    for (const deployment of await this.store.deployments.list()) {
      const owned = await this.store.deployments.ownedPods(deployment.name);
      const ready = owned.filter(
        (pod) =>
          !pod.deleting &&
          pod.templateHash === deployment.templateHash &&
          pod.readySince !== undefined &&
          now - pod.readySince >= deployment.spec.minReadySeconds * 1000,
      ).length;
      const status = deployment.deletionRequestedAt ? "Terminating" : `${ready}/${deployment.spec.replicas} ready`;
      rows.push({ name: deployment.name, status, createdAt: deployment.createdAt });
    }
    return rows;
  }

  /** Sets a deployment's replica count and acts on it; false when there is no such deployment. */
  async scale(name: string, replicas: number): Promise<boolean> {
    if (!(await this.store.deployments.setReplicas(name, replicas))) return false;
    this.log.info(`deployment/${name} scaled to ${replicas}`);
    await this.reconcile();
    return true;
  }

  async get(name: string): Promise<StoredDeployment | undefined> {
    return this.store.deployments.get(name);
  }

  /** Resolves once no pass runs (the leader is stopping). */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Starts deleting a deployment and its pods; false when there is none. */
  async delete(name: string): Promise<boolean> {
    if (!(await this.get(name))) return false;
    await this.store.deployments.markDeleting(name, new Date(this.clock.now()));
    await this.reconcile();
    return true;
  }

  private async loop(): Promise<void> {
    while (this.again) {
      this.again = false;
      for (const deployment of await this.store.deployments.list()) {
        try {
          await this.reconcileOne(deployment);
        } catch (error) {
          this.log.error(`deployment/${deployment.name}: ${(error as Error).message}`);
        }
      }
    }
  }

  private async reconcileOne(deployment: StoredDeployment): Promise<void> {
    const { name } = deployment;
    const owned = await this.store.deployments.ownedPods(name);
    if (deployment.deletionRequestedAt) {
      for (const pod of owned.filter((p) => !p.deleting)) await this.pods.delete(pod.name);
      if (await this.store.deployments.removeIfEmpty(name)) this.log.info(`deployment/${name} deleted`);
      return;
    }
    const now = this.clock.now();
    const plan = planDeployment(intentOf(deployment), owned, now);
    if (plan.create > 0) {
      const created = await this.store.deployments.createPods(deployment, plan.create, new Date(now));
      this.log.info(`deployment/${name}: created ${created.join(", ")}`);
      await this.pods.schedulePending();
    }
    for (const { name: pod, reason } of plan.delete) {
      this.log.info(`deployment/${name}: deleting pod/${pod} (${reason})`);
      await this.pods.delete(pod);
    }
  }
}
