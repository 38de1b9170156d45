import { printable } from "./printable.js";
import type { DeploymentStatus } from "../gen/cube.js";

/** What `cube rollout status` says at one look at a deployment, and whether it is done waiting. */
export interface RolloutProgress {
  /** The revision it follows from now on (a newer one supersedes the one it started with, as kubectl follows it). */
  revision: number;
  line: string;
  /** Undefined while the rollout goes on. */
  outcome?: "succeeded" | "failed";
}

/**
 * Pure: the revision followed so far and what the leader says now in, what to print and whether it ended out. A
 * deployment whose latest revision is an automatic rollback had its last rollout fail: that is what it says, until a
 * new template is applied.
 */
export function rolloutProgress(name: string, followed: number, status: DeploymentStatus): RolloutProgress {
  const rollout = status.rollout!;
  const subject = `deployment/${name}`;
  // The latest rollout failed and was rolled back (whether we saw it happen, or came after): said, and failed.
  if (rollout.rolledBackFrom !== undefined) {
    return { revision: rollout.revision, outcome: "failed", line: `${subject}: ${printable(rollout.message)}; rolled back (revision ${rollout.revision})` };
  }
  const revision = rollout.revision;
  if (rollout.state === "Failed") return { revision, outcome: "failed", line: `${subject}: ${printable(rollout.message)}; the rollout stopped` };
  if (rollout.state === "Complete") return { revision, outcome: "succeeded", line: `${subject} successfully rolled out (revision ${revision})` };
  const { replicas, updated, available } = status;
  const waiting = `Waiting for ${subject} (revision ${revision}) to roll out:`;
  if (updated < replicas) return { revision, line: `${waiting} ${updated} of ${replicas} new replicas created…` };
  if (available < replicas) return { revision, line: `${waiting} ${available} of ${replicas} replicas available…` };
  return { revision, line: `${waiting} old replicas are stopping…` };
}
