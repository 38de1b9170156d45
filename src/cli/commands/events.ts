import type { ResourceEvent } from "../../gen/cube.js";
import { Flags } from "@oclif/core";
import { eventFromWire } from "../../shared/codec.js";
import { cancelOnInterrupt } from "../own-cancel.js";
import { CubeCommand, outputFlag, watchFlag } from "../base-command.js";
import { printedForScripts } from "../output-formats.js";
import { formatAge } from "../../shared/format-age.js";
import { parseOneResource } from "../resource-ref.js";
import { columnWidths, renderRow } from "../table.js";

const HEADERS = ["last seen", "type", "reason", "object", "message"];

/** One event under HEADERS, as kubectl's `get events` shows it. */
function eventRow({ type, name, event }: ResourceEvent, now: Date): string[] {
  const e = eventFromWire(event!);
  const seen = e.count ? `${formatAge(e.time, now)} (x${e.count})` : formatAge(e.time, now);
  return [seen, e.type, e.reason, `${type}/${name}${e.node ? ` on ${e.node}` : ""}`, e.message];
}

export default class Events extends CubeCommand {
  static override description = "List events: every resource's, or one's (--for), in time order; --watch prints each new one as it happens";
  static override examples = ["<%= config.bin %> events", "<%= config.bin %> events --for deployment/web", "<%= config.bin %> events --watch"];
  static override flags = {
    for: Flags.string({ description: "one resource's events: TYPE/NAME" }),
    watch: watchFlag,
    output: outputFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Events);
    const resource = flags.for === undefined ? undefined : parseOneResource([flags.for]);
    const stream = await (await this.leader()).events({ type: resource?.type ?? "", name: resource?.name ?? "", watch: flags.watch });
    const interrupt = cancelOnInterrupt(stream);
    const records: ResourceEvent[] = [];
    const asValue = (record: ResourceEvent) => ({ object: `${record.type}/${record.name}`, ...eventFromWire(record.event!) });
    try {
      let widths: number[] | undefined;
      for await (const record of stream as AsyncIterable<ResourceEvent>) {
        if (!flags.watch) {
          records.push(record);
          continue;
        }
        // Watching: a line (or a document) per event as it comes, the columns sized generously from the first.
        if (flags.output === "json") process.stdout.write(`${JSON.stringify(asValue(record))}\n`);
        else {
          const row = eventRow(record, new Date());
          if (!widths) {
            widths = columnWidths(HEADERS, [row]).map((width, column) => (column < 3 ? width + 4 : width));
            process.stdout.write(`${renderRow(HEADERS, widths)}\n`);
          }
          process.stdout.write(`${renderRow(row, widths)}\n`);
        }
      }
    } catch (error) {
      interrupt.rethrowUnlessOwn(error);
    } finally {
      interrupt.dispose();
    }
    if (flags.watch) return;
    if (await printedForScripts(flags.output, records.map(asValue), () => records.map((r) => `${r.type}/${r.name}`))) return;
    const now = new Date();
    const rows = records.map((record) => eventRow(record, now));
    const widths = columnWidths(HEADERS, rows);
    process.stdout.write(rows.length === 0 ? "no events\n" : `${[HEADERS, ...rows].map((row) => renderRow(row, widths)).join("\n")}\n`);
  }
}
