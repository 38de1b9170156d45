import { Args, Flags } from "@oclif/core";
import { MANIFEST_LIMITS } from "../../shared/manifest-limits.js";
import { CubeCommand } from "../base-command.js";
import { parseOneResource } from "../resource-ref.js";

export default class Scale extends CubeCommand {
  static override description = "Set the number of replicas of a deployment: pods are created or deleted to match";
  static override examples = ["<%= config.bin %> scale deployment/web --replicas 5"];
  static override strict = false;
  static override args = { resource: Args.string({ description: "TYPE/NAME, e.g. deployment/web", required: true, ignoreStdin: true }) };
  static override flags = { replicas: Flags.integer({ description: "how many replicas", required: true, min: 0, max: MANIFEST_LIMITS.replicas }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Scale);
    const { type, name } = parseOneResource(argv as string[]);
    const leader = await this.leader();
    await this.changing(() => leader.scale(type, name, flags.replicas), `cube list ${type}`);
    process.stdout.write(`${type}/${name} scaled to ${flags.replicas}\n`);
  }
}
