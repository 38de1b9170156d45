import { Args } from "@oclif/core";
import type { ResourceType } from "../../shared/domain.js";
import type { LeaderClient } from "../leader-client.js";
import { CubeCommand, outputFlag, printedForScripts, selectorFlag, watchFlag, type OutputFormat } from "../base-command.js";
import { parseTypeArgument } from "../resource-ref.js";
import { listHeaders, listRow, summaryValue } from "../resource-table.js";
import { renderTable } from "../table.js";
import { watchList } from "../watch-list.js";

export default class List extends CubeCommand {
  static override description = "List resources, of one type or of every type";
  static override examples = [
    "<%= config.bin %> list",
    "<%= config.bin %> list pod -o wide",
    "<%= config.bin %> list pod -l app=web",
    "<%= config.bin %> list pod --watch",
    "<%= config.bin %> list deployment",
    "<%= config.bin %> list pod -o json",
  ];
  static override args = { type: Args.string({ description: "resource type (pod, deployment)", required: false, ignoreStdin: true }) };
  static override flags = { output: outputFlag, selector: selectorFlag, watch: watchFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(List);
    const type = args.type === undefined ? "" : parseTypeArgument(args.type);
    await printList(await this.leader(), type, flags.output, flags.selector, flags.watch);
  }
}

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
