import { Args } from "@oclif/core";
import { CubeCommand } from "../base-command.js";
import { parseOneResource } from "../resource-ref.js";

export default class Restart extends CubeCommand {
  static override description = "Restart a resource: its containers are replaced by new ones and its failure counts cleared, so a Failed pod runs again";
  static override examples = ["<%= config.bin %> restart pod/my-pod"];
  static override strict = false;
  static override args = { resource: Args.string({ description: "TYPE/NAME, e.g. pod/my-pod", required: true, ignoreStdin: true }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(Restart);
    const { type, name } = parseOneResource(argv as string[]);
    const leader = await this.leader();
    await this.changing(() => leader.restart(type, name), `cube get ${type}/${name}`);
    process.stdout.write(`${type}/${name} restarted\n`);
  }
}
