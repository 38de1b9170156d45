import { CubeCommand } from "../../base-command.js";

export default class SecretsRotateKey extends CubeCommand {
  static override description = "Encrypt every secret again under a new key of the leader's data directory, then forget the old key; nothing stops meanwhile";
  static override examples = ["<%= config.bin %> secrets rotate-key"];

  async run(): Promise<void> {
    await this.parse(SecretsRotateKey);
    const leader = await this.leader();
    const { secrets, keyId } = await this.changing(() => leader.rotateSecretsKey(), "the leader's log");
    process.stdout.write(`secrets key rotated: ${secrets} secret${secrets === 1 ? "" : "s"} encrypted again under key ${keyId}; the old key is gone\n`);
  }
}
