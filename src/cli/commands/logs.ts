import { Args, Flags } from "@oclif/core";
import { CubeCommand, selectorFlag } from "../base-command.js";
import { printLogs } from "../print-logs.js";

export default class Logs extends CubeCommand {
  static override description =
    "Print a pod's logs: every container's lines merged in time order, each prefixed with its container's name (stdout and stderr alike); with -l, every selected pod's, prefixed with pod and container";
  static override examples = [
    "<%= config.bin %> logs my-pod",
    "<%= config.bin %> logs pod/my-pod",
    "<%= config.bin %> logs pod/my-pod -c web --tail 20",
    "<%= config.bin %> logs pod/my-pod -f --since 5m",
    "<%= config.bin %> logs pod/my-pod -c web --previous",
    "<%= config.bin %> logs deploy/web",
    "<%= config.bin %> logs -l app=web -f",
  ];
  static override strict = false;
  static override args = {
    resource: Args.string({
      description: "the pod: NAME, pod/NAME or pod NAME; or a deployment (deploy/NAME: one of its running replicas)",
      required: false,
      ignoreStdin: true,
    }),
  };
  static override flags = {
    selector: selectorFlag,
    container: Flags.string({ char: "c", description: "one container's logs only" }),
    follow: Flags.boolean({ char: "f", description: "keep printing new lines until Ctrl-C or until the pod is deleted" }),
    tail: Flags.integer({ description: "the last N lines of each container", min: 0 }),
    since: Flags.string({ description: "lines newer than this duration (10s, 5m, 2h)" }),
    timestamps: Flags.boolean({ description: "print each line's time" }),
    previous: Flags.boolean({ char: "p", description: "the logs of the last replaced instance of the container" }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Logs);
    await printLogs(() => this.leader(), argv as string[], flags);
  }
}
