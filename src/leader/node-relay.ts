import * as grpc from "@grpc/grpc-js";
import type { CubeServer, ExecInput, LogChunk, PortForwardInput } from "../gen/cube.js";
import { statusError } from "../shared/grpc-server.js";
import type { Logger } from "../shared/logger.js";
import { relay, writeWithBackpressure } from "../shared/stream-writes.js";
import { NODE_UNREACHABLE, unavailableReason } from "../shared/unavailable-reason.js";
import type { AgentClients } from "./agent-clients.js";
import type { NodeRegistry } from "./node-registry.js";
import type { OpenStreams } from "./open-streams.js";
import type { PodController } from "./pod-controller.js";
import { checkType, resourceNotFound } from "./resource-checks.js";
import { toStatus } from "./unary-handler.js";

export interface NodeRelayDeps {
  registry: NodeRegistry;
  pods: PodController;
  agents: AgentClients;
  log: Logger;
  /** The long calls under way, which the leader ends when it stops: the relayed ones join them. */
  streams: OpenStreams;
}

/**
 * The `Cube` calls that the leader relays to the node that runs their pod (logs, exec, port-forward), at the pace of
 * the slower side: the CLI talks only to the leader, and the leader to the node's `Agent` service.
 */
export function nodeRelayHandlers({ registry, pods, agents, log, streams }: NodeRelayDeps): Pick<CubeServer, "logs" | "exec" | "portForward"> {
  /** The Agent service of the node that runs a pod, and the pod's container to talk to (checked, or the only one). */
  async function podOnNode(type: string, name: string, container: string, needsOne: boolean) {
    checkType(type, false);
    const found = await pods.get(name);
    if (!found) throw resourceNotFound(type, name);
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
