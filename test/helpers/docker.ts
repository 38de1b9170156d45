import { readdirSync } from "node:fs";
import { join } from "node:path";
import { KEYED_VOLUMES_DIR, TmpfsVolumeHost } from "../../src/agent/keyed/keyed-volume-host.js";
import { observeServiceRules, planServiceRules } from "../../src/agent/network/plan-service-rules.js";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { podNetworkIdentity, readContainerIdentity } from "../../src/agent/container-labels.js";
import { applyHostCommands, observeHostNetwork, runHostCommand } from "../../src/agent/network/host-network.js";
import { planHostNetwork } from "../../src/agent/network/plan-host-network.js";

const run = promisify(execFile);

export interface ContainerInfo {
  id: string;
  name: string;
  state: string;
  labels: Record<string, string>;
  /** Its pod and spec container as the node reads them (a claimed warm sandbox says its pod by its name). */
  pod: string;
  container?: string;
}

/** `docker ps`'s "k=v,k=v" labels. */
function parseDockerLabels(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(",")
      .filter(Boolean)
      .map((pair) => pair.split("=", 2) as [string, string]),
  );
}

/** A container as `docker ps --format "{{json .}}"` prints it. */
export function containerInfo({ ID, Names, State, Labels }: { ID: string; Names: string; State: string; Labels: string }): ContainerInfo {
  const labels = parseDockerLabels(Labels);
  const { podName, containerName } = readContainerIdentity(labels, Names);
  return { id: ID, name: Names, state: State, labels, pod: podName, container: containerName };
}

/** Containers (running or not) carrying every given label ("key=value" or "key"). */
export async function containersWithLabels(...labels: string[]): Promise<ContainerInfo[]> {
  const filters = labels.flatMap((label) => ["--filter", `label=${label}`]);
  const { stdout } = await run("docker", ["ps", "-a", "--no-trunc", ...filters, "--format", "{{json .}}"]);
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => containerInfo(JSON.parse(line)));
}

/** The containers of a pod, its sandbox included (a claimed warm sandbox carries no `cube.pod` label). */
export async function podContainers(pod: string): Promise<ContainerInfo[]> {
  return (await containersWithLabels("cube.node")).filter((c) => c.pod === pod);
}

/** The containers of every pod (not the nodes' warm sandboxes), of one node or of all. */
export async function allPodContainers(node?: string): Promise<ContainerInfo[]> {
  return (await containersWithLabels(node === undefined ? "cube.node" : `cube.node=${node}`)).filter((c) => c.pod !== "");
}

/** The subnet of a node's pod network on this machine's engine. */
export async function podNetworkSubnet(node: string): Promise<string> {
  const { stdout } = await run("docker", ["network", "inspect", podNetworkIdentity(node).name, "--format", "{{(index .IPAM.Config 0).Subnet}}"]);
  return stdout.trim();
}

/**
 * Removes what Cube made on this machine for these nodes: their containers (by force), their pod networks, and their
 * part of the host's pod network (by the agent's own plan for a node that is gone). Servers that stop leave them, as
 * they leave their pods running.
 */
export async function removeNodeLeftovers(nodes: string[]): Promise<void> {
  for (const node of nodes) {
    await removeContainers((await containersWithLabels(`cube.node=${node}`)).map((c) => c.id));
    await run("docker", ["network", "rm", podNetworkIdentity(node).name]).catch(() => undefined);
    // Persistent volumes outlive their pods (and deployments) on purpose: the test's own go with its nodes.
    const volumes = (await run("docker", ["volume", "ls", "-q", "--filter", `label=cube.node=${node}`])).stdout.split("\n").filter(Boolean);
    if (volumes.length > 0) await run("docker", ["volume", "rm", ...volumes]);
    await applyHostCommands(runHostCommand, planHostNetwork(node, undefined, await observeHostNetwork(runHostCommand)));
    const services = planServiceRules(node, undefined, observeServiceRules(node, await runHostCommand(["iptables-save"])), new Map());
    if (services.restore) await runHostCommand(["iptables-restore", "--noflush"], services.restore);
  }
}

/**
 * Removes containers by force. A server stopped a moment ago may have left a removal under way in the engine ("removal
 * … is already in progress"): that container is waited for until it is gone.
 */
async function removeContainers(ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  try {
    await run("docker", ["rm", "-f", ...ids]);
  } catch (error) {
    if (!/already in progress|No such container/.test(String((error as { stderr?: string }).stderr ?? error))) throw error;
  }
  for (let tries = 0; tries < 100; tries++) {
    const { stdout } = await run("docker", ["ps", "-aq", "--no-trunc", ...ids.flatMap((id) => ["--filter", `id=${id}`])]);
    if (stdout.trim() === "") return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`containers still there 10 s after their removal: ${ids.join(", ")}`);
}

/** The pods that have secret or config volumes on the node whose data directory is `nodeDir`, as its agent sees them. */
export async function keyedVolumePods(nodeDir: string): Promise<string[]> {
  return (await new TmpfsVolumeHost(join(nodeDir, KEYED_VOLUMES_DIR)).observe()).podDirs;
}

/** Removes the secret and config volumes of every node whose data directory is in `dir`, with the agent's own teardown (their tmpfs unmounted). */
export async function removeKeyedVolumes(dir: string): Promise<void> {
  for (const node of readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory())) {
    const host = new TmpfsVolumeHost(join(dir, node.name, KEYED_VOLUMES_DIR));
    for (const uid of (await host.observe()).podDirs) await host.removePod(uid);
  }
}

/** Runs a command in a container, through the engine's exec, and returns its stdout. */
export async function dockerExec(id: string, command: string[]): Promise<string> {
  return (await run("docker", ["exec", id, ...command])).stdout;
}

export async function dockerLogs(id: string): Promise<string> {
  const { stdout, stderr } = await run("docker", ["logs", id]);
  return stdout + stderr;
}

/** The id of the container whose network namespace this one joined (a pod's sandbox). */
export async function networkOwner(id: string): Promise<string> {
  const { stdout } = await run("docker", ["inspect", "--format", "{{.HostConfig.NetworkMode}}", id]);
  return stdout.trim().replace(/^container:/, "");
}

/** What the engine did to a container since `since` (its kills with their signal, its death with its exit code), in order. */
export async function containerHistory(id: string, since: Date): Promise<string[]> {
  const { stdout } = await run("docker", [
    "events",
    "--since",
    (since.getTime() / 1000).toFixed(3),
    "--until",
    (Date.now() / 1000 + 1).toFixed(3),
    "--filter",
    `container=${id}`,
    "--format",
    "{{json .}}",
  ]);
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { Action: string; Actor: { Attributes: Record<string, string> } })
    .filter(({ Action }) => Action === "kill" || Action === "die")
    .map(({ Action, Actor: { Attributes } }) => (Action === "kill" ? `kill ${Attributes.signal}` : `die ${Attributes.exitCode}`));
}
