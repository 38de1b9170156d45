import { LABEL_KEY, LABEL_VALUE } from "../../shared/labels.js";

/** What a node declares when it joins: the leader places pods by it, so a node may not claim what no machine has. */
export interface DeclaredNode {
  nodeId: string;
  labels: Record<string, string>;
  cpuMillis: number;
  memoryBytes: number;
}

/** Bounds of what a node may declare: a thousand CPUs, a pebibyte of memory, 64 labels. */
export const JOIN_LIMITS = { cpuMillis: 1_000_000, memoryBytes: 2 ** 50, labels: 64 };

const NODE_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Why the leader refuses what node `name` declares (empty when it may join): an id of the form nodes make, not the
 * leader's own (that one makes a node the Leader, which no admin could remove), labels as a manifest's, capacity
 * within what machines have.
 */
export function joinProblems(name: string, declared: DeclaredNode, leader: { name: string; nodeId: string }): string[] {
  const problems: string[] = [];
  if (!NODE_ID.test(declared.nodeId)) problems.push(`node id must be 1 to 64 letters, digits or "-", got "${declared.nodeId.slice(0, 80)}"`);
  else if (declared.nodeId === leader.nodeId && name !== leader.name) problems.push(`node id ${declared.nodeId} is the leader's own`);
  const labels = Object.entries(declared.labels);
  if (labels.length > JOIN_LIMITS.labels) problems.push(`at most ${JOIN_LIMITS.labels} labels, got ${labels.length}`);
  for (const [key, value] of labels.slice(0, JOIN_LIMITS.labels)) {
    if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) problems.push(`label ${JSON.stringify(`${key}=${value}`).slice(0, 120)} is not a label`);
  }
  if (!(declared.cpuMillis >= 0 && declared.cpuMillis <= JOIN_LIMITS.cpuMillis)) {
    problems.push(`CPU must be 0 to ${JOIN_LIMITS.cpuMillis} millicores (a thousand CPUs), got ${declared.cpuMillis}`);
  }
  if (!(declared.memoryBytes >= 0 && declared.memoryBytes <= JOIN_LIMITS.memoryBytes)) {
    problems.push(`memory must be 0 to ${JOIN_LIMITS.memoryBytes} bytes (1 PiB), got ${declared.memoryBytes}`);
  }
  return problems;
}
