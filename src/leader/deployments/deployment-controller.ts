import { conflict } from "../refusals.js";
import type { Clock } from "../../shared/clock.js";
import { RESTARTED_AT, type EventType, type NodeStatus } from "../../shared/domain.js";
import type { Logger } from "../../shared/logger.js";
import { nameSome } from "../name-some.js";
import { lastCompleteRevision, type Revision } from "../store/deployment-revisions.js";
import type { Rollout, StoredDeployment } from "../store/deployment-store.js";
import { admissionProblems, type AdmissionPolicy } from "../pod-admission.js";
import { judgeRollout } from "./judge-rollout.js";
import type { LeaderStoreContract } from "../store/store-contract.js";
import { countReplicas, planDeployment, type DeploymentIntent, type OwnedPod, type ReplicaCounts } from "./plan-deployment.js";
import type { PodController } from "../pod-controller.js";

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

/** A deployment as `cube get` and `cube rollout status` show it. */
export interface DeploymentView {
  deployment: StoredDeployment;
  counts: ReplicaCounts;
  pods: OwnedPod[];
}

/**
 * Keeps each deployment's pods as `planDeployment` says and judges its rollouts as `judgeRollout` says: creates pods of
 * its current template, deletes old or extra ones (through the pod controller, so they stop gracefully), ends a rollout
 * as complete, rolls a failed one back (or stops it), and records each of these as an event of the deployment. Once a
 * deployment is being deleted, deletes its pods and forgets it when they are gone. One pass at a time; a pass asked for
 * meanwhile runs once the current one ends.
 */
export class DeploymentController {
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  /** The last refusal to create a deployment's replicas, by deployment: said once, not at every pass. */
  private readonly refusedCreates = new Map<string, string>();
  /** When this leader began: what a rollout's progress is judged from at the earliest (see judge). */
  private readonly since: number;

  constructor(
    private readonly store: LeaderStoreContract,
    private readonly pods: PodController,
    private readonly nodeStatus: (node: string) => NodeStatus | undefined,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** What pods this leader admits: every path that makes a deployment's pods (scale, undo, rollback…) holds to it. */
    private readonly policy: AdmissionPolicy,
  ) {
    this.since = clock.now();
  }

  /** Refuses, as a user's mistake, a template this leader would not admit (`what` says where it comes from). */
  private admit(template: StoredDeployment["spec"]["template"], what: string): void {
    const problems = admissionProblems(template.spec, `${what}spec.template.spec`, this.policy);
    if (problems.length > 0) throw conflict(problems.join("\n"));
  }

