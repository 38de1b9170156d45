// What pods and nodes use (`cube top`): measured by the nodes, kept by the leader (latest only), shown by the CLI.

/** What one running container uses: CPU in millicores (a rate over the last interval), memory as its working set. */
export interface ContainerUsage {
  name: string;
  cpuMillis: number;
  memoryBytes: number;
}

/** What a pod's running containers use (its pause container is left out), at one reading. */
export interface PodUsage {
  containers: ContainerUsage[];
  sampledAt: Date;
}

/** What a node tells the leader: every measured pod (complete), or those changed and those no longer measured. */
export interface UsageUpdate {
  complete: boolean;
  pods: { podUid: string; usage: PodUsage }[];
  removed: string[];
}

/** The sum of some containers' figures (a pod's, or a node's pods'). */
export function totalUsage(containers: Iterable<Pick<ContainerUsage, "cpuMillis" | "memoryBytes">>): { cpuMillis: number; memoryBytes: number } {
  let cpuMillis = 0;
  let memoryBytes = 0;
  for (const container of containers) {
    cpuMillis += container.cpuMillis;
    memoryBytes += container.memoryBytes;
  }
  return { cpuMillis, memoryBytes };
}
