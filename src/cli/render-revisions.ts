import type { Revision } from "../gen/cube.js";
import { RESTARTED_AT } from "../shared/domain.js";
import { formatAge } from "./format-age.js";
import { renderTable } from "./table.js";

/** What set a revision apart, in one cell: its images, and a restart's time. */
function describeTemplate(templateJson: string): string {
  const template = JSON.parse(templateJson) as { metadata?: { annotations?: Record<string, string> }; spec: { containers: { name: string; image: string }[] } };
  const images = template.spec.containers.map((c) => `${c.name}=${c.image}`).join(", ");
  const restartedAt = template.metadata?.annotations?.[RESTARTED_AT];
  return restartedAt ? `${images} (restarted ${restartedAt})` : images;
}

/** A deployment's revisions as a table, oldest first, the current one (the last) marked. */
export function renderRevisions(revisions: Revision[], now: Date): string {
  const current = revisions.at(-1)?.revision;
  const rows = revisions.map((r) => [
    String(r.revision) + (r.revision === current ? " (current)" : ""),
    r.completedAt ? "yes" : "no",
    formatAge(r.createdAt ?? now, now),
    describeTemplate(r.templateJson),
  ]);
  return renderTable(["revision", "completed", "age", "template"], rows);
}
