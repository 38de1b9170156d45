import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ContainerInfo {
  id: string;
  name: string;
  state: string;
  labels: Record<string, string>;
}

/** Containers (running or not) carrying every given label ("key=value" or "key"). */
export async function containersWithLabels(...labels: string[]): Promise<ContainerInfo[]> {
  const filters = labels.flatMap((label) => ["--filter", `label=${label}`]);
  const { stdout } = await run("docker", ["ps", "-a", "--no-trunc", ...filters, "--format", "{{json .}}"]);
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { ID: string; Names: string; State: string; Labels: string })
    .map(({ ID, Names, State, Labels }) => ({
      id: ID,
      name: Names,
      state: State,
      labels: Object.fromEntries(
        Labels.split(",")
          .filter(Boolean)
          .map((pair) => pair.split("=", 2) as [string, string]),
      ),
    }));
}

/** Removes, by force, the containers that Cube made for these nodes. */
export async function removeNodeContainers(nodes: string[]): Promise<void> {
  for (const node of nodes) {
    const ids = (await containersWithLabels(`cube.node=${node}`)).map((c) => c.id);
    if (ids.length > 0) await run("docker", ["rm", "-f", ...ids]);
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
