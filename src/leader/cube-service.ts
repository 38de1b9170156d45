import type { CubeServer } from "../gen/cube.js";
import { nodeToProto } from "../shared/node-codec.js";
import type { NodeRegistry } from "./node-registry.js";

/** The handlers of the `Cube` service that exist so far; grpc-js answers UNIMPLEMENTED for the others. */
export type CubeHandlers = Pick<CubeServer, "listNodes">;

export function createCubeService(registry: NodeRegistry): CubeHandlers {
  return {
    listNodes: (_call, callback) => callback(null, { nodes: registry.list().map(nodeToProto) }),
  };
}
