import { MANIFEST_LIMITS } from "../shared/manifest-limits.js";
import * as grpc from "@grpc/grpc-js";
import type { CubeServer, Pod, ResourceSummary } from "../gen/cube.js";
import { parseResourceType, type PodPhase } from "../shared/domain.js";
import type { PodSummary } from "./store/leader-store.js";
import { statusError } from "../shared/grpc-server.js";
import type { Logger } from "../shared/logger.js";
import { nameSome } from "./name-some.js";
import { parseHostPort } from "../shared/host-port.js";
import { parseManifestInSlices } from "../shared/manifest.js";
import type { AgentClients } from "./agent-clients.js";
import type { ClusterIdentity } from "./identity/cluster-identity.js";
import type { NodeLifecycle } from "./node-lifecycle.js";
import type { NodeRegistry } from "./node-registry.js";
import { eventToWire, podStatusToWire } from "../shared/codec.js";
import type { DeploymentController } from "./deployments/deployment-controller.js";
import { deploymentSummaries, getDeployment, rolloutHandlers } from "./deployments/deployment-service.js";
import { admissionProblems, type AdmissionPolicy } from "./pod-admission.js";
import type { OpenStreams } from "./open-streams.js";
import { conflict } from "./refusals.js";
import { unary } from "./unary-handler.js";
import { nodeRelayHandlers } from "./node-relay.js";
import { checkType, labelMatcher, resourceNotFound } from "./resource-checks.js";
import { topHandler } from "./usage-handlers.js";
import type { UsageBoard } from "./usage-board.js";
import type { PodUsage } from "../shared/usage.js";
import { listResponseInSlices } from "./encoded-in-slices.js";
import { CUBE_VERSION } from "../shared/version.js";
import { getService, serviceSummaries, type ServiceSources } from "./service-handlers.js";
import type { PodController, PodView } from "./pod-controller.js";
import { getKeyed, keyedSummaries, type KeyedSource } from "./keyed-handlers.js";
import type { SecretsKeyRotation } from "./secrets/secrets-key-rotation.js";

/** The handlers of the `Cube` service. */
export type CubeHandlers = CubeServer;

/** A pod for the CLI; its published ports at the address they are reached at (the node's, unless the spec names one). */
function podToWire(pod: PodView, nodeHost: string | undefined, usage: PodUsage | undefined): Pod {
  return {
    metadata: { name: pod.name, labels: pod.labels, uid: pod.uid, createdAt: pod.createdAt },
    specJson: JSON.stringify(pod.spec),
    status: podStatusToWire({ ...(pod.status ?? { containers: [] }), phase: pod.phase }),
    node: pod.node,
    ports: pod.hostPorts.map((port) => ({ ...port, hostAddress: port.hostAddress || (nodeHost ?? "") })),
    usage,
  };
}

/** A pod as `cube list` shows it, `-o wide` columns included. */
function podSummary(pod: PodSummary & { phase: PodPhase }, nodeHost: string | undefined): ResourceSummary {
  const containers = pod.status?.containers ?? [];
  return {
    type: "pod",
    name: pod.name,
    status: pod.phase,
    createdAt: pod.createdAt,
    labels: pod.labels,
    node: pod.node,
    readyContainers: containers.filter((c) => c.ready ?? c.state === "running").length,
    containers: containers.length,
    restarts: containers.reduce((sum, c) => sum + c.restartCount, 0),
    podIp: pod.status?.podIp,
    ports: pod.hostPorts.map((port) => ({ ...port, hostAddress: port.hostAddress || (nodeHost ?? "") })),
    owner: pod.owner,
  };
}

/** The host of a node's agent address: where its published ports are reached. */
function hostOf(address: string | undefined): string | undefined {
  return address === undefined ? undefined : parseHostPort(address, "node address").host;
}

/**
 * The resources `list` shows, of a type ("" for all) and matching a label selector ("" for all), a page at a time:
 * pods come as the store reads them (summaryPages), each page made into what the wire carries and let go, so that a
 * list of 10 000 pods holds them in one form (the wire's) rather than three.
 */
export function resourceSummaries(
  registry: NodeRegistry,
  pods: PodController,
  deployments: DeploymentController,
  services: ServiceSources,
  keyed: KeyedSource,
) {
  return async function* (type: string, selector: string): AsyncGenerator<ResourceSummary[]> {
    checkType(type, true);
    const matches = labelMatcher(selector);
    const selected = (item: ResourceSummary) => matches(item.labels);
    const wanted = type === "" ? undefined : parseResourceType(type);
    const hosts = new Map(registry.list().map((node) => [node.name, hostOf(node.address)]));
    if (wanted === undefined || wanted === "deployment") yield (await deploymentSummaries(deployments)).filter(selected);
    if (wanted === undefined || wanted === "service") yield (await serviceSummaries(services)).filter(selected);
    if (wanted === undefined || wanted === "secret" || wanted === "config") {
      yield (await keyedSummaries(keyed, new Set(wanted ? [wanted] : (["secret", "config"] as const)))).filter(selected);
    }
    if (wanted !== undefined && wanted !== "pod") return;
    for await (const page of pods.listPages()) {
      yield page.map((pod) => podSummary(pod, pod.node === undefined ? undefined : hosts.get(pod.node))).filter(selected);
    }
  };
}

