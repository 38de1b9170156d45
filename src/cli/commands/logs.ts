import { once } from "node:events";
import { Args, Flags } from "@oclif/core";
import type { LogChunk } from "../../gen/cube.js";
import type { PodSpec } from "../../shared/domain.js";
import { parseDuration } from "../../shared/duration.js";
import { CubeCommand } from "../base-command.js";
import { colors } from "../colors.js";
import { LogOutput } from "../log-output.js";
import { logPrefixer } from "../log-prefix.js";
import { parseOneResource, UsageError } from "../resource-ref.js";
import { wasCancelled } from "../describe-error.js";

export default class Logs extends CubeCommand {
  static override description =
    "Print a pod's logs: every container's lines merged in time order, each prefixed with its container's name (stdout and stderr alike)";
  static override examples = [
    "<%= config.bin %> logs my-pod",
    "<%= config.bin %> logs pod/my-pod",
    "<%= config.bin %> logs pod/my-pod -c web --tail 20",
    "<%= config.bin %> logs pod/my-pod -f --since 5m",
    "<%= config.bin %> logs pod/my-pod -c web --previous",
  ];
  static override strict = false;
  static override args = { resource: Args.string({ description: "the pod: NAME, pod/NAME or pod NAME", required: true, ignoreStdin: true }) };
  static override flags = {
    container: Flags.string({ char: "c", description: "one container's logs only" }),
    follow: Flags.boolean({ char: "f", description: "keep printing new lines until Ctrl-C or until the pod is deleted" }),
    tail: Flags.integer({ description: "the last N lines of each container", min: 0 }),
    since: Flags.string({ description: "lines newer than this duration (10s, 5m, 2h)" }),
    timestamps: Flags.boolean({ description: "print each line's time" }),
    previous: Flags.boolean({ char: "p", description: "the logs of the last replaced instance of the container" }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Logs);
    const { type, name } = parseOneResource(argv as string[], "pod");
    const sinceMs = flags.since === undefined ? undefined : parseDuration(flags.since);
    if (flags.since !== undefined && sinceMs === undefined) throw new UsageError(`--since must be a duration such as 10s, 5m or 2h, got "${flags.since}"`);
    const leader = await this.leader();
    // The pod's containers, for prefixes aligned across them (and a clear error for an unknown pod first).
    const { pod } = await leader.get(type, name);
    const containers = pod ? (JSON.parse(pod.specJson) as PodSpec).containers.map((c) => c.name) : [];
    const prefix = flags.container ? () => "" : logPrefixer(containers, colors);
    const stream = leader.logs({
      type,
      name,
      container: flags.container ?? "",
      follow: flags.follow,
      tail: flags.tail,
      since: sinceMs === undefined ? undefined : new Date(Date.now() - sinceMs),
      previous: flags.previous,
    });
    const stop = () => stream.cancel();
    process.once("SIGINT", stop);
    try {
      const output = new LogOutput(prefix, flags.timestamps);
      for await (const chunk of stream as AsyncIterable<LogChunk>) {
        if (!process.stdout.write(output.format(chunk.lines))) await once(process.stdout, "drain");
      }
    } catch (error) {
      if (!wasCancelled(error)) throw error; // cancelled by Ctrl-C
    } finally {
      process.removeListener("SIGINT", stop);
    }
  }
}
