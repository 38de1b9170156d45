import levenshtein from "fast-levenshtein";

/** The command closest to what was typed, if it is close enough to be the one meant (a typo, not another word). */
export function closestCommand(typed: string, commands: string[]): string | undefined {
  let best: { command: string; distance: number } | undefined;
  for (const command of commands) {
    const distance = levenshtein.get(typed, command);
    if (!best || distance < best.distance) best = { command, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(typed.length / 3)) ? best.command : undefined;
}
