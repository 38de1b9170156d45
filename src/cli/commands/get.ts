import { Args } from "@oclif/core";
import { CubeCommand, outputFlag, selectorFlag, watchFlag } from "../base-command.js";
import { getResources } from "../get-resources.js";

export default class Get extends CubeCommand {
  static override description = "Show resources as kubectl describe does: a summary, the manifest as applied, the events; a TYPE alone lists them (as `list`)";
  static override aliases = ["describe"];
  static override examples = [
    "<%= config.bin %> get pod/my-pod",
    "<%= config.bin %> get pod my-pod -o json",
    "<%= config.bin %> get deployment/web",
    "<%= config.bin %> get service/web",
    "<%= config.bin %> get pods -l app=web",
    "<%= config.bin %> describe pod my-pod",
    "<%= config.bin %> get nodes",
    "<%= config.bin %> describe node worker-1",
  ];
  static override strict = false;
  static override args = {
    resource: Args.string({
      description: "TYPE/NAME…, TYPE NAME…, or a TYPE alone (e.g. pod/my-pod, pod my-pod, pods, node/worker-1, nodes)",
      required: true,
      ignoreStdin: true,
    }),
  };
  static override flags = { output: outputFlag, selector: selectorFlag, watch: watchFlag };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Get);
    await getResources(() => this.leader(), argv as string[], flags);
  }
}
