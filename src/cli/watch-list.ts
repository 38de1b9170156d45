import type { ResourceSummary, WatchEvent } from "../gen/cube.js";
import type { ResourceType } from "../shared/domain.js";
import { printStructured, type OutputFormat } from "./output-formats.js";
import type { LeaderClient } from "./leader-client.js";
import { listHeaders, listRow, summaryValue } from "./resource-table.js";
import { columnWidths, renderRow } from "./table.js";
import { cancelOnInterrupt } from "./own-cancel.js";

/**
 * `list --watch`: the list as it stood (a table, its columns sized to it), then one line per change, aligned to it.
 * For scripts, one document per change (`-o json`: a JSON object per line; `-o yaml`: YAML documents; `-o name`).
 */
export async function watchList(leader: LeaderClient, type: ResourceType | "", output: OutputFormat, selector: string, name = ""): Promise<void> {
  const stream = await leader.watch({ type, selector, name });
  const interrupt = cancelOnInterrupt(stream);
  const wide = output === "wide";
  const headers = listHeaders(type, wide);
  let initial: ResourceSummary[] | undefined = [];
  let widths: number[] = [];
  const print = async (kind: string, item: ResourceSummary) => {
    const shown = kind === "DELETED" ? { ...item, status: "Deleted" } : item;
    if (output === "json") process.stdout.write(`${JSON.stringify({ kind, ...summaryValue(shown) })}\n`);
    else if (output === "yaml") await printStructured({ kind, ...summaryValue(shown) }, "yaml").then(() => process.stdout.write("---\n"));
    else if (output === "name") process.stdout.write(`${item.type}/${item.name}\n`);
    else process.stdout.write(`${renderRow(listRow(shown, type, wide, new Date()), widths)}\n`);
  };
  try {
    for await (const change of stream as AsyncIterable<WatchEvent>) {
      if (change.kind === "SYNCED") {
        // The list as it stood: its widths (with room to spare) hold for the lines that follow.
        const now = new Date();
        const rows = initial!.map((item) => listRow(item, type, wide, now));
        widths = columnWidths(headers, rows).map((width) => width + 2);
        if (output === "table" || output === "wide") process.stdout.write(`${[headers, ...rows].map((row) => renderRow(row, widths)).join("\n")}\n`);
        else for (const item of initial!) await print("ADDED", item);
        initial = undefined;
      } else if (initial) initial.push(change.item!);
      else await print(change.kind, change.item!);
    }
  } catch (error) {
    interrupt.rethrowUnlessOwn(error);
    return;
  } finally {
    interrupt.dispose();
  }
  // A watch has no end of its own: a leader that ended it without a word is as good as gone.
  throw new Error("the leader ended the watch");
}
