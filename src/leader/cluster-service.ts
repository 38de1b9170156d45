import { refusalStatus } from "./unary-handler.js";
import * as grpc from "@grpc/grpc-js";
import type { ClusterServer, LeaderMessage, NodeMessage } from "../gen/agent.js";
import { callerHost, callerNodeName } from "../shared/tls/authorize-calls.js";
import { statusError } from "../shared/grpc-server.js";
import { formatHostPort, isWildcardHost, parseHostPort } from "../shared/host-port.js";
import { eventFromWire, keyedValuesToWire, podStatusFromWire, serviceEntryToWire, usageUpdateFromWire } from "../shared/codec.js";
import { splitBySize } from "./split-by-size.js";
import { pauseIfSliceUsed } from "../shared/time-slices.js";
import type { Logger } from "../shared/logger.js";
import type { AssignmentHub } from "./assignment-hub.js";
import { joinProblems } from "./identity/check-join.js";
import type { NodeRegistry } from "./node-registry.js";
import type { NodeUpdateBatcher } from "./node-update-batcher.js";
import type { UsageBoard } from "./usage-board.js";
import type { LeaderMetrics } from "./leader-metrics.js";
import type { PodPhase, ServiceUpdate } from "../shared/domain.js";
import { madeOnce } from "./written-once.js";

/** Pods per assignment message, by size: a resource is at most 1 MiB, a message at most 4 MiB. */
const ASSIGNMENT_PART_BYTES = 2 * 1024 * 1024;

export interface ClusterServiceOptions {
  heartbeatIntervalMs: number;
}

/** The leader's side of membership: `Join`, then one `Sync` stream per node; the node's name is always its certificate's. */
export interface ClusterServiceDependencies {
  registry: NodeRegistry;
  updates: NodeUpdateBatcher;
  hub: AssignmentHub;
  log: Logger;
  /** A node joined: pods waiting for one can be placed. */
  nodeReady: (name: string) => void;
  /** Whether a node may join (false while it waits for an admin's approval). */
  isApproved: (name: string) => boolean;
  /** The leader's own node: only it may declare its id (the id makes a node the Leader). */
  leaderNode: { name: string; nodeId: string };
  /** A node's rules follow the services of a version, or (undefined) its stream closed. */
  servicesApplied: (node: string, version: number | undefined) => void;
  /** What the nodes' pods use: a node's figures last as long as its stream. */
  usage: UsageBoard;
  /** The leader's metrics, when its server serves them: pods' start latencies. */
  metrics?: Pick<LeaderMetrics, "podReported" | "podForgotten">;
}

/** The messages of a change of names or services, made once for every node (written-once.ts). */
const NAME_MESSAGES = new WeakMap<object, LeaderMessage>();
const SERVICE_MESSAGES = new WeakMap<ServiceUpdate, LeaderMessage[]>();

/** A change of the services, in parts under the size a message may have. */
function serviceMessages(update: ServiceUpdate): LeaderMessage[] {
  const parts = splitBySize(update.services, (service) => 256 + service.endpoints.length * 96, ASSIGNMENT_PART_BYTES);
  if (parts.length === 0) parts.push([]);
  return parts.map((services, index) => ({ services: { ...update, services: services.map(serviceEntryToWire), more: index < parts.length - 1 } }));
}

export function createClusterService(deps: ClusterServiceDependencies, options: ClusterServiceOptions): Pick<ClusterServer, "join" | "sync"> {
  const { registry, log, nodeReady, isApproved, leaderNode } = deps;
  return {
    join: (call, callback) => {
      // The authorization interceptor admitted only a node certificate whose key its name is bound to.
      const nodeName = callerNodeName(call)!;
      const { nodeId, agentAddress, labels, cpuMillis, memoryBytes, engineId, standbyLeader } = call.request;
      if (!isApproved(nodeName)) {
        callback(statusError(grpc.status.FAILED_PRECONDITION, `node ${nodeName} waits for an admin's approval: cube node approve ${nodeName}`));
        return;
      }
      const problems = joinProblems(nodeName, { nodeId, labels, cpuMillis, memoryBytes }, leaderNode);
      if (problems.length > 0) {
        log.warn(`refused node ${nodeName}: ${problems.join("; ")}`);
        callback(statusError(grpc.status.INVALID_ARGUMENT, problems.join("; ")));
        return;
      }
      let address: string;
      try {
        const advertised = parseHostPort(agentAddress, "agent address");
        // A node listening on a wildcard address is reached at the address its call came from.
        address = formatHostPort(isWildcardHost(advertised.host) ? { host: callerHost(call), port: advertised.port } : advertised);
      } catch (error) {
        callback(statusError(grpc.status.INVALID_ARGUMENT, (error as Error).message));
        return;
      }
      registry.join({ name: nodeName, nodeId, address, labels, cpuMillis, memoryBytes, engineId: engineId.slice(0, 128), standbyLeader }).then(
        ({ sessionId, node }) => {
          callback(null, { sessionId, type: node.type, heartbeatIntervalMs: options.heartbeatIntervalMs });
          nodeReady(node.name);
          deps.hub.networkChanged();
        },
        (error: Error) => {
          const refused = refusalStatus(error);
          if (refused) {
            log.warn(`refused a node: ${error.message}`);
            callback(refused);
          } else {
            log.error(`join of ${nodeName} failed: ${error.message}`);
            callback(statusError(grpc.status.INTERNAL, `join failed: ${error.message}`));
          }
        },
      );
    },

    sync: (call) => {
      serveSync(call, deps).catch((error: Error) => {
        call.emit("error", "code" in error ? error : statusError(grpc.status.INTERNAL, error.message));
      });
    },
  };
}

