import { NodeStatus as ProtoNodeStatus, NodeType as ProtoNodeType, type Node } from "../gen/cube.js";
import type { NodeInfo, NodeStatus, NodeType } from "./domain.js";

const statusToProto: Record<NodeStatus, ProtoNodeStatus> = {
  Ready: ProtoNodeStatus.NODE_STATUS_READY,
  NotReady: ProtoNodeStatus.NODE_STATUS_NOT_READY,
};
const typeToProto: Record<NodeType, ProtoNodeType> = {
  Leader: ProtoNodeType.NODE_TYPE_LEADER,
  Follower: ProtoNodeType.NODE_TYPE_FOLLOWER,
};

function invert<K extends string, V extends number>(table: Record<K, V>): Map<V, K> {
  return new Map(Object.entries(table).map(([key, value]) => [value as V, key as K]));
}
const statusFromProto = invert(statusToProto);
const typeFromProto = invert(typeToProto);

export function nodeToProto(node: NodeInfo): Node {
  return {
    name: node.name,
    status: statusToProto[node.status],
    type: typeToProto[node.type],
    address: node.address,
    joinedAt: node.joinedAt,
    lastHeartbeatAt: node.lastHeartbeatAt,
  };
}

export function nodeTypeToProto(type: NodeType): ProtoNodeType {
  return typeToProto[type];
}

export function nodeFromProto(node: Node): NodeInfo {
  return {
    name: node.name,
    status: statusFromProto.get(node.status) ?? "NotReady",
    type: typeFromProto.get(node.type) ?? "Follower",
    address: node.address,
    joinedAt: node.joinedAt ?? new Date(0),
    lastHeartbeatAt: node.lastHeartbeatAt ?? new Date(0),
  };
}
