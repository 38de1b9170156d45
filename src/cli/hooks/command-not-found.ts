import type { Hook } from "@oclif/core";
import { guessCommand } from "../did-you-mean.js";

/** An unknown command: one line saying so, with the command most likely meant, and a non-zero exit. */
const hook: Hook<"command_not_found"> = async function ({ id, config }) {
  const commands = [...config.commandIDs, ...config.commands.flatMap((c) => c.aliases)].map((c) => c.replaceAll(":", " "));
  const { unknown, meant } = guessCommand(id.split(":"), commands);
  process.stderr.write(
    `error: unknown command "${unknown}"${meant ? `: did you mean \`${config.bin} ${meant}\`?` : ""} (\`${config.bin} help\` lists the commands)\n`,
  );
  this.exit(1);
};

export default hook;
