import { CubeCommand } from "../../base-command.js";

export default class TokenRotate extends CubeCommand {
  static override description =
    "Replace the join token: the old one admits no new node from now on (nodes already joined keep working); prints the new one, in its full form, for the followers' --token-file";
  static override examples = ["<%= config.bin %> token rotate > join-token", "<%= config.bin %> token rotate"];

  async run(): Promise<void> {
    await this.parse(TokenRotate);
    const leader = await this.leader();
    const { joinToken, file } = await this.changing(() => leader.rotateToken(), "the leader's log");
    // The token alone on standard output, for a file; what it means on standard error.
    process.stdout.write(`${joinToken}\n`);
    process.stderr.write(`join token rotated: the old one admits no new node; the leader keeps the new one in ${file}\n`);
  }
}
