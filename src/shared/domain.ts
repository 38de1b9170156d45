// The domain types that the leader, the agents and the CLI share.

export type NodeType = "Leader" | "Follower";
export type NodeStatus = "Ready" | "NotReady";

export interface NodeInfo {
  name: string;
  status: NodeStatus;
  type: NodeType;
  /** host:port of the node's Agent service. */
  address: string;
  joinedAt: Date;
  lastHeartbeatAt: Date;
}

/** Node names follow DNS rules (host names are the default), which also keeps them safe in labels and logs. */
export const NODE_NAME_PATTERN = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