/** The uid of a resource the user named (whose events to read), undefined when there is none. */
export function resourceUid(pods: PodController, deployments: DeploymentController, services: ServiceSources, keyed: KeyedSource) {
  return async (type: string, name: string): Promise<string | undefined> => {
    checkType(type, false);
    const wanted = parseResourceType(type);
    if (wanted === "service") return (await services.services.get(name))?.uid;
    if (wanted === "secret" || wanted === "config") return (await keyed.get(wanted, name))?.uid;
    return wanted === "pod" ? (await pods.get(name))?.pod.uid : (await deployments.get(name))?.deployment.uid;
  };
}

export interface CubeServiceOptions extends AdmissionPolicy {
  /** The join token, the nodes waiting for approval, the certificates' ends. */
  identity: ClusterIdentity;
  /** Secrets and configs, and the rotation of the key that seals secrets. */
  keyed: KeyedSource;
  secretsKey: SecretsKeyRotation;
  /** Several leaders share the store: what one leader keeps in its data directory alone must not change (rotations). */
  sharedStore: boolean;
  /** What pods use, as their nodes last told. */
  usage: UsageBoard;
}

/** A rotation on one of several leaders: the others would keep the old token or key, and fail on taking over. */
function refuseOnSharedStore(options: CubeServiceOptions, what: string): void {
  if (options.sharedStore)
    throw conflict(`rotating ${what} is not supported yet with several leaders on PostgreSQL: the leaders standing by would keep the old one`);
}

