import { isUtf8 } from "node:buffer";
import type { ConfigResource, SecretResource } from "./domain.js";

/** The keys a registry secret holds: one login, or a Docker config.json. */
export const REGISTRY_KEYS = { server: "server", username: "username", password: "password", dockerConfig: ".dockerconfigjson" } as const;

/** The bytes of each key of a secret or config: `data` as UTF-8, `binaryData` decoded, a registry's credentials as keys. */
export function keyedContent(resource: SecretResource | ConfigResource): Map<string, Buffer> {
  const content = new Map<string, Buffer>();
  for (const [key, text] of Object.entries(resource.data ?? {})) content.set(key, Buffer.from(text, "utf8"));
  for (const [key, base64] of Object.entries(resource.binaryData ?? {})) content.set(key, Buffer.from(base64, "base64"));
  const registry = resource.type === "secret" ? resource.registry : undefined;
  if (registry && "dockerConfigJson" in registry) content.set(REGISTRY_KEYS.dockerConfig, Buffer.from(registry.dockerConfigJson));
  else if (registry) {
    content.set(REGISTRY_KEYS.server, Buffer.from(registry.server));
    content.set(REGISTRY_KEYS.username, Buffer.from(registry.username));
    content.set(REGISTRY_KEYS.password, Buffer.from(registry.password));
  }
  return content;
}

/** A content map as one JSON text (keys sorted, values base64): what is sealed, and what is compared. */
export function encodeContent(content: Map<string, Buffer>): Buffer {
  const sorted = [...content.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(Object.fromEntries(sorted.map(([key, value]) => [key, value.toString("base64")]))));
}

export function decodeContent(encoded: Buffer): Map<string, Buffer> {
  return new Map(Object.entries(JSON.parse(encoded.toString("utf8")) as Record<string, string>).map(([key, value]) => [key, Buffer.from(value, "base64")]));
}

/** Keys and their bytes as a manifest writes them: UTF-8 text in `data`, anything else base64 in `binaryData`. */
export function manifestData(content: Iterable<[string, Buffer]>): { data?: Record<string, string>; binaryData?: Record<string, string> } {
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  for (const [key, value] of content) {
    if (isUtf8(value)) data[key] = value.toString("utf8");
    else binaryData[key] = value.toString("base64");
  }
  return { ...(Object.keys(data).length ? { data } : {}), ...(Object.keys(binaryData).length ? { binaryData } : {}) };
}
