import type { CubeServer, DeploymentStatus, GetResponse, Pod, ResourceSummary, Revision as WireRevision } from "../../gen/cube.js";
import { eventToWire } from "../../shared/codec.js";
import type { Logger } from "../../shared/logger.js";
import type { DeploymentController, DeploymentView } from "./deployment-controller.js";
import type { Revision } from "../store/deployment-revisions.js";
import type { StoredDeployment } from "../store/deployment-store.js";
import { resolveBound, type OwnedPod, type ReplicaCounts } from "./plan-deployment.js";
import { resourceNotFound } from "../resource-checks.js";
import { unary } from "../unary-handler.js";

const notFound = (name: string) => resourceNotFound("deployment", name);

/** Its strategy in words, bounds resolved for its replicas (as the rollout applies them). */
function describeStrategy({ spec }: StoredDeployment): string {
  if (spec.strategy.type === "Recreate") return "Recreate";
  const { maxSurge, maxUnavailable } = spec.strategy.rollingUpdate;
  const surge = resolveBound(maxSurge, spec.replicas, "up");
  const unavailable = resolveBound(maxUnavailable, spec.replicas, "down");
  return `RollingUpdate, max surge ${surge} (${maxSurge}), max unavailable ${unavailable} (${maxUnavailable})`;
}

function statusToWire(deployment: StoredDeployment, counts: ReplicaCounts): DeploymentStatus {
  return { ...counts, rollout: deployment.rollout, strategy: describeStrategy(deployment) };
}

/** What `cube list` says of a deployment in its status column. */
function summaryStatus(deployment: StoredDeployment, counts: ReplicaCounts): string {
  if (deployment.deletionRequestedAt) return "Terminating";
  return `${counts.ready}/${counts.replicas} ready`;
}

/** A deployment's pod as `cube get deployment/NAME` lists it: name, node, phase and readiness. */
/** A replica as `get deployment/NAME` shows it: with its revision and that revision's pod spec (its images). */
function ownedPodToWire(pod: OwnedPod, revisions: Revision[]): Pod {
  // A rollback's revision repeats an earlier template: a replica belongs to the newest revision with its template.
  const revision = revisions.findLast((candidate) => candidate.templateHash === pod.templateHash);
  return {
    metadata: { name: pod.name, labels: {}, uid: "", createdAt: new Date(pod.createdAt) },
    specJson: revision ? JSON.stringify(revision.template.spec) : "",
    status: { phase: pod.phase, containers: [], ready: pod.readySince !== undefined, used: [] },
    node: pod.node,
    ports: [],
    revision: revision?.revision,
  };
}

function revisionToWire(revision: Revision): WireRevision {
  return { ...revision, templateJson: JSON.stringify(revision.template) };
}

/** Every deployment as `cube list` shows it. */
export async function deploymentSummaries(deployments: DeploymentController): Promise<ResourceSummary[]> {
  return (await deployments.list()).map(({ deployment, counts }) => ({
    type: "deployment",
    name: deployment.name,
    status: summaryStatus(deployment, counts),
    createdAt: deployment.createdAt,
    deployment: statusToWire(deployment, counts),
    labels: deployment.labels,
    readyContainers: 0,
    containers: 0,
    restarts: 0,
    ports: [],
  }));
}

/** A deployment as `cube get` shows it: its manifest as applied, replicas and rollout, pods, revisions, events. */
export async function getDeployment(deployments: DeploymentController, name: string): Promise<GetResponse> {
  const view: DeploymentView | undefined = await deployments.get(name);
  if (!view) throw notFound(name);
  const { deployment, counts, pods } = view;
  const revisions = await deployments.revisions(name);
  return {
    manifestJson: JSON.stringify(deployment.manifest),
    events: (await deployments.events(deployment)).map(eventToWire),
    deployment: statusToWire(deployment, counts),
    pods: [...pods].sort((a, b) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : 1)).map((pod) => ownedPodToWire(pod, revisions)),
    revisions: revisions.map(revisionToWire),
  };
}

/** The `Cube` service's rollout calls. */
export function rolloutHandlers(
  deployments: DeploymentController,
  log: Logger,
): Pick<CubeServer, "rolloutStatus" | "rolloutHistory" | "rolloutUndo" | "rolloutRestart"> {
  return {
    rolloutStatus: unary(log, async ({ name }) => {
      const view = await deployments.get(name);
      if (!view) throw notFound(name);
      return statusToWire(view.deployment, view.counts);
    }),
    rolloutHistory: unary(log, async ({ name }) => {
      if (!(await deployments.get(name))) throw notFound(name);
      return { revisions: (await deployments.revisions(name)).map(revisionToWire) };
    }),
    rolloutUndo: unary(log, async ({ name, toRevision }) => {
      const rollout = await deployments.undo(name, toRevision);
      if (!rollout) throw notFound(name);
      return rollout;
    }),
    rolloutRestart: unary(log, async ({ name }) => {
      const rollout = await deployments.restart(name);
      if (!rollout) throw notFound(name);
      return rollout;
    }),
  };
}
