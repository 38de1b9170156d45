import type { GetResponse, KeyedStatus } from "../gen/cube.js";
import { formatAge } from "../shared/format-age.js";
import { renderTable } from "./table.js";

/** What `get secret/NAME -o json` prints: keys and sizes, revision, the pods that use it; never a secret's values. */
export function keyedToJson({ manifestJson, keyed }: GetResponse) {
  const status = keyed as KeyedStatus;
  return {
    manifest: JSON.parse(manifestJson),
    ...(status.secretType ? { secretType: status.secretType } : {}),
    keys: status.keys,
    revision: status.revision,
    updatedAt: status.updatedAt,
    usedBy: status.usedBy,
  };
}

/** A secret or config as `cube get` shows it: its keys and their sizes, its revision, and which revision each pod has. */
export function renderKeyed(name: string, response: GetResponse, now: Date): string {
  const status = response.keyed as KeyedStatus;
  const lines = [
    `Name:      ${name}`,
    `Type:      ${status.kind}${status.kind === "secret" ? ` (${status.secretType || "Opaque"})` : ""}`,
    `Revision:  ${status.revision}${status.updatedAt ? ` (changed ${formatAge(status.updatedAt, now)} ago)` : ""}`,
    "",
    status.kind === "secret" ? "Keys (values are never shown):" : "Keys:",
    renderTable(
      ["key", "bytes"],
      status.keys.map((k) => [k.key, String(k.bytes)]),
    ).replace(/^/gm, "  "),
    "",
    "Used by:",
    status.usedBy.length === 0
      ? "  <no pod>"
      : renderTable(
          ["pod", "revision"],
          status.usedBy.map((u) => [u.pod, u.revision === 0 ? "<none yet>" : `${u.revision}${u.revision === status.revision ? "" : " (older)"}`]),
        ).replace(/^/gm, "  "),
  ];
  if (status.kind === "config") lines.push("", "Manifest:", JSON.stringify(JSON.parse(response.manifestJson), null, 2).replace(/^/gm, "  "));
  return `${lines.join("\n")}\n`;
}