export function createCubeService(
  registry: NodeRegistry,
  pods: PodController,
  deployments: DeploymentController,
  lifecycle: NodeLifecycle,
  agents: AgentClients,
  log: Logger,
  options: CubeServiceOptions,
  /** The streams that follow changes (`watch-service.ts`). */
  watching: Pick<CubeServer, "watch" | "events">,
  /** The long calls under way, which the leader ends when it stops: the relayed ones join them. */
  streams: OpenStreams,
  services: ServiceSources,
): CubeHandlers {
  const summaries = resourceSummaries(registry, pods, deployments, services, options.keyed);
  /** A service's node ports were held from pods' host ports: its removal may make room for a pending pod. */
  const removeService = async (name: string) => {
    const removed = await services.services.remove(name);
    if (removed) pods.roomMayHaveChanged();
    return removed;
  };

  return {
    version: unary(log, async () => ({ version: CUBE_VERSION })),

    listNodes: unary(log, async () => {
      const allocation = await pods.allocationByNode();
      const { identity } = options;
      const ends = identity.certificateEnds();
      const joined = registry.list().map((node) => ({
        ...node,
        allocatedCpuMillis: allocation.get(node.name)?.cpuMillis ?? 0,
        allocatedMemoryBytes: allocation.get(node.name)?.memoryBytes ?? 0,
        certificateExpiresAt: ends.get(node.name),
        holds: registry.holdsOf(node.name),
      }));
      // Nodes certified that wait for an admin's approval have not joined: what they would declare is not known yet.
      const waiting = identity
        .pending()
        .filter(({ name }) => !joined.some((node) => node.name === name))
        .map(({ name, since }) => ({
          name,
          status: "Pending approval",
          type: "Follower",
          address: "",
          joinedAt: since,
          lastHeartbeatAt: since,
          labels: {},
          cpuMillis: 0,
          memoryBytes: 0,
          allocatedCpuMillis: 0,
          allocatedMemoryBytes: 0,
          cordoned: false,
          certificateExpiresAt: ends.get(name),
          holds: [],
        }));
      return { nodes: [...joined, ...waiting].sort((a, b) => a.name.localeCompare(b.name)), caExpiresAt: identity.caExpiresAt, warnings: identity.warnings() };
    }),

    approveNode: unary(log, async ({ name }) => {
      if (!(await options.identity.approve(name))) {
        throw statusError(grpc.status.NOT_FOUND, `no node ${name} waits for approval (cube nodes shows those that do: Pending approval)`);
      }
      return {};
    }),

    rotateToken: unary(log, async () => {
      refuseOnSharedStore(options, "the join token");
      return options.identity.rotateToken();
    }),

    removeNode: unary(log, async ({ name, force }) => {
      const moved = await lifecycle.remove(name, force);
      if (moved === undefined) throw statusError(grpc.status.NOT_FOUND, `node/${name} not found`);
      return { podsMoved: moved };
    }),

    cordon: unary(log, async ({ name, cordoned }) => {
      if (!(await registry.setCordoned(name, cordoned))) throw statusError(grpc.status.NOT_FOUND, `node/${name} not found`);
      if (!cordoned) pods.roomMayHaveChanged();
      return {};
    }),

    drain: unary(log, async ({ name }) => {
      const drained = await lifecycle.drain(name);
      if (!drained) throw statusError(grpc.status.NOT_FOUND, `node/${name} not found`);
      if (drained.evicted.length > 0) await deployments.reconcile();
      // A deployment whose rollout stopped replaces no pod until its template changes: its evicted pods stay.
      const held = [...drained.held];
      for (const { pod, owner } of drained.evicted) {
        const deployment = (await deployments.get(owner))?.deployment;
        if (deployment?.rollout.state === "Failed") {
          held.push({ pod, reason: `deployment/${owner}'s rollout stopped (${deployment.rollout.message}): it replaces no pod until its template changes` });
        }
      }
      return { moved: drained.moved, evicted: drained.evicted.length, held };
    }),

    apply: unary(log, async ({ manifestJson, dryRun }) => {
      const manifest = await parseManifestInSlices(manifestJson);
      if (!manifest.ok) throw statusError(grpc.status.INVALID_ARGUMENT, manifest.problems.join("\n"));
      // A change asked for, before it is made: what the leader was doing when it stopped can be told from its log.
      if (!dryRun) log.info(`apply received: ${nameSome(manifest.entries.map(({ resource }) => `${resource.type}/${resource.metadata.name}`))}`);
      const refused = manifest.entries.flatMap(({ resource }, index) => {
        const at = manifest.entries.length > 1 ? `[${index}].` : "";
        if (resource.type === "service" || resource.type === "secret" || resource.type === "config") return [];
        return resource.type === "pod"
          ? admissionProblems(resource.spec, `${at}spec`, options)
          : admissionProblems(resource.spec.template.spec, `${at}spec.template.spec`, options);
      });
      if (refused.length > 0) throw statusError(grpc.status.INVALID_ARGUMENT, refused.join("\n"));
      if (dryRun) return { results: await pods.preview(manifest.entries) };
      const results = await pods.apply(manifest.entries);
      // New values of a secret or config roll out the deployments that use them.
      if (results.some((result) => result.type !== "pod" && result.type !== "service")) await deployments.reconcile();
      return { results };
    }),

    list: unary(log, ({ type, selector }) => listResponseInSlices(summaries(type, selector))),

    get: unary(log, async ({ type, name }) => {
      checkType(type, false);
      if (parseResourceType(type) === "deployment") return getDeployment(deployments, name);
      const kind = parseResourceType(type);
      if (kind === "service") return getService(services, name);
      if (kind === "secret" || kind === "config") return getKeyed(options.keyed, kind, name);
      const found = await pods.get(name);
      if (!found) throw resourceNotFound(type, name);
      return {
        manifestJson: JSON.stringify(found.pod.manifest),
        pod: podToWire(found.pod, hostOf(registry.list().find((node) => node.name === found.pod.node)?.address), options.usage.ofPod(found.pod.uid)?.usage),
        events: found.events.map(eventToWire),
        pods: [],
        revisions: [],
      };
    }),

    scale: unary(log, async ({ type, name, replicas }) => {
      checkType(type, false);
      if (parseResourceType(type) !== "deployment")
        throw statusError(grpc.status.INVALID_ARGUMENT, `only a deployment can be scaled, not a ${parseResourceType(type)}`);
      if (replicas > MANIFEST_LIMITS.replicas) {
        throw statusError(grpc.status.INVALID_ARGUMENT, `replicas must be at most ${MANIFEST_LIMITS.replicas}, got ${replicas}`);
      }
      if (!(await deployments.scale(name, replicas))) throw resourceNotFound(type, name);
      return {};
    }),

    restart: unary(log, async ({ type, name }) => {
      checkType(type, false);
      const kind = parseResourceType(type);
      if (kind === "service" || kind === "secret" || kind === "config")
        throw statusError(grpc.status.INVALID_ARGUMENT, `a ${kind} has no containers to restart: restart the deployment of the pods that use it`);
      // A deployment restarts as a rollout: its pods are replaced within its strategy's bounds.
      const restarted = parseResourceType(type) === "deployment" ? await deployments.restart(name) : await pods.restart(name);
      if (!restarted) throw resourceNotFound(type, name);
      return {};
    }),

    delete: unary(log, async ({ type, name, purge }) => {
      checkType(type, false);
      log.info(`delete received: ${parseResourceType(type)}/${name}${purge ? " (purge)" : ""}`);
      const kind = parseResourceType(type);
      const deleted =
        kind === "deployment"
          ? await deployments.delete(name)
          : kind === "service"
            ? await removeService(name)
            : kind === "secret" || kind === "config"
              ? await pods.deleteKeyed(kind, name)
              : await pods.delete(name, purge);
      if (!deleted) throw resourceNotFound(type, name);
      return {};
    }),

    rotateSecretsKey: unary(log, async () => {
      refuseOnSharedStore(options, "the secrets key");
      const rotated = await options.secretsKey.rotate();
      log.info(`secrets key rotated: ${rotated.secrets} secrets sealed again under key ${rotated.keyId}`);
      return rotated;
    }),

    ...rolloutHandlers(deployments, log),
    ...topHandler(registry, pods, options.usage, log),
    ...watching,
    ...nodeRelayHandlers({ registry, pods, agents, log, streams }),
  };
}