  /** Reconciles every deployment soon; resolves once a pass that started after this call has ended. */
  reconcile(): Promise<void> {
    this.again = true;
    this.running ??= this.loop().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Every deployment with its replica counts, as `list` shows it. */
  async list(): Promise<{ deployment: StoredDeployment; counts: ReplicaCounts }[]> {
    const now = this.clock.now();
    const owned = await this.store.pods.ownedByDeployment(this.nodeStatus);
    return (await this.store.deployments.list()).map((deployment) => ({
      deployment,
      counts: countReplicas(intentOf(deployment), owned.get(deployment.name) ?? [], now),
    }));
  }

  async get(name: string): Promise<DeploymentView | undefined> {
    const deployment = await this.store.deployments.get(name);
    if (!deployment) return undefined;
    const pods = await this.store.pods.owned(name, this.nodeStatus);
    return { deployment, pods, counts: countReplicas(intentOf(deployment), pods, this.clock.now()) };
  }

  async revisions(name: string): Promise<Revision[]> {
    return this.store.deployments.revisionsOf(name);
  }

  async events(deployment: StoredDeployment) {
    return this.store.eventsOf(deployment.uid);
  }

  /** Sets a deployment's replica count and acts on it; false when there is no such deployment. */
  async scale(name: string, replicas: number): Promise<boolean> {
    const current = await this.store.deployments.get(name);
    if (current && replicas > current.spec.replicas) this.admit(current.spec.template, "");
    if (!(await this.store.deployments.setReplicas(name, replicas))) return false;
    this.log.info(`deployment/${name} scaled to ${replicas}`);
    const deployment = await this.store.deployments.get(name);
    if (deployment) await this.record(deployment, "Normal", "Scaled", `scaled to ${replicas} replicas`);
    await this.reconcile();
    return true;
  }

  /**
   * Goes back to an earlier revision's template (the one before the current by default), as a new revision. Returns
   * the rollout it starts; throws a user's mistake when there is no such revision, undefined when no such deployment.
   */
  async undo(name: string, toRevision?: number): Promise<Rollout | undefined> {
    const deployment = await this.store.deployments.get(name);
    if (!deployment || deployment.deletionRequestedAt) return undefined;
    const revisions = await this.revisions(name);
    const current = deployment.rollout.revision;
    // By default the newest earlier revision that once completed: after an automatic rollback, the one before the
    // current is the broken one.
    const target =
      toRevision === undefined
        ? revisions.filter((r) => r.revision < current && r.completedAt !== undefined).at(-1)
        : revisions.find((r) => r.revision === toRevision);
    if (!target || target.revision === current) {
      const kept = revisions.map((r) => r.revision).join(", ");
      throw conflict(
        toRevision === undefined
          ? `deployment/${name} has no revision before ${current} that completed, to go back to (its revisions: ${kept}; --to-revision N picks one)`
          : `deployment/${name} has no revision ${toRevision} other than the current one (its revisions: ${kept})`,
      );
    }
    this.admit(target.template, `revision ${target.revision}: `);
    return this.changeTemplate(deployment, target.template, "Undo", `back to the template of revision ${target.revision}`);
  }

  /** Replaces every pod of a deployment, as a rollout (its strategy and readiness gating apply). */
  async restart(name: string): Promise<Rollout | undefined> {
    const deployment = await this.store.deployments.get(name);
    if (!deployment || deployment.deletionRequestedAt) return undefined;
    const { template } = deployment.spec;
    this.admit(template, "");
    const annotations = { ...template.metadata.annotations, [RESTARTED_AT]: new Date(this.clock.now()).toISOString() };
    return this.changeTemplate(deployment, { ...template, metadata: { ...template.metadata, annotations } }, "Restart", "every pod replaced");
  }

  /** Starts no pass any more; a pass under way ends after the deployment it is at (`idle` resolves then). */
  stop(): void {
    this.stopped = true;
  }

  /** Resolves once no pass runs (the leader is stopping). */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Starts deleting a deployment and its pods; false when there is none. */
  async delete(name: string): Promise<boolean> {
    if (!(await this.store.deployments.get(name))) return false;
    await this.store.deployments.markDeleting(name, new Date(this.clock.now()));
    await this.reconcile();
    return true;
  }

  private async changeTemplate(deployment: StoredDeployment, template: StoredDeployment["spec"]["template"], reason: string, what: string) {
    const now = new Date(this.clock.now());
    await this.store.deployments.changeTemplate(deployment.name, template, now);
    const changed = (await this.store.deployments.get(deployment.name))!;
    await this.record(changed, "Normal", reason, `revision ${changed.rollout.revision}: ${what}`);
    await this.reconcile();
    return changed.rollout;
  }

  private async loop(): Promise<void> {
    while (this.again && !this.stopped) {
      this.again = false;
      const owned = await this.store.pods.ownedByDeployment(this.nodeStatus);
      let created = false;
      for (const deployment of await this.store.deployments.list()) {
        if (this.stopped) return;
        try {
          created = (await this.reconcileOne(deployment, owned.get(deployment.name) ?? [])) || created;
        } catch (error) {
          this.log.error(`deployment/${deployment.name}: ${(error as Error).message}`);
        }
      }
      // One placement for the pods of every deployment: a pass over hundreds of them does not place hundreds of times.
      if (created) await this.pods.schedulePending();
    }
  }

  /** Acts on one deployment; true when it created pods (to be placed). */
  private async reconcileOne(deployment: StoredDeployment, owned: OwnedPod[]): Promise<boolean> {
    const { name, rollout } = deployment;
    if (deployment.deletionRequestedAt) {
      for (const pod of owned.filter((p) => !p.deleting)) await this.pods.delete(pod.name);
      if (await this.store.deployments.removeIfEmpty(name)) this.log.info(`deployment/${name} deleted`);
      return false;
    }
    const now = this.clock.now();
    const intent = intentOf(deployment);
    if (rollout.state === "Failed") return false; // stopped where it stood, until its template changes
    if (rollout.state === "Progressing" && !(await this.judge(deployment, intent, owned, now))) return false;

    const plan = planDeployment(intent, owned, now);
    const refused = plan.create > 0 ? admissionProblems(deployment.spec.template.spec, "spec.template.spec", this.policy) : [];
    if (refused.length > 0) {
      // The leader's policy changed since the template was applied: no new replica of it, said once.
      const message = `cannot create replicas: ${refused.join("; ")}`;
      if (this.refusedCreates.get(name) !== message) await this.record(deployment, "Warning", "FailedCreate", message);
      this.refusedCreates.set(name, message);
      plan.create = 0;
    } else this.refusedCreates.delete(name);
    if (plan.create > 0) {
      const created = await this.store.pods.createReplicas(deployment, plan.create, new Date(now));
      this.log.info(`deployment/${name}: created ${created.join(", ")}`);
      await this.record(deployment, "Normal", "Created", `created ${nameSome(created.map((pod) => `pod/${pod}`))} (revision ${rollout.revision})`);
    }
    for (const reason of new Set(plan.delete.map((d) => d.reason))) {
      const names = plan.delete.filter((d) => d.reason === reason).map((d) => d.name);
      const pods = names.map((pod) => `pod/${pod}`);
      this.log.info(`deployment/${name}: deleting ${pods.join(", ")} (${reason})`);
      await this.record(deployment, "Normal", "Deleted", `deleting ${nameSome(pods)}: ${reason}`);
      for (const pod of names) await this.pods.delete(pod);
    }
    return plan.create > 0;
  }

  /** Ends a rollout that completed or failed; false when the deployment's template changed (a rollback): plan again. */
  private async judge(deployment: StoredDeployment, intent: DeploymentIntent, owned: OwnedPod[], now: number): Promise<boolean> {
    const { name, rollout, spec } = deployment;
    const revisions = await this.revisions(name);
    const lastComplete = lastCompleteRevision(revisions, rollout.revision);
    const facts = {
      intent,
      progressDeadlineSeconds: spec.progressDeadlineSeconds,
      autoRollback: spec.autoRollback,
      // A leader that was not there (restarted, or taken over) saw no progress meanwhile, and its nodes could report
      // none: the deadline runs from its start at the earliest, as a node's grace period does.
      startedAt: Math.max(rollout.startedAt.getTime(), this.since),
      lastCompleteRevision: lastComplete?.revision,
    };
    const decision = judgeRollout(facts, owned, now);
    const at = new Date(now);
    switch (decision.action) {
      case "wait":
        return true;
      case "complete":
        if (await this.store.deployments.finishRollout(name, rollout.revision, { state: "Complete" }, at)) {
          await this.record(deployment, "Normal", "RolloutComplete", `revision ${rollout.revision} rolled out: ${intent.replicas} replicas available`);
        }
        return true;
      case "stop":
        if (await this.store.deployments.finishRollout(name, rollout.revision, { state: "Failed", message: decision.reason }, at)) {
          await this.record(deployment, "Warning", "RolloutFailed", `revision ${rollout.revision} failed: ${decision.reason}; stopped where it stood`);
        }
        return false;
      case "rollback": {
        const target = lastComplete!;
        const reason = `revision ${rollout.revision} failed: ${decision.reason}`;
        const refused = admissionProblems(target.template.spec, `revision ${target.revision}'s spec.template.spec`, this.policy);
        if (refused.length > 0) {
          const stopped = `${decision.reason}; no rollback: ${refused.join("; ")}`;
          if (await this.store.deployments.finishRollout(name, rollout.revision, { state: "Failed", message: stopped }, at)) {
            await this.record(deployment, "Warning", "RolloutFailed", `revision ${rollout.revision} failed: ${stopped}; stopped where it stood`);
          }
          return false;
        }
        await this.store.deployments.changeTemplate(name, target.template, at, { from: rollout.revision, reason });
        await this.record(deployment, "Warning", "RolledBack", `${reason}; rolling back to the template of revision ${target.revision}`);
        this.again = true;
        return false;
      }
    }
  }

  private async record(deployment: StoredDeployment, type: EventType, reason: string, message: string): Promise<void> {
    if (type === "Warning") this.log.warn(`deployment/${deployment.name}: ${message}`);
    await this.store.recordEvent(deployment.uid, { time: new Date(this.clock.now()), type, reason, message, node: "" });
  }
}

/** A request that cannot be done as asked: its message is what the user reads. */
