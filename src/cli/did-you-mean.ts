import levenshtein from "fast-levenshtein";

/**
 * What the user typed (oclif hands the words of an unknown command with its arguments, `gett pod/hello`): the command
 * part it did not know, and the whole line meant, the arguments kept (`get pod/hello`), when a command is close to
 * the first words.
 */
export function guessCommand(words: string[], commands: string[]): { unknown: string; meant?: string } {
  for (let count = Math.min(words.length, 2); count >= 1; count--) {
    const command = closestCommand(words.slice(0, count).join(" "), commands);
    if (command) return { unknown: words.slice(0, count).join(" "), meant: [command, ...words.slice(count)].join(" ") };
  }
  return { unknown: words[0] ?? "" };
}

/** The command closest to what was typed, if it is close enough to be the one meant (a typo, not another word). */
export function closestCommand(typed: string, commands: string[]): string | undefined {
  let best: { command: string; distance: number } | undefined;
  for (const command of commands) {
    const distance = levenshtein.get(typed, command);
    if (!best || distance < best.distance) best = { command, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(typed.length / 3)) ? best.command : undefined;
}
