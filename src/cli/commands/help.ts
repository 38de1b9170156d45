import { Args, Command, loadHelpClass } from "@oclif/core";

export default class Help extends Command {
  static override description = "Show the commands, or how to use one";
  static override examples = ["<%= config.bin %> help", "<%= config.bin %> help apply", "<%= config.bin %> help rollout status"];
  static override strict = false;
  static override args = { command: Args.string({ description: "a command, e.g. apply or rollout status", required: false, ignoreStdin: true }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(Help);
    const HelpClass = await loadHelpClass(this.config);
    await new HelpClass(this.config).showHelp(argv as string[]);
  }
}
