import { Args, Flags } from "@oclif/core";
import { CubeCommand, selectorFlag } from "../base-command.js";
import { deleteResources } from "../delete-resources.js";
import { manifestFlags } from "../manifest-flags.js";

export default class Delete extends CubeCommand {
  static override description = "Delete resources: their containers are stopped gracefully (SIGTERM, then SIGKILL) and removed";
  static override examples = [
    "<%= config.bin %> delete pod/my-pod",
    "<%= config.bin %> delete pod web db",
    "<%= config.bin %> delete -f web.yaml",
    "<%= config.bin %> delete pod -l app=web",
    "<%= config.bin %> delete pod/my-pod --no-wait",
    "<%= config.bin %> delete pod/db --purge",
  ];
  static override strict = false;
  static override args = { resource: Args.string({ description: "TYPE/NAME… or TYPE NAME… (or -f)", required: false, ignoreStdin: true }) };
  static override flags = {
    ...manifestFlags,
    selector: selectorFlag,
    wait: Flags.boolean({ description: "wait until the resources are gone", default: true, allowNo: true }),
    purge: Flags.boolean({ description: "remove their persistent volumes too (they otherwise outlive them)", default: false }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Delete);
    const fromFiles = flags.filename
      ? (await import("../read-manifests.js"))
          .readManifests(flags.filename, flags.recursive, { project: flags.project })
          .entries.map(({ resource }) => ({ type: resource.type, name: resource.metadata.name }))
      : [];
    await deleteResources(() => this.leader(), argv as string[], flags, fromFiles);
  }
}
