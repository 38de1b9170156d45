import { Args, Flags } from "@oclif/core";
import { parseDuration } from "../../shared/duration.js";
import { waitForResources } from "../apply-wait.js";
import { UsageError } from "../resource-ref.js";
import { CubeCommand, outputFlag, printedForScripts } from "../base-command.js";
import { manifestFlags, manifestPaths, toWire } from "../manifest-flags.js";

export default class Apply extends CubeCommand {
  static override description = "Create or update the resources of manifests (YAML or JSON; several documents or a list of resources per file)";
  static override examples = [
    "<%= config.bin %> apply -f web.yaml",
    "<%= config.bin %> apply -f manifests/ -R",
    "<%= config.bin %> apply -f web.yaml --wait",
    "<%= config.bin %> apply -f web.yaml --dry-run",
    "cat web.yaml | <%= config.bin %> apply -f -",
    "<%= config.bin %> apply web.json",
  ];
  static override args = { file: Args.string({ description: "a manifest, as with -f", required: false, ignoreStdin: true }) };
  static override flags = {
    ...manifestFlags,
    output: outputFlag,
    "dry-run": Flags.boolean({ description: "validate on the leader and say what would change, changing nothing", default: false }),
    wait: Flags.boolean({ description: "wait until every resource is ready (pods Running and ready, rollouts complete); exit 1 if one fails", default: false }),
    timeout: Flags.string({ description: "with --wait, give up after this long (e.g. 90s, 5m)", default: "5m" }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Apply);
    const timeoutMs = parseDuration(flags.timeout);
    if (timeoutMs === undefined) throw new UsageError(`--timeout: "${flags.timeout}" is not a duration (e.g. 90s, 5m)`);
    // Checked here for a quick answer with the file's own lines; the leader checks again (the CLI is not its only client).
    const { documents, warnings } = (await import("../read-manifests.js")).readManifests(
      manifestPaths(args.file, flags.filename),
      flags.recursive,
      flags.project,
    );
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    const dryRun = flags["dry-run"];
    if (dryRun && flags.wait) throw new UsageError("--dry-run changes nothing: there is nothing to --wait for");
    const leader = await this.leader();
    const { results } = dryRun ? await leader.apply(toWire(documents), true) : await this.changing(() => leader.apply(toWire(documents)), "cube list");
    const lines = results.map((r) => ({ resource: `${r.type}/${r.name}`, outcome: r.outcome, ...(r.revision === undefined ? {} : { revision: r.revision }) }));
    if (!(await printedForScripts(flags.output, lines, () => lines.map((line) => line.resource)))) {
      for (const line of lines) {
        const notes = [line.revision === undefined ? "" : `revision ${line.revision}`, dryRun ? "dry run" : ""].filter(Boolean);
        process.stdout.write(`${line.resource} ${line.outcome}${notes.length ? ` (${notes.join(", ")})` : ""}\n`);
      }
    }
    if (!flags.wait) return;
    const failures = await waitForResources(
      leader,
      lines.map((line) => line.resource),
      timeoutMs,
    );
    if (failures.length > 0) throw new Error(failures.join("; "));
    process.stderr.write(`${lines.length === 1 ? lines[0].resource : `all ${lines.length} resources`} ready\n`);
  }
}