async function serveSync(
  call: grpc.ServerDuplexStream<NodeMessage, LeaderMessage>,
  { registry, updates, hub, servicesApplied, usage, metrics }: ClusterServiceDependencies,
): Promise<void> {
  let session: { name: string; sessionId: string; nodeId: string } | undefined;
  let disconnect = () => {};
  // Acknowledgements are cumulative (a node's updates commit in the order it sent them): when one group commit stores
  // thousands of a node's events, one message acknowledges them all.
  let ackUpTo = 0;
  let ackQueued = false;
  const ack = (sequence: number) => (error?: unknown) => {
    if (error !== undefined) {
      call.destroy(statusError(grpc.status.INTERNAL, `cannot store what the node sent: ${(error as Error).message}`));
      return;
    }
    ackUpTo = Math.max(ackUpTo, sequence);
    if (ackQueued) return;
    ackQueued = true;
    queueMicrotask(() => {
      ackQueued = false;
      call.write({ eventsAck: { upToSequence: ackUpTo } });
    });
  };
  try {
    // Not destroyed when a refusal ends the loop: a destroyed call would never send the client its status.
    for await (const message of call.iterator({ destroyOnReturn: false }) as AsyncIterable<NodeMessage>) {
      // A stream's buffered messages are otherwise all handled in one turn (thousands when many pods start at once).
      await pauseIfSliceUsed();
      if (!session) {
        const hello = message.hello;
        if (!hello) throw statusError(grpc.status.FAILED_PRECONDITION, "the first message of a sync stream must be hello");
        const name = callerNodeName(call)!;
        if (!registry.heartbeat(name, hello.sessionId)) {
          throw statusError(grpc.status.FAILED_PRECONDITION, "unknown or ended session: join again");
        }
        session = { name, sessionId: hello.sessionId, nodeId: registry.nodeId(name)! };
        const node = session.name;
        // A new session starts from nothing held: the node says what it holds once it has taken what it is sent.
        registry.setHolds(node, []);
        const unregister = hub.connect(node, {
          send: (pods) => {
            const parts = splitBySize(pods, (pod) => pod.specJson.length + 1024, ASSIGNMENT_PART_BYTES);
            parts.forEach((part, index) => call.write({ assignments: { pods: part, more: index < parts.length - 1 } }));
          },
          sendNetwork: (podNetwork) => call.write({ podNetwork }),
          sendNames: (podNames) => call.write(madeOnce(NAME_MESSAGES, podNames, () => ({ podNames }))),
          sendServices: (update) => {
            for (const message of madeOnce(SERVICE_MESSAGES, update, () => serviceMessages(update))) call.write(message);
          },
          sendKeyed: (update) => {
            // A value is at most 1 MiB (1.4 as base64 in JSON, less as protobuf bytes): parts stay under the 4 MiB a message may be.
            const parts = splitBySize(
              update.items,
              (item) => 1024 + [...item.data.values()].reduce((sum, value) => sum + value.length + 64, 0),
              ASSIGNMENT_PART_BYTES,
            );
            if (parts.length === 0) parts.push([]);
            parts.forEach((items, index) =>
              call.write({
                keyed: { complete: update.complete && index === 0, items: items.map(keyedValuesToWire), removed: index === 0 ? update.removed : [] },
              }),
            );
          },
          end: (reason) => call.emit("error", statusError(grpc.status.FAILED_PRECONDITION, reason)),
        });
        disconnect = () => {
          unregister();
          servicesApplied(node, undefined);
          usage.forgetNode(node);
        };
        continue;
      }
      // Whatever arrives on an ended session (a late packet of a node that was cut off) is dropped with the stream.
      if (!registry.heartbeat(session.name, session.sessionId)) {
        throw statusError(grpc.status.FAILED_PRECONDITION, "session ended (superseded by a newer join, or the node was NotReady): join again");
      }
      // Stored by group commit; an event or a removal is acknowledged once it is committed.
      if (message.podReport?.status) {
        const { podUid, specHash, status } = message.podReport;
        metrics?.podReported(podUid, status.phase as PodPhase);
        updates.submit({ kind: "status", node: session.name, podUid, specHash, status: podStatusFromWire(status) }).catch(() => undefined);
      }
      if (message.event?.event) {
        const { sequence, podUid, event } = message.event;
        updates
          .submit({ kind: "event", nodeId: session.nodeId, podUid, event: { ...eventFromWire(event), node: session.name }, sequence })
          .then(ack(sequence), ack(sequence));
      }
      if (message.servicesApplied) servicesApplied(session.name, message.servicesApplied.version);
      if (message.keyedHeld) registry.setHolds(session.name, message.keyedHeld.refs);
      if (message.usage) usage.apply(session.name, usageUpdateFromWire(message.usage));
      if (message.podRemoved) {
        const { sequence, podUid } = message.podRemoved;
        metrics?.podForgotten(podUid);
        updates.submit({ kind: "removed", node: session.name, podUid }).then(ack(sequence), ack(sequence));
      }
    }
    call.end();
  } finally {
    disconnect();
  }
}
