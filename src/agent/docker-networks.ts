import type Docker from "dockerode";
import { POD_NETWORK_FILTER } from "./container-labels.js";
import { isStatus, type PodNetworkSpec } from "./container-runtime.js";

const MTU_OPTION = "com.docker.network.driver.mtu";

/**
 * Makes a node's pod network on the engine unless it is as `spec` says; one that differs goes first, with the
 * containers on it (`removeContainer`: Docker removes no network that containers are on; their pods are made anew).
 * Resolves with its bridge device on the host (Docker names it br- and the network id's first 12 characters).
 */
export async function ensureDockerNetwork(docker: Docker, spec: PodNetworkSpec, removeContainer: (id: string) => Promise<void>): Promise<{ bridge: string }> {
  const existing = await docker
    .getNetwork(spec.name)
    .inspect()
    .catch((error: unknown) => {
      if (isStatus(error, 404)) return undefined;
      throw error;
    });
  if (existing) {
    const ipam = (existing.IPAM?.Config ?? [])[0] ?? {};
    const options = existing.Options ?? {};
    if (ipam.Subnet === spec.subnet && ipam.Gateway === spec.gateway && options[MTU_OPTION] === String(spec.mtu)) return bridgeOf(existing.Id);
    for (const id of Object.keys(existing.Containers ?? {})) await removeContainer(id);
    await removeDockerNetwork(docker, spec.name);
  }
  await removeStaleNetworks(docker, spec);
  const created = await docker.createNetwork({
    Name: spec.name,
    Driver: "bridge",
    CheckDuplicate: true,
    IPAM: { Driver: "default", Config: [{ Subnet: spec.subnet, Gateway: spec.gateway }] },
    // Cube masquerades only what leaves the pod CIDR (pods see each other's addresses): not Docker's rule for it all.
    Options: { [MTU_OPTION]: String(spec.mtu), "com.docker.network.bridge.enable_ip_masquerade": "false" },
    Labels: spec.labels,
  });
  return bridgeOf(created.id);
}

const bridgeOf = (networkId: string) => ({ bridge: `br-${networkId.slice(0, 12)}` });

/**
 * Removes the pod networks of other nodes that hold the same subnet with no container on them (a node renamed, or a
 * cluster that went away without removing its networks): Docker would refuse the new one as overlapping.
 */
async function removeStaleNetworks(docker: Docker, spec: PodNetworkSpec): Promise<void> {
  const candidates = await docker.listNetworks({ filters: { label: [POD_NETWORK_FILTER] } });
  for (const network of candidates) {
    if (network.Name === spec.name || !(network.IPAM?.Config ?? []).some((config) => config.Subnet === spec.subnet)) continue;
    const details = await docker.getNetwork(network.Id).inspect();
    if (Object.keys(details.Containers ?? {}).length === 0) await removeDockerNetwork(docker, network.Id);
  }
}

/** Removes a network; one already gone is fine. */
export async function removeDockerNetwork(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getNetwork(name).remove();
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
  }
}
