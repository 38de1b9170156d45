import * as grpc from "@grpc/grpc-js";
import type { ClusterServer, LeaderMessage, NodeMessage } from "../gen/agent.js";
import { NODE_NAME_PATTERN } from "../shared/domain.js";
import { statusError } from "../shared/grpc-server.js";
import { formatHostPort, isWildcardHost, parseHostPort } from "../shared/host-port.js";
import { nodeTypeToProto } from "../shared/node-codec.js";
import type { Logger } from "../shared/logger.js";
import { JoinRefused, type NodeRegistry } from "./node-registry.js";

/** The host a call came from, as grpc-js reports its peer ("1.2.3.4:5678", "[::1]:5678"). */
function peerHost(call: grpc.ServerUnaryCall<unknown, unknown>): string {
  try {
    return parseHostPort(call.getPeer(), "peer").host;
  } catch {
    return "";
  }
}

export interface ClusterServiceOptions {
  heartbeatIntervalMs: number;
}

/** The leader's side of membership: `Join`, then one `Sync` stream per node. */
export function createClusterService(registry: NodeRegistry, log: Logger, options: ClusterServiceOptions): ClusterServer {
  return {
    join: (call, callback) => {
      const { nodeName, nodeId, agentAddress } = call.request;
      if (!NODE_NAME_PATTERN.test(nodeName)) {
        callback(statusError(grpc.status.INVALID_ARGUMENT, `invalid node name "${nodeName}": use lowercase letters, digits, "-" and "."`));
        return;
      }
      if (!nodeId) {
        callback(statusError(grpc.status.INVALID_ARGUMENT, "missing node id"));
        return;
      }
      let address: string;
      try {
        const advertised = parseHostPort(agentAddress, "agent address");
        // A node listening on a wildcard address is reached at the address its call came from.
        address = formatHostPort(isWildcardHost(advertised.host) ? { host: peerHost(call), port: advertised.port } : advertised);
      } catch (error) {
        callback(statusError(grpc.status.INVALID_ARGUMENT, (error as Error).message));
        return;
      }
      registry.join({ name: nodeName, nodeId, address }).then(
        ({ sessionId, node }) =>
          callback(null, { sessionId, type: nodeTypeToProto(node.type), heartbeatIntervalMs: options.heartbeatIntervalMs }),
        (error: Error) => {
          if (error instanceof JoinRefused) {
            log.warn(`refused a node: ${error.message}`);
            callback(statusError(grpc.status.ALREADY_EXISTS, error.message));
          } else {
            log.error(`join of ${nodeName} failed: ${error.message}`);
            callback(statusError(grpc.status.INTERNAL, `join failed: ${error.message}`));
          }
        },
      );
    },

    sync: (call) => {
      serveSync(call, registry).catch((error: Error) => {
        call.emit("error", "code" in error ? error : statusError(grpc.status.INTERNAL, error.message));
      });
    },
  };
}

async function serveSync(call: grpc.ServerDuplexStream<NodeMessage, LeaderMessage>, registry: NodeRegistry): Promise<void> {
  let session: { name: string; sessionId: string } | undefined;
  for await (const message of call as AsyncIterable<NodeMessage>) {
    if (!session) {
      const hello = message.hello;
      if (!hello) throw statusError(grpc.status.FAILED_PRECONDITION, "the first message of a sync stream must be hello");
      session = { name: hello.nodeName, sessionId: hello.sessionId };
      if (!(await registry.heartbeat(session.name, session.sessionId))) {
        throw statusError(grpc.status.FAILED_PRECONDITION, "unknown or superseded session: join again");
      }
      // Nothing is scheduled yet: the node's complete set of pods is empty.
      call.write({ assignments: { pods: [] } });
      continue;
    }
    if (message.heartbeat && !(await registry.heartbeat(session.name, session.sessionId))) {
      throw statusError(grpc.status.FAILED_PRECONDITION, "session superseded by a newer join: join again");
    }
  }
  call.end();
}
