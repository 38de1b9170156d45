import { setTimeout as sleep } from "node:timers/promises";
import { Args, Flags } from "@oclif/core";
import { parseDuration } from "../../../shared/duration.js";
import { CubeCommand } from "../../base-command.js";
import { parseDeploymentArgs, UsageError } from "../../resource-ref.js";
import { rolloutProgress } from "../../rollout-progress.js";

/** How often it asks the leader again. */
const POLL_MS = 250;

export default class RolloutStatus extends CubeCommand {
  static override description = "Wait for a deployment's rollout to end, showing its progress: exits 0 once it completed, 1 if it failed or was rolled back";
  static override examples = ["<%= config.bin %> rollout status deployment/web", "<%= config.bin %> rollout status deployment/web --timeout 2m"];
  static override strict = false;
  static override args = { resource: Args.string({ description: "deployment/NAME (or NAME)", required: true, ignoreStdin: true }) };
  static override flags = {
    timeout: Flags.string({ description: "give up waiting after this long (e.g. 90s, 5m); the rollout goes on" }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(RolloutStatus);
    const name = parseDeploymentArgs(argv as string[]);
    const timeoutMs = flags.timeout === undefined ? Infinity : parseDuration(flags.timeout);
    if (timeoutMs === undefined) throw new UsageError(`--timeout: "${flags.timeout}" is not a duration (e.g. 90s, 5m)`);
    const leader = await this.leader();
    const deadline = Date.now() + timeoutMs;
    let followed = (await leader.rolloutStatus(name)).rollout!.revision;
    let said = "";
    for (;;) {
      const progress = rolloutProgress(name, followed, await leader.rolloutStatus(name));
      if (progress.line !== said) process.stdout.write(`${progress.line}\n`);
      said = progress.line;
      if (progress.outcome === "succeeded") return;
      if (progress.outcome === "failed") this.exit(1);
      followed = progress.revision;
      if (Date.now() >= deadline) throw new Error(`timed out after ${flags.timeout} waiting for deployment/${name}; its rollout goes on`);
      await sleep(POLL_MS);
    }
  }
}
