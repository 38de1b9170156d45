import { Args } from "@oclif/core";
import { CubeCommand, outputFlag } from "../base-command.js";
import { colors } from "../colors.js";
import { formatAge } from "../format-age.js";
import { parseTypeArgument } from "../resource-ref.js";
import { renderTable } from "../table.js";

/** Green when all is well, red when it went wrong, yellow on the way. */
export function colorStatus(status: string): string {
  if (status === "Running" || status === "Ready" || status === "Succeeded" || status === "Complete") return colors.green(status);
  if (/Failed|Err|BackOff|Unknown|NotReady/.test(status)) return colors.red(status);
  return colors.yellow(status);
}

export default class List extends CubeCommand {
  static override description = "List resources, of one type or of every type";
  static override examples = ["<%= config.bin %> list", "<%= config.bin %> list pod -o json", "<%= config.bin %> list deployment"];
  static override args = { type: Args.string({ description: "resource type (pod, deployment)", required: false }) };
  static override flags = { output: outputFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(List);
    const type = args.type === undefined ? "" : parseTypeArgument(args.type);
    const { items } = await (await this.leader()).list(type);
    if (flags.output === "json") {
      this.printJson(
        items.map(({ type, name, status, createdAt, deployment }) => ({ type, name, status, createdAt, ...(deployment && { replicas: deployment }) })),
      );
      return;
    }
    const now = new Date();
    if (type === "deployment") {
      // Kubernetes' columns: ready of desired, of the current template, available.
      const rows = items.map(({ name, status, deployment: d, createdAt }) => [
        name,
        status === "Terminating" ? colorStatus(status) : `${d!.ready}/${d!.replicas}`,
        String(d!.updated),
        String(d!.available),
        formatAge(createdAt ?? now, now),
      ]);
      process.stdout.write(`${renderTable(["name", "ready", "up-to-date", "available", "age"], rows)}
`);
      return;
    }
    // Listing every type, a deployment is named with its type (pods keep the original request's plain names).
    const named = (item: (typeof items)[number]) => (type === "" && item.type !== "pod" ? `${item.type}/${item.name}` : item.name);
    const rows = items.map((item) => [named(item), colorStatus(item.status), formatAge(item.createdAt ?? now, now)]);
    process.stdout.write(`${renderTable(["name", "status", "age"], rows)}\n`);
  }
}
