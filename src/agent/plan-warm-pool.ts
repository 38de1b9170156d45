import { onPodNetwork, type PodAction } from "./compute-pod-actions.js";
import type { PodNetworkState } from "./network/pod-network.js";
import type { ObservedContainer } from "./container-runtime.js";
import { newestFirst } from "./observed-containers.js";

export interface WarmPoolSituation {
  /** How many warm sandboxes the node keeps (its `--warm-sandboxes`). */
  target: number;
  /** Nothing else to do on the node: no pod has a plan or a worker running (a refill never slows a pod's start). */
  idle: boolean;
  /** Warm sandboxes that pods claim in this pass or in a worker still running: no longer the pool's. */
  claimed: ReadonlySet<string>;
  /** The node's pod network: warm sandboxes elsewhere go, and new ones wait for it to be ready. */
  network?: PodNetworkState;
}

/**
 * What the node's warm pool needs: the warm sandboxes the engine shows that stopped (or never started) go; those
 * beyond the target go (the target was lowered, to zero to drain it); a missing one is made, one per pass and only
 * when the node is idle. Runs only while no earlier pool plan is still at work.
 */
export function planWarmPool(observed: ObservedContainer[], situation: WarmPoolSituation): PodAction[] {
  const pool = newestFirst(observed.filter((c) => c.warm && !situation.claimed.has(c.id)));
  const { network } = situation;
  const misplaced = (c: ObservedContainer) => c.state === "running" && network?.ready === true && !onPodNetwork(c, network);
  const running = pool.filter((c) => c.state === "running" && !misplaced(c));
  const remove = (container: ObservedContainer, reason: string): PodAction => ({ type: "removeContainer", container, graceSeconds: 0, reason });
  const actions = [
    ...pool.filter((c) => c.state !== "running").map((c) => remove(c, "a warm sandbox that is not running is of no use")),
    ...pool.filter(misplaced).map((c) => remove(c, `a warm sandbox off the node's pod network ${network!.name} is of no use`)),
    ...running.slice(situation.target).map((c) => remove(c, `the node keeps ${situation.target} warm sandboxes`)),
  ];
  if (situation.idle && running.length < situation.target && (!network || network.ready)) {
    actions.push({ type: "createWarmSandbox", reason: `the node keeps ${situation.target} warm sandboxes and has ${running.length}` });
  }
  return actions;
}
