import type { ResourceType } from "../shared/domain.js";
import type { LeaderClient } from "./leader-client.js";
import { printedForScripts, type OutputFormat } from "./output-formats.js";
import { listHeaders, listRow, summaryValue } from "./resource-table.js";
import { renderTable } from "./table.js";
import { watchList } from "./watch-list.js";

/** Resources of one type (or every type, for "") as `list` prints them; with `watch`, then each change as it happens. */
export async function printList(leader: LeaderClient, type: ResourceType | "", output: OutputFormat, selector = "", watch = false): Promise<void> {
  if (watch) return watchList(leader, type, output, selector);
  const { items } = await leader.list(type, selector);
  if (await printedForScripts(output, items.map(summaryValue), () => items.map((item) => `${item.type}/${item.name}`))) return;
  const now = new Date();
  const wide = output === "wide";
  process.stdout.write(
    `${renderTable(
      listHeaders(type, wide),
      items.map((item) => listRow(item, type, wide, now)),
    )}\n`,
  );
}
