import { CubeCommand } from "../base-command.js";
import { completeWords, type CompletableCommand } from "../complete-words.js";

/** How long completion may wait for the leader's names: a shell must not hang on Tab. */
const NAMES_BUDGET_MS = 1500;

export default class Complete extends CubeCommand {
  static override description = "Candidates for the last word typed (what `cube completion`'s scripts ask)";
  static override hidden = true;
  static override strict = false;

  async run(): Promise<void> {
    // The words as typed, flags included: they are what is being completed, not options of this command.
    const argv = this.argv;
    const commands: CompletableCommand[] = this.config.commands
      .filter((command) => !command.hidden)
      .map((command) => ({
        id: command.id.replaceAll(":", " "),
        aliases: command.aliases,
        flags: Object.values(command.flags).flatMap((flag) => [`--${flag.name}`, ...(flag.char ? [`-${flag.char}`] : [])]),
      }));
    const withinBudget = async <T>(ask: () => Promise<T[]>): Promise<T[]> => {
      try {
        return await Promise.race([ask(), new Promise<T[]>((resolve) => setTimeout(() => resolve([]), NAMES_BUDGET_MS).unref())]);
      } catch {
        return []; // no config, no leader: no names, the rest still completes
      }
    };
    const candidates = await completeWords(argv, commands, {
      resources: (type) => withinBudget(async () => (await (await this.leader()).list(type)).items.map((item) => item.name)),
      nodes: () => withinBudget(async () => (await (await this.leader()).listNodes()).nodes.map((node) => node.name)),
    });
    process.stdout.write(candidates.map((candidate) => `${candidate}\n`).join(""));
  }
}
