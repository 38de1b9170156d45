import * as grpc from "@grpc/grpc-js";
import type { CubeServer, ExecInput, LogChunk, Pod, PortForwardInput, ResourceSummary } from "../gen/cube.js";
import { parseResourceType, RESOURCE_TYPES, type PodPhase } from "../shared/domain.js";
import { matchesSelector, parseSelector } from "../shared/label-selector.js";
import type { PodSummary } from "./leader-store.js";
import { statusError } from "../shared/grpc-server.js";
import type { Logger } from "../shared/logger.js";
import { nameSome } from "../shared/name-some.js";
import { parseHostPort } from "../shared/host-port.js";
import { parseManifestInSlices } from "../shared/manifest.js";
import { relay, writeWithBackpressure } from "../shared/stream-writes.js";
import type { AgentClients } from "./agent-clients.js";
import type { ClusterIdentity } from "./cluster-identity.js";
import type { NodeLifecycle } from "./node-lifecycle.js";
import type { NodeRegistry } from "./node-registry.js";
import { eventToWire } from "../shared/codec.js";
import type { DeploymentController } from "./deployment-controller.js";
import { deploymentSummaries, getDeployment, rolloutHandlers } from "./deployment-service.js";
import { admissionProblems, type AdmissionPolicy } from "./pod-admission.js";
import type { OpenStreams } from "./open-streams.js";
import { toStatus, unary } from "./unary-handler.js";
import { NODE_UNREACHABLE, unavailableReason } from "../shared/unavailable-reason.js";
import { CUBE_VERSION } from "../shared/version.js";
import type { PodController, PodView } from "./pod-controller.js";

/** The handlers of the `Cube` service. */
export type CubeHandlers = CubeServer;

/** A pod for the CLI; its published ports at the address they are reached at (the node's, unless the spec names one). */
function podToWire(pod: PodView, nodeHost: string | undefined): Pod {
  return {
    metadata: { name: pod.name, labels: pod.labels, uid: pod.uid, createdAt: pod.createdAt },
    specJson: JSON.stringify(pod.spec),
    status: { ...(pod.status ?? { containers: [] }), phase: pod.phase },
    node: pod.node,
    ports: pod.hostPorts.map((port) => ({ ...port, hostAddress: port.hostAddress || (nodeHost ?? "") })),
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
    ports: pod.hostPorts.map((port) => ({ ...port, hostAddress: port.hostAddress || (nodeHost ?? "") })),
  };
}

/** The host of a node's agent address: where its published ports are reached. */
function hostOf(address: string | undefined): string | undefined {
  return address === undefined ? undefined : parseHostPort(address, "node address").host;
}

/** The resources `list` shows, of a type ("" for all) and matching a label selector ("" for all). */
export function resourceSummaries(registry: NodeRegistry, pods: PodController, deployments: DeploymentController) {
  return async (type: string, selector: string): Promise<ResourceSummary[]> => {
    checkType(type, true);
    const parsed = parseSelector(selector);
    if (selector !== "" && !parsed.ok) throw statusError(grpc.status.INVALID_ARGUMENT, parsed.problem);
    const selected = (item: ResourceSummary) => selector === "" || (parsed.ok && matchesSelector(parsed.requirements, item.labels));
    const wanted = type === "" ? undefined : parseResourceType(type);
    const hosts = new Map(registry.list().map((node) => [node.name, hostOf(node.address)]));
    const items = [
      ...(wanted !== "pod" ? await deploymentSummaries(deployments) : []),
      ...(wanted !== "deployment" ? (await pods.list()).map((pod) => podSummary(pod, pod.node === undefined ? undefined : hosts.get(pod.node))) : []),
    ];
    return items.filter(selected);
  };
}

/** The uid of a resource the user named (whose events to read), undefined when there is none. */
export function resourceUid(pods: PodController, deployments: DeploymentController) {
  return async (type: string, name: string): Promise<string | undefined> => {
    checkType(type, false);
    return parseResourceType(type) === "pod" ? (await pods.get(name))?.pod.uid : (await deployments.get(name))?.deployment.uid;
  };
}

