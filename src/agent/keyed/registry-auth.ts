import type { PodSpec } from "../../shared/domain.js";
import { REGISTRY_KEYS } from "../../shared/keyed-content.js";
import { keyedRef } from "../../shared/pod-references.js";
import type { KeyedLookup } from "./keyed-files.js";

/** What the engine's pull takes (the Docker Engine API's X-Registry-Auth). */
export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

const DOCKER_HUB = "docker.io";

/** The registry an image comes from, as distribution/reference reads it: its first part if it looks like a host. */
export function registryOf(image: string): string {
  const slash = image.indexOf("/");
  const first = slash === -1 ? "" : image.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost" ? first : DOCKER_HUB;
}

/** A registry as written in a secret or a config.json ("https://r.example:5000/v2/", "index.docker.io"), as a host. */
function registryHost(server: string): string {
  const host = server.replace(/^[a-z]+:\/\//, "").replace(/\/.*$/, "");
  return host === "index.docker.io" || host === "registry-1.docker.io" ? DOCKER_HUB : host;
}

/** The credentials of a pod's pull secrets for `image`'s registry (the first secret that has some); none otherwise. */
export function pullAuthFor(image: string, spec: PodSpec, lookup: KeyedLookup): RegistryAuth | undefined {
  const registry = registryOf(image);
  for (const { name } of spec.imagePullSecrets ?? []) {
    const data = lookup(keyedRef("secret", name))?.data;
    if (!data) continue;
    const config = data.get(REGISTRY_KEYS.dockerConfig);
    if (config) {
      const auths = (JSON.parse(config.toString("utf8")) as { auths?: Record<string, { auth?: string; username?: string; password?: string }> }).auths ?? {};
      for (const [server, entry] of Object.entries(auths)) {
        if (registryHost(server) !== registry) continue;
        const [username, ...rest] = entry.auth ? Buffer.from(entry.auth, "base64").toString("utf8").split(":") : [entry.username ?? "", entry.password ?? ""];
        return { username, password: rest.join(":"), serveraddress: server };
      }
      continue;
    }
    const server = data.get(REGISTRY_KEYS.server)?.toString("utf8");
    if (server && registryHost(server) === registry)
      return {
        username: data.get(REGISTRY_KEYS.username)!.toString("utf8"),
        password: data.get(REGISTRY_KEYS.password)!.toString("utf8"),
        serveraddress: server,
      };
  }
  return undefined;
}
