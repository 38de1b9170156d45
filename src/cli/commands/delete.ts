import { setTimeout as sleep } from "node:timers/promises";
import { Args, Flags } from "@oclif/core";
import { status } from "@grpc/grpc-js";
import { CubeCommand } from "../base-command.js";
import { parseResourceRef } from "../resource-ref.js";

const WAIT_LIMIT_MS = 5 * 60_000;

export default class Delete extends CubeCommand {
  static override description = "Delete a resource: its containers are stopped gracefully (SIGTERM, then SIGKILL) and removed";
  static override examples = [
    "<%= config.bin %> delete pod/my-pod",
    "<%= config.bin %> delete pod/my-pod --no-wait",
    "<%= config.bin %> delete pod/db --purge",
  ];
  static override args = { resource: Args.string({ description: "TYPE/NAME, e.g. pod/my-pod", required: true }) };
  static override flags = {
    wait: Flags.boolean({ description: "wait until the resource is gone", default: true, allowNo: true }),
    purge: Flags.boolean({ description: "remove its persistent volumes too (they otherwise outlive it)", default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Delete);
    const { type, name } = parseResourceRef(args.resource);
    const leader = await this.leader();
    await this.changing(() => leader.delete(type, name, flags.purge), `cube get ${type}/${name}`);
    if (flags.wait) {
      const deadline = Date.now() + WAIT_LIMIT_MS;
      for (;;) {
        try {
          await leader.get(type, name);
        } catch (error) {
          if ((error as { code?: number }).code === status.NOT_FOUND) break;
          throw error;
        }
        if (Date.now() > deadline) throw new Error(`${type}/${name} is still terminating after ${WAIT_LIMIT_MS / 60_000} minutes (its node may be down)`);
        await sleep(200);
      }
    }
    process.stdout.write(`${type}/${name} ${flags.wait ? "deleted" : "terminating"}\n`);
  }
}
