import { Command, Flags } from "@oclif/core";
import { configPath, loadConfig, type CubeConfig } from "./config.js";
import { changing } from "./changing.js";
import { failureLine } from "./describe-error.js";
import { OUTPUT_FORMATS } from "./output-formats.js";
import type { LeaderClient } from "./leader-client.js";

/** `-w`: after what there is, each change as it happens (pushed by the leader), until Ctrl-C. */
export const watchFlag = Flags.boolean({ char: "w", description: "after the list, print each change as it happens, until Ctrl-C", default: false });

/** `-o json` for scripts, on every command that prints resources. */
export const outputFlag = Flags.option({
  char: "o",
  description: "output format",
  options: OUTPUT_FORMATS,
  default: "table" as const,
})();

/** `-l`: a label selector, as kubectl's. */
export const selectorFlag = Flags.string({
  char: "l",
  description: "only resources whose labels match: k=v, k!=v, k in (a,b), k notin (a,b), k, !k (comma: and)",
});

/** Every cube command: loads the config, talks to the leader, and turns any failure into one line on stderr. */
export abstract class CubeCommand extends Command {
  private cubeConfig?: CubeConfig;
  private leaderClient?: LeaderClient;

  /** The leader's client, made on first use (gRPC loads only in commands that need it). */
  protected async leader(): Promise<LeaderClient> {
    if (!this.leaderClient) {
      this.cubeConfig = loadConfig(configPath());
      const { openLeaderClient } = await import("./leader-trust.js");
      this.leaderClient = await openLeaderClient(this.cubeConfig, configPath());
    }
    return this.leaderClient;
  }

  /** See `changing` (changing.ts): an unknown outcome said as such. */
  protected changing<T>(request: () => Promise<T>, check: string): Promise<T> {
    return changing(request, check);
  }

  /** Applies one resource built by the command (`create secret`, …), and says what became of it as `apply` does. */
  protected async applyOne(resource: Record<string, unknown>): Promise<void> {
    const leader = await this.leader();
    const { results } = await this.changing(() => leader.apply(JSON.stringify(resource)), "cube list");
    for (const result of results) process.stdout.write(`${result.type}/${result.name} ${result.outcome}\n`);
  }

  protected async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    // oclif's own exit (this.exit) carries its code and needs no message.
    if (error.oclif?.exit !== undefined && error.message.startsWith("EEXIT")) throw error;
    const command = `${this.config.bin} ${this.id?.replaceAll(":", " ") ?? ""}`.trim();
    process.stderr.write(failureLine(error, { path: configPath(), value: this.cubeConfig, command }));
    this.exit(error.oclif?.exit || 1);
  }

  protected async finally(error: Error | undefined): Promise<void> {
    this.leaderClient?.close();
    return super.finally(error);
  }
}
