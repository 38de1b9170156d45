import type { AgentStore } from "./agent-store.js";
import { containerKey, type LocalPod } from "./local-pod.js";
import type { RestartState } from "./restart-tracker.js";

/** The restart tracker's state of every spec container of the node, in memory and in the node's database. */
export class RestartStates {
  private states?: Map<string, RestartState>;

  constructor(private readonly store: AgentStore) {}

  private async load(): Promise<Map<string, RestartState>> {
    this.states ??= await this.store.restartStates();
    return this.states;
  }

  /** Every state, by `containerKey` (read from the database the first time). */
  all(): Promise<ReadonlyMap<string, RestartState>> {
    return this.load();
  }

  async get(pod: Pick<LocalPod, "uid" | "specHash">, containerName: string): Promise<RestartState | undefined> {
    return (await this.load()).get(containerKey(pod, containerName));
  }

  async set(pod: Pick<LocalPod, "uid" | "specHash">, containerName: string, state: RestartState): Promise<void> {
    const key = containerKey(pod, containerName);
    (await this.load()).set(key, state);
    await this.store.saveRestartState(key, pod.uid, state);
  }
}
