import type { PodEvent } from "../shared/domain.js";
import { formatAge } from "../shared/format-age.js";
import { printable } from "./printable.js";
import { renderTable } from "./table.js";

/** A resource's events as `cube get` shows them, repeats as "x21 over 3m". */
export function renderEvents(events: PodEvent[], now: Date): string {
  if (events.length === 0) return "  <none>";
  return renderTable(
    ["age", "type", "reason", "node", "message"],
    events.map((e) => [
      e.count ? `${formatAge(e.time, now)} (x${e.count} over ${formatAge(e.firstTime ?? e.time, e.time)})` : formatAge(e.time, now),
      e.type,
      printable(e.reason),
      printable(e.node),
      printable(e.message),
    ]),
  ).replace(/^/gm, "  ");
}
