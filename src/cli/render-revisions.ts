import type { Revision } from "../gen/cube.js";
import { RESTARTED_AT } from "../shared/domain.js";
import { formatAge } from "../shared/format-age.js";
import { printable } from "./printable.js";
import { renderTable } from "./table.js";

/** At most this many changes in a revision's cell; the rest are counted (`--revision N` shows the whole template). */
const SHOWN_CHANGES = 4;

/**
 * A template as `path → value`, with readable paths: a container's settings under its name (`web.image`,
 * `web.env.MODE`), the spec's other fields under theirs (`volumes.0.name`), labels and annotations under `metadata`.
 */
export function flattenTemplate(templateJson: string): Map<string, string> {
  const template = JSON.parse(templateJson) as { metadata?: unknown; spec?: { containers?: { name: string }[] } & Record<string, unknown> };
  const flat = new Map<string, string>();
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === "object") {
      const entries = Object.entries(value);
      if (entries.length === 0) flat.set(path, Array.isArray(value) ? "[]" : "{}");
      for (const [key, inner] of entries) walk(inner, path ? `${path}.${key}` : key);
    } else flat.set(path, typeof value === "string" ? value : JSON.stringify(value));
  };
  const { containers = [], ...rest } = template.spec ?? {};
  for (const container of containers) {
    const { name, ...settings } = container;
    walk(settings, name);
  }
  walk(rest, "");
  if (template.metadata) walk(template.metadata, "metadata");
  return flat;
}

/** What changed from one template to the next, one short phrase each; a restart said as one. */
export function templateChanges(beforeJson: string, afterJson: string): string[] {
  const before = flattenTemplate(beforeJson);
  const after = flattenTemplate(afterJson);
  const restart = `metadata.annotations.${RESTARTED_AT}`;
  const changes: string[] = [];
  for (const [path, value] of after) {
    if (path === restart) {
      if (before.get(path) !== value) changes.push(`restarted ${value}`);
    } else if (!before.has(path)) changes.push(`${path}=${value} (new)`);
    else if (before.get(path) !== value) changes.push(`${path}=${value} (was ${before.get(path)})`);
  }
  for (const path of before.keys()) if (!after.has(path)) changes.push(`${path} removed`);
  return changes;
}

/** A revision's images, as the first revision kept is described. */
function images(templateJson: string): string {
  const template = JSON.parse(templateJson) as { spec: { containers: { name: string; image: string }[] } };
  return template.spec.containers.map((c) => `${c.name}=${c.image}`).join(", ");
}

/** What set a revision apart from the one before it (the first kept: its images), and which earlier one it repeats. */
function describeRevision(revisions: Revision[], index: number): string {
  const { templateJson } = revisions[index];
  if (index === 0) return images(templateJson);
  const changes = templateChanges(revisions[index - 1].templateJson, templateJson);
  const shown = changes.slice(0, SHOWN_CHANGES).join("; ");
  const more = changes.length > SHOWN_CHANGES ? `; and ${changes.length - SHOWN_CHANGES} more` : "";
  const same = revisions.slice(0, index - 1).findLast((earlier) => earlier.templateJson === templateJson);
  return `${shown || "no change"}${more}${same ? ` (as revision ${same.revision})` : ""}`;
}

/** A deployment's revisions as a table, oldest first, the current one (the last) marked, each with what it changed. */
export function renderRevisions(revisions: Revision[], now: Date): string {
  const current = revisions.at(-1)?.revision;
  const rows = revisions.map((r, index) => [
    String(r.revision) + (r.revision === current ? " (current)" : ""),
    r.completedAt ? "yes" : "no",
    formatAge(r.createdAt ?? now, now),
    printable(describeRevision(revisions, index)),
  ]);
  return renderTable(["revision", "completed", "age", "change"], rows);
}
