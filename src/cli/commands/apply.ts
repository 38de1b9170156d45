import { Args, Flags } from "@oclif/core";
import type { ResourceType } from "../../shared/domain.js";
import { parseDuration } from "../../shared/duration.js";
import { waitForResources } from "../apply-wait.js";
import { UsageError } from "../resource-ref.js";
import { CubeCommand, outputFlag, selectorFlag } from "../base-command.js";
import { appliedLines, printApplied } from "../print-applied.js";
import { APP_LABEL } from "../compose/compose-vocabulary.js";
import { manifestFlags, manifestPaths, strictFlag } from "../manifest-flags.js";
import { toWire } from "../manifest-wire.js";
import { prunable, pruneSelector } from "../prune.js";

export default class Apply extends CubeCommand {
  static override description = "Create or update the resources of manifests (YAML or JSON; several documents or a list of resources per file)";
  static override examples = [
    "<%= config.bin %> apply -f web.yaml",
    "<%= config.bin %> apply -f manifests/ -R",
    "<%= config.bin %> apply -f web.yaml --wait",
    "<%= config.bin %> apply -f web.yaml --dry-run",
    "<%= config.bin %> apply -f compose.yaml --prune",
    "<%= config.bin %> apply -f manifests/ --prune -l app=shop",
    "cat web.yaml | <%= config.bin %> apply -f -",
    "<%= config.bin %> apply web.json",
  ];
  static override args = { file: Args.string({ description: "a manifest, as with -f", required: false, ignoreStdin: true }) };
  static override flags = {
    ...manifestFlags,
    strict: strictFlag,
    prune: Flags.boolean({
      description: "delete the resources selected (-l, or a Compose file's application) that the manifest no longer has",
      default: false,
    }),
    selector: { ...selectorFlag, description: "with --prune: the labels of the manifest's resources, among which it prunes" },
    output: outputFlag,
    "dry-run": Flags.boolean({ description: "validate on the leader and say what would change, changing nothing", default: false }),
    wait: Flags.boolean({ description: "wait until every resource is ready (pods Running and ready, rollouts complete); exit 1 if one fails", default: false }),
    timeout: Flags.string({ description: "with --wait, give up after this long (e.g. 90s, 5m)", default: "5m" }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Apply);
    const timeoutMs = parseDuration(flags.timeout);
    if (timeoutMs === undefined) throw new UsageError(`--timeout: "${flags.timeout}" is not a duration (e.g. 90s, 5m)`);
    if (flags.selector !== undefined && !flags.prune) throw new UsageError("-l selects what --prune may delete: give --prune too");
    // Checked here for a quick answer with the file's own lines; the leader checks again (the CLI is not its only client).
    const { documents, warnings, applications } = (await import("../read-manifests.js")).readManifests(
      manifestPaths(args.file, flags.filename),
      flags.recursive,
      { project: flags.project, strict: flags.strict },
    );
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    const dryRun = flags["dry-run"];
    if (dryRun && flags.wait) throw new UsageError("--dry-run changes nothing: there is nothing to --wait for");
    const pruneAmong = flags.prune ? pruneSelector(flags.selector, applications, APP_LABEL) : undefined;
    const leader = await this.leader();
    const { results } = dryRun ? await leader.apply(toWire(documents), true) : await this.changing(() => leader.apply(toWire(documents)), "cube list");
    const lines = appliedLines(results);
    if (pruneAmong !== undefined) {
      const { items } = await leader.list("", pruneAmong);
      for (const ref of prunable(
        items,
        results.map((r) => ({ type: r.type as ResourceType, name: r.name })),
      )) {
        if (!dryRun) await this.changing(() => leader.delete(ref.type, ref.name), `cube get ${ref.type}/${ref.name}`);
        lines.push({ resource: `${ref.type}/${ref.name}`, outcome: "pruned" });
      }
    }
    await printApplied(lines, flags.output, dryRun);
    if (!flags.wait) return;
    const applied = lines.filter((line) => line.outcome !== "pruned").map((line) => line.resource);
    const failures = await waitForResources(leader, applied, timeoutMs);
    if (failures.length > 0) throw new Error(failures.join("; "));
    process.stderr.write(`${applied.length === 1 ? applied[0] : `all ${applied.length} resources`} ready\n`);
  }
}
