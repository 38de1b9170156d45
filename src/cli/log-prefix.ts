import type { ChalkInstance } from "chalk";

const PALETTE = ["cyan", "magenta", "yellow", "green", "blue", "red"] as const;

/**
 * The prefix of each line of a merged log: the container's name in brackets, padded so that every line's text starts
 * in the same column, coloured per container when `colors` has colour.
 */
export function logPrefixer(containers: string[], colors: ChalkInstance): (container: string) => string {
  const width = Math.max(0, ...containers.map((name) => name.length)) + 2;
  return (container) => {
    const index = containers.indexOf(container);
    const label = `[${container}]`.padEnd(width);
    return `${index >= 0 ? colors[PALETTE[index % PALETTE.length]](label) : label} `;
  };
}
