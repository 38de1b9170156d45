import type { ResourceSummary, WatchEvent } from "../gen/cube.js";
import type { LeaderClient } from "./leader-client.js";
import { ownCancel } from "./own-cancel.js";

/** Where a resource stands for `apply --wait`. */
export type WaitState = { done: "ready" } | { done: "failed"; why: string } | { done: false; what: string };

/** The phases in which a pod will not become ready without a change (or a restart by hand). */
const FAILED_PHASES = new Set(["Failed", "CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff", "CreateContainerError"]);

/**
 * Pure: a resource as the leader lists it in, whether `apply --wait` is done with it out. A pod is done once Running
 * with every container ready; a deployment once the rollout of the revision it had when the wait began completed,
 * failed once that rollout failed or was rolled back; a service, secret or config at once (nothing runs for them: a
 * service may select no pod yet, a secret reaches nodes with the pods that use it).
 */
export function waitState(item: ResourceSummary, revisionAtStart: number | undefined): WaitState {
  if (item.type === "service" || item.type === "secret" || item.type === "config") return { done: "ready" };
  if (item.type === "deployment") {
    const d = item.deployment!;
    const rollout = d.rollout!;
    if (revisionAtStart !== undefined && rollout.rolledBackFrom === revisionAtStart) return { done: "failed", why: `rolled back: ${rollout.message}` };
    if (rollout.state === "Failed") return { done: "failed", why: rollout.message };
    if (rollout.state === "Complete") return { done: "ready" };
    return { done: false, what: `${d.available}/${d.replicas} available, ${d.updated} up to date` };
  }
  if (FAILED_PHASES.has(item.status)) return { done: "failed", why: item.status };
  if (item.status === "Running" && item.containers > 0 && item.readyContainers === item.containers) return { done: "ready" };
  return { done: false, what: item.status === "Running" ? `Running, ${item.readyContainers}/${item.containers} ready` : item.status };
}

/**
 * Follows the resources through the leader's Watch until each is ready or failed (or the time is up): a live line on
 * a terminal, a line per change when piped. Resolves with the failures (empty: all ready).
 */
export async function waitForResources(leader: LeaderClient, names: string[], timeoutMs: number): Promise<string[]> {
  const stream = await leader.watch({ type: "", selector: "", name: "" });
  const live = process.stderr.isTTY;
  const states = new Map<string, WaitState>(names.map((name) => [name, { done: false, what: "not seen yet" }]));
  const revisions = new Map<string, number | undefined>();
  const interrupted = () => {
    stream.cancel();
    process.stderr.write(`${live ? "\n" : ""}interrupted: the leader goes on with what was applied; follow it with \`cube list --watch\`\n`);
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  const timeUp = ownCancel(stream);
  const timer = setTimeout(timeUp.cancel, timeoutMs);
  const pending = () => [...states.values()].filter((state) => !state.done).length;
  try {
    for await (const change of stream as AsyncIterable<WatchEvent>) {
      if (!change.item) continue;
      const name = `${change.item.type}/${change.item.name}`;
      if (!states.has(name)) continue;
      if (!revisions.has(name)) revisions.set(name, change.item.deployment?.rollout?.revision);
      const state: WaitState = change.kind === "DELETED" ? { done: "failed", why: "deleted meanwhile" } : waitState(change.item, revisions.get(name));
      const before = states.get(name)!;
      if (before.done) continue;
      states.set(name, state);
      const said = state.done === "ready" ? "ready" : state.done === "failed" ? `failed: ${state.why}` : state.what;
      if (live) process.stderr.write(`\r\x1b[K${names.length - pending()}/${names.length} done; ${name}: ${said}`);
      else if (JSON.stringify(before) !== JSON.stringify(state)) process.stderr.write(`${name}: ${said}\n`);
      if (pending() === 0) break;
    }
    // A watch has no end of its own: a leader that ended it without a word is as good as gone.
    if (pending() > 0) throw new Error("the leader ended the watch");
  } catch (error) {
    timeUp.rethrowUnlessOwn(error);
  } finally {
    clearTimeout(timer);
    stream.cancel();
    process.off("SIGINT", interrupted);
    if (live) process.stderr.write("\r\x1b[K");
  }
  return [...states].flatMap(([name, state]) =>
    state.done === "ready" ? [] : state.done === "failed" ? [`${name} failed: ${state.why}`] : [`${name} not ready in time (${state.what})`],
  );
}
