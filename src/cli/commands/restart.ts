import { Args } from "@oclif/core";
import { CubeCommand } from "../base-command.js";
import { resolveResource } from "../pick-pod.js";

export default class Restart extends CubeCommand {
  static override description = "Restart a resource: its containers are replaced by new ones and its failure counts cleared, so a Failed pod runs again";
  static override examples = ["<%= config.bin %> restart pod/my-pod", "<%= config.bin %> restart deployment/web", "<%= config.bin %> restart web"];
  static override strict = false;
  static override args = {
    resource: Args.string({ description: "TYPE/NAME, TYPE NAME, or a NAME (the pod or deployment of that name)", required: true, ignoreStdin: true }),
  };

  async run(): Promise<void> {
    const { argv } = await this.parse(Restart);
    const leader = await this.leader();
    const { type, name } = await resolveResource(leader, argv as string[]);
    await this.changing(() => leader.restart(type, name), `cube get ${type}/${name}`);
    process.stdout.write(`${type}/${name} restarted\n`);
  }
}
