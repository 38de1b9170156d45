import { Args } from "@oclif/core";
import { CubeCommand } from "../../base-command.js";
import { keyedFlags, keyedManifest } from "../../keyed-manifest.js";
import { UsageError } from "../../resource-ref.js";

export default class CreateConfig extends CubeCommand {
  static override description = "Create (or update) a config from files and values: pods mount its keys as files (kept up to date) or read them in env";
  static override examples = [
    "<%= config.bin %> create config nginx --from-file nginx.conf=./nginx.conf",
    "<%= config.bin %> create config app --from-literal MODE=production --from-file ./settings.json",
  ];
  static override args = { name: Args.string({ description: "the config's name", required: true, ignoreStdin: true }) };
  static override flags = keyedFlags;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(CreateConfig);
    if (!flags["from-file"].length && !flags["from-literal"].length) throw new UsageError("give the values: --from-literal KEY=VALUE or --from-file KEY=PATH");
    await this.applyOne(keyedManifest("config", args.name, flags["from-file"], flags["from-literal"]));
  }
}
