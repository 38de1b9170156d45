import { Args } from "@oclif/core";
import { CubeCommand, outputFlag, selectorFlag, watchFlag } from "../base-command.js";
import { parseTypeArgument } from "../resource-ref.js";
import { printList } from "../print-list.js";

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
