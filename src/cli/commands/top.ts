import { Args, Flags } from "@oclif/core";
import { CubeCommand, outputFlag, selectorFlag } from "../base-command.js";
import { printedForScripts } from "../output-formats.js";
import { nodeTopValue, podTopValue, renderTopNodes, renderTopPods, TOP_SORTS } from "../render-top.js";
import { UsageError } from "../resource-ref.js";

const KINDS: Record<string, "pod" | "node"> = { pod: "pod", pods: "pod", po: "pod", node: "node", nodes: "node", no: "node" };

export default class Top extends CubeCommand {
  static override description = "Show what pods or nodes use now: CPU and memory, as the nodes measure them every few seconds";
  static override examples = [
    "<%= config.bin %> top pods",
    "<%= config.bin %> top pods --sort cpu -l app=web",
    "<%= config.bin %> top pods --containers",
    "<%= config.bin %> top nodes",
    "<%= config.bin %> top nodes -o json",
  ];
  static override args = { kind: Args.string({ description: "pods or nodes", required: true, ignoreStdin: true }) };
  static override flags = {
    output: outputFlag,
    selector: selectorFlag,
    sort: Flags.option({ description: "biggest first by this figure (by name otherwise)", options: TOP_SORTS })(),
    containers: Flags.boolean({ description: "a line per container rather than per pod", default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Top);
    const kind = KINDS[args.kind.toLowerCase()];
    if (!kind) throw new UsageError(`top shows pods or nodes, not "${args.kind}": cube top pods, cube top nodes`);
    if (kind === "node" && flags.containers) throw new UsageError("--containers is for pods: cube top pods --containers");
    const { pods, nodes } = await (await this.leader()).top(kind, flags.selector ?? "");
    const wide = flags.output === "wide";
    if (kind === "node") {
      const values = nodes.map(nodeTopValue);
      if (await printedForScripts(flags.output, values, () => nodes.map((node) => `node/${node.name}`))) return;
      process.stdout.write(`${renderTopNodes(nodes, { sort: flags.sort, wide })}\n`);
      return;
    }
    const values = pods.map(podTopValue);
    if (await printedForScripts(flags.output, values, () => pods.map((pod) => `pod/${pod.name}`))) return;
    if (pods.length === 0) {
      process.stderr.write("no pod measured yet: a node measures its running pods every --usage-interval (10s by default)\n");
      return;
    }
    process.stdout.write(`${renderTopPods(pods, { sort: flags.sort, containers: flags.containers, wide })}\n`);
  }
}