/** Checks a resource type the user named; empty means "every type" where `allowEmpty`. */
function checkType(type: string, allowEmpty: boolean): void {
  if (allowEmpty && type === "") return;
  if (!parseResourceType(type)) {
    throw statusError(grpc.status.INVALID_ARGUMENT, `unknown resource type "${type}" (supported types: ${RESOURCE_TYPES.join(", ")})`);
  }
}

export interface CubeServiceOptions extends AdmissionPolicy {
  /** The join token, the nodes waiting for approval, the certificates' ends. */
  identity: ClusterIdentity;
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
): CubeHandlers {
  const summaries = resourceSummaries(registry, pods, deployments);
  const notFound = (type: string, name: string) => statusError(grpc.status.NOT_FOUND, `${parseResourceType(type)}/${name} not found`);

  /** The Agent service of the node that runs a pod, and the pod's container to talk to (checked, or the only one). */
  async function podOnNode(type: string, name: string, container: string, needsOne: boolean) {
    checkType(type, false);
    const found = await pods.get(name);
    if (!found) throw notFound(type, name);
    const { pod } = found;
    const names = pod.spec.containers.map((c) => c.name);
    if (container && !names.includes(container)) {
      throw statusError(grpc.status.NOT_FOUND, `container "${container}" not found in pod/${name}; its containers: ${names.join(", ")}`);
    }
    if (!container && needsOne && names.length > 1) {
      throw statusError(grpc.status.INVALID_ARGUMENT, `pod/${name} has several containers: choose one with --container (${names.join(", ")})`);
    }
    if (!pod.node) throw statusError(grpc.status.FAILED_PRECONDITION, `pod/${name} is not running on a node yet (${pod.phase})`);
    const node = registry.list().find((n) => n.name === pod.node);
    if (node?.status !== "Ready") throw statusError(grpc.status.UNAVAILABLE, `node ${pod.node}, which runs pod/${name}, is not Ready`);
    return { agent: agents.for(node), node: node.name, container: container || (needsOne ? names[0] : "") };
  }

  /**
   * Relays a bidirectional call to the node that runs its pod, both ways at the pace of the slower side: the first
   * message (its start) says which pod; `open` opens the node's call and sends what it needs of that start.
   */
  function proxyToNode<In extends { start?: unknown }, Out>(
    call: grpc.ServerDuplexStream<In, Out>,
    what: string,
    open: (first: In) => Promise<{ upstream: grpc.ClientDuplexStream<In, Out>; node: string }>,
  ): void {
    streams.add(call);
    call.once("data", (first: In) => {
      call.pause();
      if (!first.start) {
        call.emit("error", statusError(grpc.status.INVALID_ARGUMENT, `the first ${what} message must be start`));
        return;
      }
      open(first).then(
        ({ upstream, node }) => {
          relay(upstream, call);
          relay(call, upstream);
          upstream.on("end", () => call.end());
          upstream.on("error", forwardError(call, node));
          call.on("end", () => upstream.end());
          call.on("cancelled", () => upstream.cancel());
          call.resume();
        },
        (error) => call.emit("error", toStatus(error, log)),
      );
    });
  }

  /**
   * Ends a proxied call with the node's status, or, when the node could not be reached, with why, said as the node's
   * (the CLI would take a bare UNAVAILABLE for its own connection to the leader).
   */
  const forwardError = (call: { emit(event: "error", error: unknown): boolean }, node: string) => (error: Partial<grpc.ServiceError>) => {
    const details = error.details || error.message || "the node failed";
    call.emit(
      "error",
      error.code === grpc.status.UNAVAILABLE
        ? statusError(grpc.status.UNAVAILABLE, `${NODE_UNREACHABLE} ${node}, which runs the pod: ${unavailableReason(details)}`)
        : statusError(error.code ?? grpc.status.INTERNAL, details),
    );
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
        }));
      return { nodes: [...joined, ...waiting].sort((a, b) => a.name.localeCompare(b.name)), caExpiresAt: identity.caExpiresAt, warnings: identity.warnings() };
    }),

    approveNode: unary(log, async ({ name }) => {
      if (!(await options.identity.approve(name))) {
        throw statusError(grpc.status.NOT_FOUND, `no node ${name} waits for approval (cube nodes shows those that do: Pending approval)`);
      }
      return {};
    }),

    rotateToken: unary(log, async () => options.identity.rotateToken()),

    removeNode: unary(log, async ({ name, force }) => {
      const moved = await lifecycle.remove(name, force);
      if (moved === undefined) throw statusError(grpc.status.NOT_FOUND, `node/${name} not found`);
      return { podsMoved: moved };
    }),

    cordon: unary(log, async ({ name, cordoned }) => {
      if (!(await registry.setCordoned(name, cordoned))) throw statusError(grpc.status.NOT_FOUND, `node/${name} not found`);
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
        return resource.type === "pod"
          ? admissionProblems(resource.spec, `${at}spec`, options)
          : admissionProblems(resource.spec.template.spec, `${at}spec.template.spec`, options);
      });
      if (refused.length > 0) throw statusError(grpc.status.INVALID_ARGUMENT, refused.join("\n"));
      if (dryRun) return { results: await pods.preview(manifest.entries) };
      const results = await pods.apply(manifest.entries);
      if (results.some((result) => result.type === "deployment")) await deployments.reconcile();
      return { results };
    }),

    list: unary(log, async ({ type, selector }) => ({ items: await summaries(type, selector) })),

    get: unary(log, async ({ type, name }) => {
      checkType(type, false);
      if (parseResourceType(type) === "deployment") return getDeployment(deployments, name);
      const found = await pods.get(name);
      if (!found) throw notFound(type, name);
      return {
        manifestJson: JSON.stringify(found.pod.manifest),
        pod: podToWire(found.pod, hostOf(registry.list().find((node) => node.name === found.pod.node)?.address)),
        events: found.events.map(eventToWire),
        pods: [],
        revisions: [],
      };
    }),

    scale: unary(log, async ({ type, name, replicas }) => {
      checkType(type, false);
      if (parseResourceType(type) !== "deployment")
        throw statusError(grpc.status.INVALID_ARGUMENT, `only a deployment can be scaled, not a ${parseResourceType(type)}`);
      if (replicas > 1000) throw statusError(grpc.status.INVALID_ARGUMENT, `replicas must be at most 1000, got ${replicas}`);
      if (!(await deployments.scale(name, replicas))) throw notFound(type, name);
      return {};
    }),

    restart: unary(log, async ({ type, name }) => {
      checkType(type, false);
      // A deployment restarts as a rollout: its pods are replaced within its strategy's bounds.
      const restarted = parseResourceType(type) === "deployment" ? await deployments.restart(name) : await pods.restart(name);
      if (!restarted) throw notFound(type, name);
      return {};
    }),

    delete: unary(log, async ({ type, name, purge }) => {
      checkType(type, false);
      log.info(`delete received: ${parseResourceType(type)}/${name}${purge ? " (purge)" : ""}`);
      const deleted = parseResourceType(type) === "deployment" ? await deployments.delete(name) : await pods.delete(name, purge);
      if (!deleted) throw notFound(type, name);
      return {};
    }),

    ...rolloutHandlers(deployments, log),
    ...watching,

    logs: (call) => {
      streams.add(call);
      podOnNode(call.request.type, call.request.name, call.request.container, false)
        .then(
          async ({ agent, node }) => {
            const upstream = agent.logs(call.request);
            call.on("cancelled", () => upstream.cancel());
            upstream.on("error", forwardError(call, node));
            // Chunk by chunk, at the pace the CLI reads: a large log never sits in the leader's memory.
            for await (const chunk of upstream as AsyncIterable<LogChunk>) await writeWithBackpressure(call, chunk);
            call.end();
          },
          (error) => call.emit("error", toStatus(error, log)),
        )
        .catch(() => undefined); // the upstream's error was forwarded
    },

    exec: (call) =>
      proxyToNode(call, "exec", async ({ start }: ExecInput) => {
        const { agent, node, container } = await podOnNode(start!.type, start!.name, start!.container, true);
        const upstream = agent.exec();
        upstream.write({ start: { ...start!, container } });
        return { upstream, node };
      }),

    portForward: (call) =>
      proxyToNode(call, "port-forward", async (first: PortForwardInput) => {
        const { agent, node } = await podOnNode(first.start!.type, first.start!.name, "", false);
        const upstream = agent.portForward();
        upstream.write(first);
        return { upstream, node };
      }),
  };
}
