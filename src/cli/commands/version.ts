import { CubeCommand } from "../base-command.js";

export default class Version extends CubeCommand {
  static override description = "Show the versions of this CLI and of the leader it talks to";
  static override examples = ["<%= config.bin %> version"];

  async run(): Promise<void> {
    process.stdout.write(`client: ${this.config.version}\n`);
    const { version } = await (await this.leader()).version();
    process.stdout.write(`leader: ${version}\n`);
  }
}
