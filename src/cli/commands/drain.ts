import { setTimeout as sleep } from "node:timers/promises";
import { Args, Flags } from "@oclif/core";
import { parseDuration } from "../../shared/duration.js";
import { CubeCommand } from "../base-command.js";
import { printable } from "../printable.js";
import { UsageError } from "../resource-ref.js";

export default class Drain extends CubeCommand {
  static override description =
    "Empty a node for maintenance: cordon it, move its pods elsewhere (a deployment's within its rolling-update bounds, so it keeps serving), and wait until they are gone from it";
  static override examples = ["<%= config.bin %> drain worker-2", "<%= config.bin %> drain worker-2 --timeout 10m"];
  static override args = { node: Args.string({ description: "the node's name, as `cube nodes` shows it", required: true, ignoreStdin: true }) };
  static override flags = { timeout: Flags.string({ description: "give up waiting after this long (the pods go on moving)", default: "5m" }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Drain);
    const timeoutMs = parseDuration(flags.timeout);
    if (timeoutMs === undefined) throw new UsageError(`--timeout: "${flags.timeout}" is not a duration (e.g. 90s, 5m)`);
    const leader = await this.leader();
    const { moved, evicted, held } = await this.changing(() => leader.drain(args.node), "cube nodes");
    process.stdout.write(`node/${args.node} cordoned; ${moved} pod(s) moving, ${evicted} replaced by their deployments\n`);
    // Named at once: they will not leave, and waiting for them would wait for ever.
    for (const { pod, reason } of held) process.stderr.write(`pod/${pod} stays on ${args.node}: ${printable(reason)}\n`);
    const kept = held.map(({ pod }) => pod);
    const deadline = Date.now() + timeoutMs;
    let said = -1;
    for (;;) {
      const { items } = await leader.list("pod");
      const left = items.filter((item) => item.node === args.node && !kept.includes(item.name));
      if (left.length === 0) break;
      if (left.length !== said) process.stderr.write(`waiting for ${left.length} pod(s) to leave ${args.node}: ${left.map((item) => item.name).join(", ")}\n`);
      said = left.length;
      if (Date.now() > deadline)
        throw new Error(`${left.length} pod(s) still on ${args.node} after ${flags.timeout}; they go on moving (check with \`cube list -o wide\`)`);
      await sleep(500);
    }
    if (kept.length > 0)
      throw new Error(`node/${args.node} drained but for ${kept.length} pod(s) that will not leave it: ${kept.map((pod) => `pod/${pod}`).join(", ")}`);
    process.stdout.write(`node/${args.node} drained\n`);
  }
}
