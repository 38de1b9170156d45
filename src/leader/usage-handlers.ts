import * as grpc from "@grpc/grpc-js";
import type { CubeServer } from "../gen/cube.js";
import { parseResourceType } from "../shared/domain.js";
import { statusError } from "../shared/grpc-server.js";
import { labelMatcher } from "./resource-checks.js";
import type { Logger } from "../shared/logger.js";
import type { NodeRegistry } from "./node-registry.js";
import type { PodController } from "./pod-controller.js";
import { unary } from "./unary-handler.js";
import type { UsageBoard } from "./usage-board.js";

const NODE_WORDS = new Set(["node", "nodes", "no"]);

/** `cube top pods|nodes`: the measured pods (a pod not measured yet is left out, as kubectl's), or every node. */
export function topHandler(registry: NodeRegistry, pods: PodController, usage: UsageBoard, log: Logger): Pick<CubeServer, "top"> {
  return {
    top: unary(log, async ({ type, selector }) => {
      const nodes = NODE_WORDS.has(type.toLowerCase());
      if (!nodes && parseResourceType(type) !== "pod") throw statusError(grpc.status.INVALID_ARGUMENT, `top shows pods or nodes, not "${type}"`);
      const selected = labelMatcher(selector);
      if (nodes)
        return {
          pods: [],
          nodes: registry
            .list()
            .filter((node) => selected(node.labels))
            .map((node) => usage.ofNode(node)),
        };
      const measured = (await pods.list()).flatMap((pod) => {
        const found = usage.ofPod(pod.uid);
        return found && selected(pod.labels) ? [{ name: pod.name, labels: pod.labels, node: found.node, usage: found.usage }] : [];
      });
      return { pods: measured, nodes: [] };
    }),
  };
}
